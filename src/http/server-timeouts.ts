// The connection timeouts of every HTTP(S) server nugget creates, defined once: the server that the raw-HTTP fast
// path wraps (front-cache.ts), the one Fastify would make, plain or TLS, all come from createNodeServer, so no
// server falls back to Node's defaults (300 s request timeout, 5 s keep-alive) and each guarantee below holds on
// every path a request can take. The request body's own stall timeout is applied where bodies are read
// (request-guards.ts for bodies Fastify parses, receive-package.ts for pushes), with the same `bodyIdleMs`.
// https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener
import type * as Http from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createRequire } from 'node:module';

// node:http is required, not imported: an ES-module import reads every export of the module, and node:http's
// WebSocket, CloseEvent and MessageEvent getters load Node's bundled undici (some 25 ms of a start's CPU).
const { createServer: createHttpServer } = createRequire(import.meta.url)('node:http') as typeof Http;

export interface ServerTimeouts {
  /**
   * The whole request, headers to last body byte: 0 (none), because a large push over a slow line may take any
   * time; a client that stops sending is caught by `bodyIdleMs` instead.
   */
  readonly requestMs: number;
  /** Request headers must be complete within this (slowloris); also the TLS handshake. */
  readonly headersMs: number;
  /** An idle keep-alive connection is closed after this; above the 60 s idle timeout of common proxies. */
  readonly keepAliveMs: number;
  /** How long a request body may send nothing before it is refused with 408 (--upload-timeout). */
  readonly bodyIdleMs: number;
}

export const defaultServerTimeouts: ServerTimeouts = {
  requestMs: 0,
  headersMs: 30_000,
  keepAliveMs: 65_000,
  bodyIdleMs: 60_000,
};

type Listener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * A node:http server, or node:https with `tls`, with `timeouts` applied. Node checks the header and request
 * timeouts only every `connectionsCheckingInterval` (30 s by default, which would double a 30 s header timeout),
 * so it is checked at a quarter of the header timeout, at most once a second.
 */
export function createNodeServer(
  listener: Listener,
  options: { timeouts: ServerTimeouts; tls?: { key: Buffer; cert: Buffer } | undefined },
): Server {
  const { timeouts, tls } = options;
  const serverOptions = {
    requestTimeout: timeouts.requestMs,
    headersTimeout: timeouts.headersMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(timeouts.headersMs / 4))),
  };
  const server: Server = tls
    ? createHttpsServer({ ...tls, ...serverOptions, handshakeTimeout: timeouts.headersMs }, listener)
    : createHttpServer(serverOptions, listener);
  server.requestTimeout = timeouts.requestMs;
  server.headersTimeout = timeouts.headersMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  // No idle timeout on the socket as such: a long download to a slow reader, or a push being processed, is not
  // idle; the timeouts above and the body stall timeout cover each phase of a request instead.
  server.setTimeout(0);
  return server;
}
