// One log line per request, the same on every path a request can take (Fastify's onResponse hook in app.ts, the
// raw-HTTP fast path in front-cache.ts): who asked (client address, honouring --trust-proxy; the API key's name,
// never its secret), what for (method, URL with secrets redacted by the logger, status, time), and the NuGet headers
// worth keeping: X-NuGet-Session-Id ties the requests of one client operation together, X-NuGet-Protocol-Version
// names the client's dialect (../shared/spec/nuget-api/overview.md), User-Agent the client and its version.
// docs/operations.md, "Logs".
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface RequestLogLine {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly status: number;
  /** Milliseconds from the request's arrival to the answer handed to the socket, to 0.1 ms. */
  readonly ms: number;
  readonly address: string | undefined;
  readonly keyName?: string | undefined;
  readonly sessionId?: string | undefined;
  readonly protocolVersion?: string | undefined;
  readonly userAgent?: string | undefined;
  /** Answered by the raw-HTTP fast path. */
  readonly cached?: true | undefined;
}

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

export function requestLogLine(
  request: { method?: string | undefined; url?: string | undefined; headers: IncomingHttpHeaders },
  answer: {
    status: number;
    ms: number;
    address: string | undefined;
    keyName?: string | undefined;
    cached?: true;
  },
): RequestLogLine {
  const { headers } = request;
  return {
    method: request.method,
    url: request.url,
    status: answer.status,
    ms: Math.round(answer.ms * 10) / 10,
    address: answer.address,
    keyName: answer.keyName,
    sessionId: first(headers['x-nuget-session-id']),
    protocolVersion: first(headers['x-nuget-protocol-version']),
    userAgent: first(headers['user-agent']),
    cached: answer.cached,
  };
}

/**
 * The client's address as Fastify's `request.ip` gives it with `trustProxy: 1` (app.ts): the peer, or with
 * --trust-proxy the last X-Forwarded-For entry, the one the proxy in front added (earlier entries are whatever
 * the client sent, and not to be believed).
 */
export function clientAddressOf(request: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const header = request.headers['x-forwarded-for'];
    const forwarded = Array.isArray(header) ? header.join(',') : header;
    if (forwarded) {
      const last = forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
      if (last) return last;
    }
  }
  return request.socket.remoteAddress;
}
