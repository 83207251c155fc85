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
import type { Feed } from './feed.ts';
import { privateFeed } from './private-feed.ts';
import { clientAddress, principalOf } from './request-auth.ts';
import { requestLogLine } from './request-log.ts';
import { adminRoutes } from './routes/admin.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { packageContentRoutes } from './routes/package-content.ts';
import { operationsRoutes } from './routes/operations.ts';
import { packagePublishRoutes } from './routes/package-publish.ts';
import { registrationRoutes } from './routes/registration.ts';
import { searchRoutes } from './routes/search.ts';
import { serviceIndexRoutes } from './routes/service-index.ts';
import { symbolRoutes } from './routes/symbols.ts';
import { vulnerabilityInfoRoutes } from './routes/vulnerability-info.ts';

export interface AppOptions {
  readonly logger?: FastifyServerOptions['loggerInstance'];
  readonly https?: { key: Buffer; cert: Buffer } | undefined;
  /** Default {@link defaultServerTimeouts}; `bodyIdleMs` is --upload-timeout. */
  readonly timeouts?: ServerTimeouts | undefined;
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
          if (hasRequestBody(request.headers) || !front.serve(request, response)) handler(request, response);
        }
      : handler;
    return createNodeServer(listener, { timeouts, tls }) as ReturnType<FastifyServerFactory>;
  };
}

/** The Fastify application: every V3 resource under /v3/. */
export async function buildApp(feed: Feed, options: AppOptions = {}): Promise<FastifyInstance> {
  const front = feed.caches.front;
  const requests = feed.metrics.requests;
  // Every answer Fastify gives is counted by route pattern (metrics.ts) and, when request lines are logged at all
  // (--log-level info or finer), logged (request-log.ts): building a log object pino then drops would still cost
  // every request. The fast path does both for the answers it gives (front-cache.ts).
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
    trustProxy: feed.options.trustProxy ? (_address: string, hop: number) => hop === 0 : false,
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

  // Before every route: with --private, each read needs credentials.
  privateFeed(app, feed);
  serviceIndexRoutes(app, feed);
  packagePublishRoutes(app, feed);
  packageContentRoutes(app, feed);
  registrationRoutes(app, feed);
  searchRoutes(app, feed);
  catalogRoutes(app, feed);
  vulnerabilityInfoRoutes(app, feed);
  symbolRoutes(app, feed);
  adminRoutes(app, feed);
  operationsRoutes(app, feed);
  return app;
}
