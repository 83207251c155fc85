// What operators and their tools ask of a node, beside the NuGet API (docs/operations.md):
//   GET /health/live   the process is up and answering: restart it when this fails (liveness probe)
//   GET /health/ready  it can serve: the database answers and the blob store round-trips a probe (readiness.ts);
//                      503 with the failed check named otherwise. Load balancers route by this one.
//   GET /metrics       Prometheus text (metrics.ts)
// Both health answers are given without credentials even on a private feed: they say nothing about packages,
// only "up" and which of two dependencies failed, by error code. /metrics takes the --metrics-token as a bearer
// token when one is set; otherwise it is as open as the feed (public, or behind --private's read credentials).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sameSecret } from '../../auth/api-key.ts';
import { ReadinessCheck } from '../../packages/readiness.ts';
import { unauthenticated } from '../../errors.ts';
import type { Feed } from '../feed.ts';
import { refuseWhileOverLimit } from '../request-auth.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Who may call a route on a private feed: 'public' needs no credentials (health), 'token' checks its own
     * (/metrics with --metrics-token); without it a private feed asks for read credentials (private-feed.ts).
     */
    access?: 'public' | 'token';
  }
}

const noStore = 'no-store';

export function operationsRoutes(app: FastifyInstance, feed: Feed): void {
  const readiness = new ReadinessCheck(feed, {
    cacheMs: feed.options.readinessCacheMs,
    onFailure: (check, error) => app.log.warn({ err: error, check }, `readiness check failed: ${check}`),
  });

  app.get('/health/live', { config: { access: 'public' } }, async (_request, reply) =>
    reply.header('cache-control', noStore).send({ status: 'live' }),
  );

  app.get('/health/ready', { config: { access: 'public' } }, async (_request, reply) => {
    const result = await readiness.check();
    return reply
      .code(result.ready ? 200 : 503)
      .header('cache-control', noStore)
      .send({ status: result.ready ? 'ready' : 'unavailable', checks: result.checks });
  });

  const token = feed.options.metricsToken;
  app.get('/metrics', { config: token ? { access: 'token' } : {} }, async (request, reply) => {
    if (token) requireMetricsToken(request, reply, feed, token);
    const { contentType, text } = await feed.metrics.exposition();
    return reply.header('content-type', contentType).header('cache-control', noStore).send(text);
  });
}

/** `Authorization: Bearer <token>`, compared in constant time; failures count against the client's address. */
function requireMetricsToken(request: FastifyRequest, reply: FastifyReply, feed: Feed, token: string): void {
  const { address, now } = refuseWhileOverLimit(request, reply, feed);
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (presented !== undefined && sameSecret(presented, token)) return;
  if (presented !== undefined) feed.authFailures.recordFailure(address, now);
  reply.header('www-authenticate', 'Bearer realm="nugget metrics"');
  throw unauthenticated(
    presented === undefined ? 'metrics_token_missing' : 'metrics_token_invalid',
    presented === undefined
      ? '/metrics needs the --metrics-token of this server: send it as Authorization: Bearer <token>.'
      : 'The bearer token is not the --metrics-token of this server.',
  );
}
