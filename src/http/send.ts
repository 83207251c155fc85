import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

const acceptsGzip = (request: FastifyRequest): boolean =>
  /\bgzip\b/i.test(String(request.headers['accept-encoding'] ?? ''));

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
