// The feed a request addresses: `/feeds/{name}/v3/...` names it, `/v3/...` is the feed named `default`
// (docs/feeds.md). Found once per request, before the route runs: an unknown feed is a 404 that names it, and
// a private feed challenges anonymous reads with a realm that names the feed (../shared/notes/client-behaviour.md
// §3.7: the NuGet client sends packageSourceCredentials only after a 401 with `WWW-Authenticate: Basic`).
import type { FastifyInstance } from 'fastify';
import { forbidden, NuggetError, unauthenticated } from '../errors.ts';
import { defaultFeedName, kindOf } from '../packages/feed.ts';
import { noSuchFeed, type OpenFeed } from '../packages/feed-directory.ts';
import { maybeFeedOf, setFeedOf } from './feed-of-request.ts';
import type { HttpServices } from './http-services.ts';
import { moment } from '../storage/coalesced.ts';
import { apiKeyHeader, authenticateKey, basicPassword, requireAllowed } from './request-auth.ts';

export const challengeFor = (feed: string): string => `Basic realm="nugget feed ${feed}", charset="UTF-8"`;

const reads = new Set(['GET', 'HEAD']);

/**
 * Registers `routes` twice: under `/feeds/:feed` for every feed, and at the root for the default feed, with the
 * hook that finds the feed and, on a private feed, checks the credentials of every read.
 */
/** A URL that is no feed's, on a server whose feeds are private by default: challenge, and reveal nothing. */
export function challengeUnknownUrls(app: FastifyInstance, services: HttpServices): void {
  if (!services.feeds.defaults.private) return;
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== undefined || !reads.has(request.method)) return;
    if (apiKeyHeader(request) ?? basicPassword(request)) return;
    reply.header('www-authenticate', challengeFor(defaultFeedName));
    throw unauthenticated(
      'credentials_missing',
      'This server is private: add packageSourceCredentials to NuGet.Config.',
    );
  });
}

/**
 * A virtual feed with a private member is private itself, whatever it sets: its documents show the member's
 * packages, which must not reach anyone the member would refuse (docs/upstreams.md). Read at every request, so a
 * member made private later is covered at once.
 */
async function withMembersPrivacy(services: HttpServices, open: OpenFeed): Promise<OpenFeed> {
  const kind = open.feed.kind;
  if (kind?.kind !== 'virtual' || open.feed.settings.private) return open;
  for (const member of kind.members) {
    if ((await services.feeds.find(member))?.feed.settings.private) {
      return { ...open, feed: { ...open.feed, settings: { ...open.feed.settings, private: true } } };
    }
  }
  return open;
}

export async function registerFeedRoutes(
  app: FastifyInstance,
  services: HttpServices,
  routes: (scope: FastifyInstance) => void,
): Promise<void> {
  const scoped = async (scope: FastifyInstance) => {
    scope.addHook('onRequest', async (request, reply) => {
      const named = (request.params as { feed?: string }).feed;
      const name = named ?? defaultFeedName;
      // Before the feed is looked up: the settings stamp below may then come from the lookup's own query.
      const arrived = moment();
      const found = await services.feeds.find(name);
      const open = found && (await withMembersPrivacy(services, found));
      if (!open) {
        // On a server whose feeds are private by default, an anonymous client learns nothing, not even which
        // feed names exist.
        const anonymous = !(apiKeyHeader(request) ?? basicPassword(request));
        if (services.feeds.defaults.private && anonymous && reads.has(request.method)) {
          reply.header('www-authenticate', challengeFor(name));
          throw unauthenticated(
            'credentials_missing',
            `Feed '${name}' is private: add packageSourceCredentials.`,
          );
        }
        throw noSuchFeed(name);
      }
      const { sync, async } = open.stores.stamps;
      const settingsStamp =
        sync?.settings() ??
        (async && services.caches.front && !open.feed.settings.private
          ? await async.settings(arrived)
          : undefined);
      setFeedOf(request, { ...open, named, settingsStamp });
      const kind = kindOf(open.feed);
      // An upstream feed's webhook subscriptions are its admin's to manage: it reports the packages it ingests.
      const webhookAdmin =
        kind === 'upstream' && /\/v3\/admin\/webhooks(\/|$)/.test(request.routeOptions.url ?? '');
      if (kind !== 'hosted' && !reads.has(request.method) && !webhookAdmin) {
        // Every write of the protocol (push, delete, relist, symbols, token exchange) on one place: an upstream
        // or virtual feed holds nothing a client may change (docs/upstreams.md).
        const members = open.feed.kind?.kind === 'virtual' ? open.feed.kind.members : [];
        throw forbidden(
          'feed_read_only',
          `Feed '${open.feed.name}' is ${kind === 'upstream' ? 'an upstream' : 'a virtual'} feed and takes no ` +
            `pushes or changes` +
            (members.length > 0
              ? `: push to a hosted feed instead (its members are ${members.join(', ')}).`
              : ': push to a hosted feed instead.'),
        );
      }
      if (!open.feed.settings.private || !reads.has(request.method)) return;
      const challenge = challengeFor(open.feed.name);
      const presented = apiKeyHeader(request) ?? basicPassword(request);
      if (!presented) {
        reply.header('www-authenticate', challenge);
        throw unauthenticated(
          'credentials_missing',
          `Feed '${open.feed.name}' is private: add packageSourceCredentials for it to NuGet.Config, with a key ` +
            'that has the read scope on this feed as the password.',
        );
      }
      try {
        const principal = await authenticateKey(request, reply, services, presented, 'Unauthenticated');
        requireAllowed(principal, 'read', open.feed.name);
      } catch (error) {
        // A 401 again (not 403) for bad credentials: the client then asks its credential providers or fails.
        if (error instanceof NuggetError && error.kind === 'Unauthenticated') {
          reply.header('www-authenticate', challenge);
        }
        throw error;
      }
    });
    // Responses of a private feed must not be kept by shared caches (proxies, CDNs) for other users.
    scope.addHook('onSend', async (request, reply, payload) => {
      if (!maybeFeedOf(request)?.feed.settings.private) return payload;
      const cacheControl = reply.getHeader('cache-control');
      if (typeof cacheControl === 'string' && /\bpublic\b/.test(cacheControl)) {
        reply.header('cache-control', cacheControl.replace(/\bpublic\b/, 'private'));
      }
      return payload;
    });
    routes(scope);
  };
  await app.register(scoped);
  await app.register(scoped, { prefix: '/feeds/:feed' });
}
