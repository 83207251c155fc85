// Cached answers for the read path (restore lives on it). Every entry carries the change stamp it was built at
// (ChangeStamps: the latest catalog entry, for the feed or for one id) and is used only while the database still
// reports that stamp, so a push through any node is visible through every node at once: the cache can make an
// answer faster, never older. A byte budget bounds memory; the least recently used entries go first.
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isNuggetError } from '../errors.ts';
import { statusOfError } from './error-handler.ts';
import { acceptsGzip } from './send.ts';

interface Entry<T> {
  readonly stamp: number;
  readonly value: T;
  readonly bytes: number;
  readonly expiresAt: number;
}

export class StampedCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get(key: string, stamp: number, now = Date.now()): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.stamp !== stamp || entry.expiresAt <= now) {
      this.#delete(key, entry);
      return undefined;
    }
    // Map order is insertion order: re-inserting marks the entry as recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, stamp: number, value: T, bytes: number, maxAgeMs = Number.POSITIVE_INFINITY): void {
    if (bytes > this.#maxBytes / 8) return;
    const old = this.#entries.get(key);
    if (old) this.#delete(key, old);
    this.#entries.set(key, { stamp, value, bytes, expiresAt: Date.now() + maxAgeMs });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#delete(oldest, entry);
    }
  }

  #delete(key: string, entry: Entry<T>): void {
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** A finished answer: status, body and its gzip twin, ready to send as they are. */
export interface CachedResponse {
  readonly status: number;
  readonly reason?: string | undefined;
  readonly body: Buffer;
  readonly gzip?: Buffer | undefined;
}

export interface CachedJsonOptions {
  readonly key: string;
  readonly stamp: number;
  /** Builds the document; a NotFound NuggetError is cached as the 404 it becomes. */
  readonly build: () => Promise<unknown>;
  /** The plain RegistrationsBaseUrl hive is documented as not compressed. */
  readonly identity?: boolean;
  readonly cacheControl?: string;
  /** For answers that also show what stamps do not track (download counts in search). */
  readonly maxAgeMs?: number;
}

async function buildResponse(options: CachedJsonOptions): Promise<CachedResponse> {
  try {
    const body = Buffer.from(JSON.stringify(await options.build()));
    const gzip = !options.identity && body.length > 512 ? gzipSync(body) : undefined;
    return { status: 200, body, gzip };
  } catch (error) {
    if (!isNuggetError(error) || error.kind !== 'NotFound') throw error;
    // Restores ask every source for every id: "not here" is the most common answer a feed gives.
    const body = Buffer.from(JSON.stringify({ error: { code: error.code, message: error.message } }));
    return { status: statusOfError(error), reason: error.message, body };
  }
}

export async function sendCachedJson(
  request: FastifyRequest,
  reply: FastifyReply,
  cache: StampedCache<CachedResponse>,
  options: CachedJsonOptions,
): Promise<FastifyReply> {
  let response = cache.get(options.key, options.stamp);
  if (!response) {
    response = await buildResponse(options);
    cache.set(
      options.key,
      options.stamp,
      response,
      response.body.length + (response.gzip?.length ?? 0) + options.key.length + 64,
      options.maxAgeMs,
    );
  }
  if (response.reason) reply.raw.statusMessage = response.reason.replace(/[^\x20-\x7e]/g, ' ').slice(0, 300);
  reply.code(response.status).header('content-type', 'application/json; charset=utf-8');
  if (options.cacheControl && response.status === 200) reply.header('cache-control', options.cacheControl);
  if (!options.identity) reply.header('vary', 'Accept-Encoding');
  if (response.gzip && acceptsGzip(request)) {
    return reply
      .header('content-encoding', 'gzip')
      .header('content-length', response.gzip.length)
      .send(response.gzip);
  }
  return reply.header('content-length', response.body.length).send(response.body);
}
