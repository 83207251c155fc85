// Response headers that keep a browser from misreading what the feed serves. Every response gets
// `X-Content-Type-Options: nosniff` (a package's readme or a JSON error must never be sniffed as HTML or script);
// HTML pages, which a web UI will serve, also get a deny-by-default Content-Security-Policy and may not be framed or
// leak their URL. https://owasp.org/www-project-secure-headers/ and https://developer.mozilla.org/docs/Web/HTTP/CSP
import type { FastifyInstance } from 'fastify';

/** For text/html: nothing loads unless a page's own origin serves it; no plugins, no framing, no inline script. */
export const htmlContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // Icons and readme images are on their authors' hosts, as on nuget.org; an image runs nothing.
  "img-src 'self' data: https:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function installSecurityHeaders(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every response, restores included, and needs no promise.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    if (/^\s*text\/html\b/i.test(String(reply.getHeader('content-type') ?? ''))) {
      reply.header('content-security-policy', htmlContentSecurityPolicy);
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'no-referrer');
    }
    done(null, payload);
  });
}
