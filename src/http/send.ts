import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

const gzipAccepted = new Map<string, boolean>();

/**
 * Whether an Accept-Encoding value admits gzip: listed (or '*') with a q-value above zero (RFC 9110 §12.5.3).
 * Memoized: clients send a handful of distinct values, and this runs on every answer of the read path.
 */
export function gzipAcceptedBy(header: string | undefined): boolean {
  if (!header) return false;
  let known = gzipAccepted.get(header);
  if (known === undefined) {
    let gzip: number | undefined;
    let star: number | undefined;
    for (const entry of header.split(',')) {
      const [coding = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
      const qParam = params.find((p) => p.startsWith('q='));
      const q = qParam ? Number(qParam.slice(2)) : 1;
      const weight = Number.isFinite(q) ? q : 0;
      if (coding === 'gzip' || coding === 'x-gzip') gzip = weight;
      else if (coding === '*') star = weight;
    }
    known = (gzip ?? star ?? 0) > 0;
    if (gzipAccepted.size > 100) gzipAccepted.clear();
    gzipAccepted.set(header, known);
  }
  return known;
}

export const acceptsGzip = (request: FastifyRequest): boolean =>
  gzipAcceptedBy(request.headers['accept-encoding']);

/**
 * Sends a JSON document, gzipped when the client accepts it (the NuGet client always sends
 * `Accept-Encoding: gzip, deflate`). `identity` forces an uncompressed answer: the plain
 * RegistrationsBaseUrl hive is documented as not compressed.
 */
export function sendJson(
  request: FastifyRequest,
  reply: FastifyReply,
  document: unknown,
  options: { identity?: boolean; cacheControl?: string } = {},
): FastifyReply {
  const body = Buffer.from(JSON.stringify(document));
  reply.header('content-type', 'application/json; charset=utf-8');
  if (options.cacheControl) reply.header('cache-control', options.cacheControl);
  if (!options.identity) reply.header('vary', 'Accept-Encoding');
  if (!options.identity && body.length > 512 && acceptsGzip(request)) {
    const gz = gzipSync(body);
    reply.header('content-encoding', 'gzip');
    reply.header('content-length', gz.length);
    return reply.send(gz);
  }
  reply.header('content-length', body.length);
  return reply.send(body);
}
