import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../errors.ts';
import type { BlobRange, StoredBlob } from '../packages/ports.ts';
import {
  conditionalAnswer,
  contentRange,
  entityTag,
  gzipEntityTag,
  ifNoneMatchMatches,
} from './conditional.ts';

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
 * 304 Not Modified (RFC 9110 §15.4.5): the validator (already set), the caching headers the 200 would carry, and
 * neither content headers nor a body.
 */
export function sendNotModified(
  reply: FastifyReply,
  cacheControl: string | undefined,
  varies: boolean,
): FastifyReply {
  if (cacheControl) reply.header('cache-control', cacheControl);
  if (varies) reply.header('vary', 'Accept-Encoding');
  reply.code(304);
  // Fastify answers a HEAD without a payload with `Content-Length: 0`, which a cache would take as the new length
  // of what it holds; an (empty) stream it drains instead, setting no length.
  return reply.request.method === 'HEAD' ? reply.send(Readable.from([])) : reply.send();
}

/**
 * Sends a JSON document, gzipped when the client accepts it (the NuGet client always sends
 * `Accept-Encoding: gzip, deflate`). `identity` forces an uncompressed answer: the plain
 * RegistrationsBaseUrl hive is documented as not compressed. `etag` adds a strong ETag worked out from the
 * body, and answers 304 to a matching If-None-Match: for documents built per request, and cheap to hash.
 */
export function sendJson(
  request: FastifyRequest,
  reply: FastifyReply,
  document: unknown,
  options: { identity?: boolean; cacheControl?: string; etag?: boolean } = {},
): FastifyReply {
  const body = Buffer.from(JSON.stringify(document));
  const gzip = !options.identity && body.length > 512 && acceptsGzip(request);
  if (options.etag) {
    const identityTag = entityTag(body);
    const etag = gzip ? gzipEntityTag(identityTag) : identityTag;
    reply.header('etag', etag);
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      return sendNotModified(reply, options.cacheControl, !options.identity);
    }
  }
  reply.header('content-type', 'application/json; charset=utf-8');
  if (options.cacheControl) reply.header('cache-control', options.cacheControl);
  if (!options.identity) reply.header('vary', 'Accept-Encoding');
  if (gzip) {
    const gz = gzipSync(body);
    reply.header('content-encoding', 'gzip');
    reply.header('content-length', gz.length);
    return reply.send(gz);
  }
  reply.header('content-length', body.length);
  return reply.send(body);
}

export interface StoredFileAnswer {
  /** The strong validator: a stored file's bytes never change under its blob key ({@link blobEntityTag}). */
  readonly etag: string;
  readonly contentType: string;
  readonly cacheControl: string;
  /** Opens the blob again as only the bytes of a range (BlobStore.open with a range). */
  readonly openRange: (range: BlobRange) => Promise<StoredBlob | undefined>;
  /** Counts a download: a 200 GET, or a 206 from the first byte (a resumed download is counted once). */
  readonly onDownload?: (() => void) | undefined;
}

/** The ETag of the file stored under a blob key: keys name one push's bytes forever (publish-package.ts). */
export const blobEntityTag = (key: string): string => entityTag(`blob ${key}`);

/**
 * Sends a package or symbol file, from memory or streamed from the blob store, with its ETag and
 * `Accept-Ranges: bytes`: 304 to a matching If-None-Match, 206 with the one range a GET asks for (If-Range
 * permitting), 416 with `Content-Range: bytes *\/size` for a range past the end (conditional.ts). The fast path
 * answers the same way from the same decision (front-cache.ts).
 */
export async function sendStoredFile(
  request: FastifyRequest,
  reply: FastifyReply,
  file: Buffer | StoredBlob,
  answer: StoredFileAnswer,
): Promise<FastifyReply> {
  const inMemory = Buffer.isBuffer(file);
  const size = inMemory ? file.length : file.size;
  const decision = conditionalAnswer(request, { etag: answer.etag, size, ranges: true });
  if (decision.status !== 200 && !inMemory) file.stream.destroy();
  reply.header('etag', answer.etag).header('cache-control', answer.cacheControl);
  switch (decision.status) {
    case 304:
      return sendNotModified(reply, undefined, false);
    case 416:
      return reply.code(416).header('content-range', contentRange(undefined, size)).send();
    case 206: {
      const { start, end } = decision.range;
      const part = inMemory
        ? file.subarray(start, end + 1)
        : (await answer.openRange(decision.range))?.stream;
      if (part === undefined) {
        throw notFound('file_not_found', 'The file was deleted while this download was being answered.');
      }
      if (start === 0) answer.onDownload?.();
      return reply
        .code(206)
        .header('content-type', answer.contentType)
        .header('accept-ranges', 'bytes')
        .header('content-range', contentRange(decision.range, size))
        .header('content-length', end - start + 1)
        .send(part);
    }
    default:
      if (request.method === 'GET') answer.onDownload?.();
      return reply
        .header('content-type', answer.contentType)
        .header('accept-ranges', 'bytes')
        .header('content-length', size)
        .send(inMemory ? file : file.stream);
  }
}
