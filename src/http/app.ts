import { adminRetentionRoutes } from './routes/admin-retention.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerFactory,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { FrontCache } from './front-cache.ts';
import { installErrorHandling, sendError } from './error-handler.ts';
import { closeIfBodyUnread, hasRequestBody, installRequestGuards } from './request-guards.ts';
import { installSecurityHeaders } from './security-headers.ts';
import { createNodeServer, defaultServerTimeouts, type ServerTimeouts } from './server-timeouts.ts';
import type { HttpServices } from './http-services.ts';
import { challengeUnknownUrls, registerFeedRoutes } from './request-feed.ts';
import { clientAddress, principalOf } from './request-auth.ts';
import { requestLogLine } from './request-log.ts';
import { adminWebhookRoutes } from './routes/admin-webhooks.ts';
import { adminRoutes } from './routes/admin.ts';
import { adminFeedRoutes } from './routes/admin-feeds.ts';
import { adminTrustRoutes } from './routes/admin-trust.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { packageContentRoutes } from './routes/package-content.ts';
import { operationsRoutes } from './routes/operations.ts';
import { packagePublishRoutes } from './routes/package-publish.ts';
import { registrationRoutes } from './routes/registration.ts';
import { searchRoutes } from './routes/search.ts';
import { serviceIndexRoutes } from './routes/service-index.ts';
import { symbolRoutes } from './routes/symbols.ts';
import { tokenRoutes } from './routes/token.ts';
import { vulnerabilityInfoRoutes } from './routes/vulnerability-info.ts';
import { webAdminRoutes } from '../web/web-admin.ts';
import { type WebOptions, webRoutes } from '../web/web-routes.ts';

export interface AppOptions {
  readonly logger?: FastifyServerOptions['loggerInstance'];
  readonly https?: { key: Buffer; cert: Buffer } | undefined;
  /** Default {@link defaultServerTimeouts}; `bodyIdleMs` is --upload-timeout. */
  readonly timeouts?: ServerTimeouts | undefined;
  /** The web UI's hooks (src/web/web-routes.ts): where pages learn who reads them, and more navigation. */
  readonly web?: WebOptions | undefined;
}

/**
 * The one server, plain or TLS, with or without the raw-HTTP fast path in front of Fastify: nugget creates it
 * itself so that its timeouts are the ones server-timeouts.ts defines (Fastify applies its own timeout options
 * only to servers it creates). A request with a body always goes on to Fastify, which refuses or reads it.
 */
function serverFactory(
  front: FrontCache | undefined,
  tls: AppOptions['https'],
  timeouts: ServerTimeouts,
): FastifyServerFactory {
  return (handler) => {
    const listener = front
      ? (request: IncomingMessage, response: ServerResponse) => {
          if (hasRequestBody(request.headers)) return handler(request, response);
          const served = front.serve(request, response);
          if (served === false) handler(request, response);
          // Stamps over a round trip (PostgreSQL): Fastify takes the request once the check says it must.
          else if (served !== true) void served.then((answered) => answered || handler(request, response));
        }
      : handler;
    return createNodeServer(listener, { timeouts, tls }) as ReturnType<FastifyServerFactory>;
  };
}

/**
 * The Fastify application: every V3 resource of every feed under /feeds/{name}/v3/, the default feed's also under
 * /v3/ (docs/feeds.md), the server-wide admin API under /admin/, and health and metrics (docs/operations.md).
 */
export async function buildApp(services: HttpServices, options: AppOptions = {}): Promise<FastifyInstance> {
  const front = services.caches.front;
  const requests = services.metrics.requests;
  // Every answer Fastify gives is counted by route pattern (metrics.ts: /feeds/:feed/v3/... for every named feed,
  // so the labels stay few however many feeds there are) and, when request lines are logged at all (--log-level
  // info or finer), logged (request-log.ts): building a log object pino then drops would still cost every
  // request. The fast path does both for the answers it gives (front-cache.ts).
  const logRequests =
    options.logger !== undefined && ['trace', 'debug', 'info'].includes(options.logger.level);
  const recordAnswer = (request: FastifyRequest, reply: FastifyReply) => {
    const ms = reply.elapsedTime;
    requests.cell(request.routeOptions.url, request.method, reply.statusCode).observe(ms / 1000);
    if (logRequests) {
      request.log.info(
        requestLogLine(request, {
          status: reply.statusCode,
          ms,
          address: clientAddress(request),
          keyName: principalOf(request)?.name,
        }),
        'request',
      );
    }
  };
  const timeouts = options.timeouts ?? defaultServerTimeouts;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // One log line per request is written by the onResponse hook below, with the NuGet headers.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: 500 },
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // --trust-proxy: the peer is the proxy in front, and request.ip the address it reports, the last
    // X-Forwarded-For entry (earlier entries are the client's word); the fast path reads it the same way
    // (request-log.ts, clientAddressOf).
    trustProxy: services.options.trustProxy ? (_address: string, hop: number) => hop === 0 : false,
    // --tls-cert/--tls-key: the server speaks HTTPS itself; every URL it prints is then https (base-url.ts).
    // The raw-HTTP fast path (front-cache.ts) answers repeated reads before Fastify; everything else goes on.
    serverFactory: serverFactory(front, options.https, timeouts),
    // Errors Fastify raises before routing (a bad percent-encoding, an over-long parameter) get the same JSON shape.
    frameworkErrors: (error, request, reply) => {
      // These replies run no hooks, so the header every response carries (security-headers.ts) is set here,
      // and the answer is counted and logged here.
      reply.header('x-content-type-options', 'nosniff');
      closeIfBodyUnread(request, reply);
      const status =
        error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      void sendError(reply, status, (error.code ?? 'bad_request').toLowerCase(), error.message);
      recordAnswer(request, reply);
    },
  });

  installErrorHandling(app);
  installSecurityHeaders(app);
  installRequestGuards(app, { bodyIdleMs: timeouts.bodyIdleMs });

  app.addHook('onResponse', (request, reply, done) => {
    recordAnswer(request, reply);
    done();
  });

  // Each feed's routes find the feed first; on a private feed, each read then needs credentials.
  challengeUnknownUrls(app, services);
  await registerFeedRoutes(app, services, (scope) => {
    serviceIndexRoutes(scope, services);
    packagePublishRoutes(scope, services);
    packageContentRoutes(scope, services);
    registrationRoutes(scope, services);
    searchRoutes(scope, services);
    catalogRoutes(scope, services);
    vulnerabilityInfoRoutes(scope, services);
    symbolRoutes(scope, services);
    adminRoutes(scope, services);
    adminRetentionRoutes(scope, services);
    adminWebhookRoutes(scope, services);
  });
  adminFeedRoutes(app, services);
  adminTrustRoutes(app, services);
  tokenRoutes(app, services);
  // The web UI's sign-in and admin pages (src/web/, docs/web-ui.md).
  const web = await webAdminRoutes(app, services);
  // Server-wide, outside every feed: a node's health and metrics are not a feed's.
  operationsRoutes(app, services);
  // The web UI: pages of each feed beside its API (docs/web-ui.md).
  await webRoutes(app, services, {
    ...options.web,
    principalSources: [...web.principalSources, ...(options.web?.principalSources ?? [])],
    nav: (reader) => [...web.nav(reader), ...(options.web?.nav?.(reader) ?? [])],
  });
  return app;
}
