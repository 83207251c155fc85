// Who is reading a page: nobody (anonymous) or a principal, and what that principal may see. The principal comes
// from the first of the web UI's principal sources that knows one: the API key of the request (the same
// authentication as the API: X-NuGet-ApiKey or Basic credentials) and, added by sign-in, a session. Whatever the
// source, what a page shows is decided by auth/authorize.ts, the same rules the API applies.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorize, type Principal } from '../auth/authorize.ts';
import type { Feed } from '../packages/feed.ts';
import type { HttpServices } from '../http/http-services.ts';
import { apiKeyHeader, authenticateKey, basicPassword } from '../http/request-auth.ts';

/** Finds the principal of a request, or undefined when it carries none this source knows. */
export type PrincipalSource = (
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<Principal | undefined>;

export interface Reader {
  /** Undefined for an anonymous reader. */
  readonly principal: Principal | undefined;
}

/** The request's API key, as the API reads it; a wrong key is refused (and counted) as on the API. */
export const apiKeyPrincipalSource =
  (services: HttpServices): PrincipalSource =>
  async (request, reply) => {
    const presented = apiKeyHeader(request) ?? basicPassword(request);
    if (!presented) return undefined;
    return authenticateKey(request, reply, services, presented, 'Unauthenticated');
  };

const readers = new WeakMap<FastifyRequest, Reader>();

/** The reader of a request, asked of the sources once per request. */
export async function readerOf(
  request: FastifyRequest,
  reply: FastifyReply,
  sources: readonly PrincipalSource[],
): Promise<Reader> {
  const known = readers.get(request);
  if (known) return known;
  let principal: Principal | undefined;
  for (const source of sources) {
    principal = await source(request, reply);
    if (principal) break;
  }
  const reader: Reader = { principal };
  readers.set(request, reader);
  return reader;
}

/** Whether the reader may read the feed: anyone a public one, a private one only a principal with read on it. */
export const mayRead = (reader: Reader, feed: Feed): boolean =>
  !feed.settings.private ||
  (reader.principal !== undefined && authorize(reader.principal, 'read', undefined, feed.name).allowed);

/** Unlisted versions are shown to those who could relist them: a principal with unlist on this id of the feed. */
export const maySeeUnlisted = (reader: Reader, feed: Feed, id: string): boolean =>
  reader.principal !== undefined && authorize(reader.principal, 'relist', id, feed.name).allowed;
