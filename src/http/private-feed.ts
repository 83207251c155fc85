// A private feed (--private): every read needs credentials with the read scope. The NuGet client sends the
// credentials of its NuGet.Config (packageSourceCredentials) only after a 401 that carries
// `WWW-Authenticate: Basic` (../shared/notes/client-behaviour.md §3.7; ../shared/notes/landscape.md §5 rows 4-5),
// so the service index too answers anonymous requests with that challenge. Writes authenticate themselves with
// X-NuGet-ApiKey (request-auth.ts) and a scope stronger than read.
import type { FastifyInstance } from 'fastify';
import { NuggetError, unauthenticated } from '../errors.ts';
import type { Feed } from './feed.ts';
import { apiKeyHeader, authenticateKey, basicPassword, requireAllowed } from './request-auth.ts';

export const basicChallenge = 'Basic realm="nugget", charset="UTF-8"';

const reads = new Set(['GET', 'HEAD']);

export function privateFeed(app: FastifyInstance, feed: Feed): void {
  if (!feed.options.private) return;

  app.addHook('onRequest', async (request, reply) => {
    if (!reads.has(request.method)) return;
    // Health answers need none (they say nothing about packages); /metrics with --metrics-token checks its own.
    if (request.routeOptions.config.access !== undefined) return;
    const presented = apiKeyHeader(request) ?? basicPassword(request);
    if (!presented) {
      reply.header('www-authenticate', basicChallenge);
      throw unauthenticated(
        'credentials_missing',
        'This feed is private: add packageSourceCredentials for it to NuGet.Config, with a key that has the read scope as the password.',
      );
    }
    try {
      const principal = await authenticateKey(request, reply, feed, presented, 'Unauthenticated');
      requireAllowed(principal, 'read');
    } catch (error) {
      // A 401 again (not 403) for bad credentials: the client then asks its credential providers or fails.
      if (error instanceof NuggetError && error.kind === 'Unauthenticated') {
        reply.header('www-authenticate', basicChallenge);
      }
      throw error;
    }
  });

  // Responses of a private feed must not be kept by shared caches (proxies, CDNs) for other users.
  app.addHook('onSend', async (_request, reply, payload) => {
    const cacheControl = reply.getHeader('cache-control');
    if (typeof cacheControl === 'string' && /\bpublic\b/.test(cacheControl)) {
      reply.header('cache-control', cacheControl.replace(/\bpublic\b/, 'private'));
    }
    return payload;
  });
}
