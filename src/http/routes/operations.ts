// What operators and their tools ask of a node, beside the NuGet API (docs/operations.md):
//   GET /health/live   the process is up and answering: restart it when this fails (liveness probe)
//   GET /health/ready  it can serve: the database answers and the blob store round-trips a probe (readiness.ts);
//                      503 with the failed check named otherwise. Load balancers route by this one.
//   GET /metrics       Prometheus text (metrics.ts)
// All three are the node's, outside every feed (docs/feeds.md). Both health answers are given without credentials
// even on a private server: they say nothing about packages, only "up" and which of two dependencies failed, by
// error code. /metrics takes the --metrics-token as a bearer token when one is set; otherwise it is as open as the
// server's feeds by default: open, or with --private a key with the read scope (on any feed: the metrics are
// labelled by route pattern, /feeds/:feed/v3/..., and name no feed and no package).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sameSecret } from '../../auth/api-key.ts';
import { mayDoAnyOf } from '../../auth/authorize.ts';
import { defaultFeedName } from '../../packages/feed.ts';
import { ReadinessCheck } from '../../packages/readiness.ts';
import { forbidden, NuggetError, unauthenticated } from '../../errors.ts';
import type { HttpServices } from '../http-services.ts';
import { challengeFor } from '../request-feed.ts';
import { apiKeyHeader, authenticateKey, basicPassword, refuseWhileOverLimit } from '../request-auth.ts';

const noStore = 'no-store';

export function operationsRoutes(app: FastifyInstance, services: HttpServices): void {
  const { feedStore, blobs } = services;
  const readiness = new ReadinessCheck(
    // The default feed always exists: its stamp is one primary-key lookup.
    { queryDatabase: () => feedStore.stampOf(defaultFeedName), blobs },
    {
      cacheMs: services.options.readinessCacheMs,
      onFailure: (check, error) => app.log.warn({ err: error, check }, `readiness check failed: ${check}`),
    },
  );

  app.get('/health/live', async (_request, reply) =>
    reply.header('cache-control', noStore).send({ status: 'live' }),
  );

  app.get('/health/ready', async (_request, reply) => {
    const result = await readiness.check();
    return reply
      .code(result.ready ? 200 : 503)
      .header('cache-control', noStore)
      .send({ status: result.ready ? 'ready' : 'unavailable', checks: result.checks });
  });

  const token = services.options.metricsToken;
  app.get('/metrics', async (request, reply) => {
    if (token) requireMetricsToken(request, reply, services, token);
    else if (services.feeds.defaults.private) await requireReadKey(request, reply, services);
    const { contentType, text } = await services.metrics.exposition();
    return reply.header('content-type', contentType).header('cache-control', noStore).send(text);
  });
}

/** `Authorization: Bearer <token>`, compared in constant time; failures count against the client's address. */
function requireMetricsToken(
  request: FastifyRequest,
  reply: FastifyReply,
  services: HttpServices,
  token: string,
): void {
  const { address, now } = refuseWhileOverLimit(request, reply, services);
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (presented !== undefined && sameSecret(presented, token)) return;
  if (presented !== undefined) services.authFailures.recordFailure(address, now);
  reply.header('www-authenticate', 'Bearer realm="nugget metrics"');
  throw unauthenticated(
    presented === undefined ? 'metrics_token_missing' : 'metrics_token_invalid',
    presented === undefined
      ? '/metrics needs the --metrics-token of this server: send it as Authorization: Bearer <token>.'
      : 'The bearer token is not the --metrics-token of this server.',
  );
}

/**
 * On a server whose feeds are private by default (--private), /metrics without a token asks for what a private
 * feed's reads ask for (request-feed.ts): a key with the read scope, as X-NuGet-ApiKey or the Basic password.
 */
async function requireReadKey(request: FastifyRequest, reply: FastifyReply, services: HttpServices) {
  const challenge = challengeFor(defaultFeedName);
  const presented = apiKeyHeader(request) ?? basicPassword(request);
  if (!presented) {
    reply.header('www-authenticate', challenge);
    throw unauthenticated(
      'credentials_missing',
      'This server is private: /metrics needs a key with the read scope (or start nugget with --metrics-token).',
    );
  }
  try {
    const principal = await authenticateKey(request, reply, services, presented, 'Unauthenticated');
    if (!mayDoAnyOf(principal, ['read'])) {
      throw forbidden(
        'api_key_out_of_scope',
        `key '${principal.name}' may not read /metrics: that needs the read scope, and it has ` +
          `${principal.scopes.join(', ') || 'none'}.`,
      );
    }
  } catch (error) {
    if (error instanceof NuggetError && error.kind === 'Unauthenticated') {
      reply.header('www-authenticate', challenge);
    }
    throw error;
  }
}
