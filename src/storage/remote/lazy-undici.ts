// undici, loaded on the first request that needs it rather than at start: it is a hundred modules and about a
// tenth of the server's start-up CPU, and a feed with no upstream and no webhook never sends a request with it.
import type * as Undici from 'undici';

let loading: Promise<typeof Undici> | undefined;

/** The undici module, imported once. */
export function loadUndici(): Promise<typeof Undici> {
  loading ??= import('undici');
  return loading;
}
