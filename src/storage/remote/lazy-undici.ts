// undici, loaded on the first request that needs it rather than at start: it is a hundred modules and about a
// tenth of the server's start-up CPU, and a feed with no upstream and no webhook never sends a request with it.
import type * as Undici from 'undici';
import { importedOnce } from '../../lazy-import.ts';

/** The undici module, imported once. */
export const loadUndici: () => Promise<typeof Undici> = importedOnce(() => import('undici'));

/**
 * An undici Agent made on first use. close() ends it for good, also when it comes while the first use is still
 * loading undici: then no agent (and none of its sockets) is made after the owner closed.
 */
export class LazyAgent {
  readonly #options: Undici.Agent.Options;
  #agent: Undici.Agent | undefined;
  #closed = false;

  constructor(options: Undici.Agent.Options) {
    this.#options = options;
  }

  /** undici and the agent, or a rejection once closed. */
  async get(): Promise<{ readonly undici: typeof Undici; readonly agent: Undici.Agent }> {
    const undici = await loadUndici();
    if (this.#closed) throw new Error('closed: this client takes no more requests');
    this.#agent ??= new undici.Agent(this.#options);
    return { undici, agent: this.#agent };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#agent?.close();
  }
}
