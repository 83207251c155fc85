// Cached answers for the read path (restore lives on it). Every entry carries the change stamp it was built at
// (ChangeStamps: the latest catalog entry, for the feed or for one id) and is used only while the database still
// reports that stamp, so a push through any node is visible through every node at once: the cache can make an
// answer faster, never older. A byte budget bounds memory; the least recently used entries go first.
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isNuggetError, type NuggetError } from '../errors.ts';
import { statusOfError } from './error-handler.ts';
import type { ChangeStamps } from '../packages/ports.ts';
import { collectStaleMarks } from '../packages/stale-marks.ts';
import { ByteLru } from './byte-lru.ts';
import type { FrontCache, FrontStamps } from './front-cache.ts';
import { CacheStats } from './metrics.ts';
import { entityTag, gzipEntityTag, ifNoneMatchMatches } from './conditional.ts';
import { acceptsGzip, sendNotModified } from './send.ts';

interface Stamped<T> {
  /** The feed's stamp when the entry was last known to be current. */
  global: number;
  /** The id's stamp when it was built, for documents about one id. */
  readonly scoped: number | undefined;
  readonly value: T;
  readonly expiresAt: number;
  /** A rebuild after the max age is under way. */
  refreshing: boolean;
}

export interface StampedValue<T> {
  readonly value: T;
  readonly global: number;
  readonly scoped: number | undefined;
  readonly expiresAt: number;
}

/** What a cached value depends on: the whole feed, or (cheaper to keep) one package id. */
export interface Freshness {
  /** The feed the value belongs to: values are kept per feed, and checked against its stamps. */
  readonly feed: string;
  readonly stamps: ChangeStamps;
  readonly lowerId?: string | undefined;
  /** For values that also show what stamps do not track (download counts in search). */
  readonly maxAgeMs?: number | undefined;
}

/**
 * Values valid at a change stamp. Each read asks the feed's stamp (one index-only lookup of the latest catalog
 * entry); an entry built at that stamp is current. When the feed has changed since, a document about one id is
 * still current if that id's own stamp has not moved, and is then re-stamped, so pushes of other packages do not
 * empty the cache.
 */
/** Rebuilds behind answers in flight at once (StampedCache#scheduleBehind). */
const maxRebuildsBehind = 4;
/**
 * Rebuilds behind answers waiting for a place; an answer that turns old while this many wait is rebuilt when it is
 * read again after one of them started (it is still current at its stamp, its download counts only older).
 */
const maxRebuildsWaiting = 1000;

/** A rebuild behind an answer, waiting: the entry only weakly, so that waiting keeps no evicted answer alive. */
interface WaitingRebuild<T> {
  readonly key: string;
  readonly entry: WeakRef<Stamped<T>>;
  readonly run: () => Promise<unknown>;
}

export class StampedCache<T> {
  /** Answers given from the cache at the current stamp, and those that had to be built. */
  readonly stats = new CacheStats();
  readonly #lru: ByteLru<Stamped<T>>;
  /**
   * Builds in progress, by key and the stamps they are built at: requests that miss while one runs wait for it
   * instead of building the same value again. Without this, a hot document that changes (or a search nobody has
   * asked yet) under 50 concurrent clients was built 50 times at once, each build as slow as the others.
   */
  readonly #building = new Map<string, Promise<StampedValue<T>>>();
  /**
   * Rebuilds behind an answer, each started from a turn of the event loop of its own, at most a few in flight.
   * Answers built together (a warm cache, a busy minute) turn old together: rebuilt all at once, their synchronous
   * database work (SQLite) ran back to back while every request waited, 100 search answers at a time. A rebuild
   * that waits (PostgreSQL, an upstream) holds one place only, so a slow upstream does not hold up the others.
   * While they wait, the answers they are for may be pushed out of the cache: a rebuild whose answer is gone is
   * dropped when its turn comes, and the queue holds the answers weakly and is bounded, so a slow upstream under
   * many distinct requests keeps no more than the cache's budget (it kept every answer waiting: 38 MB for 1).
   */
  readonly #behind: WaitingRebuild<T>[] = [];
  #behindRunning = 0;
  #behindScheduled = false;

  constructor(maxBytes: number) {
    this.#lru = new ByteLru(maxBytes);
  }

  async getOrBuild(
    key: string,
    freshness: Freshness,
    build: () => Promise<{ value: T; bytes: number }>,
  ): Promise<T> {
    return (await this.getOrBuildStamped(key, freshness, build)).value;
  }

  /** The value with the stamps it is known current at (what a front-cache entry may be stored under). */
  async getOrBuildStamped(
    name: string,
    freshness: Freshness,
    build: () => Promise<{ value: T; bytes: number; maxAgeMs?: number | undefined }>,
  ): Promise<StampedValue<T>> {
    const { stamps, lowerId } = freshness;
    const key = `${freshness.feed}\n${name}`;
    const global = await stamps.latest();
    const entry = this.#lru.get(key);
    let scoped: number | undefined;
    if (entry) {
      let current = entry.global === global;
      if (!current && lowerId !== undefined && entry.scoped !== undefined) {
        scoped = await stamps.latestFor(lowerId);
        current = scoped === entry.scoped;
        if (current) entry.global = global;
      }
      if (current) {
        this.stats.hits++;
        // Past its max age but at the current stamp: only what stamps do not track (download counts) may have
        // moved, so answer now and rebuild behind the answer, once, instead of making this request wait.
        if (entry.expiresAt <= Date.now() && !entry.refreshing && this.#behind.length < maxRebuildsWaiting) {
          entry.refreshing = true;
          const waiting = new WeakRef(entry);
          const scopedAt = entry.scoped;
          this.#rebuildBehind({
            key,
            entry: waiting,
            run: () =>
              this.#build(key, freshness, global, scopedAt, build).catch(() => {
                const failed = waiting.deref();
                if (failed) failed.refreshing = false;
              }),
          });
        }
        return { value: entry.value, global, scoped: entry.scoped, expiresAt: entry.expiresAt };
      }
    }
    this.stats.misses++;
    // Stamps are read before the data: a value built now is at least as new as the stamps it is stored with.
    if (lowerId !== undefined && scoped === undefined) scoped = await stamps.latestFor(lowerId);
    // A build already under way at the same stamps gives the value this one would: share it.
    const flight = `${key}\n${global}\n${scoped ?? ''}`;
    const running = this.#building.get(flight);
    if (running) return running;
    const building = this.#build(key, freshness, global, scoped, build).finally(() =>
      this.#building.delete(flight),
    );
    this.#building.set(flight, building);
    return building;
  }

  #rebuildBehind(rebuild: WaitingRebuild<T>): void {
    this.#behind.push(rebuild);
    this.#scheduleBehind();
  }

  #scheduleBehind(): void {
    if (this.#behindScheduled || this.#behind.length === 0 || this.#behindRunning >= maxRebuildsBehind)
      return;
    this.#behindScheduled = true;
    setImmediate(() => {
      this.#behindScheduled = false;
      let next = this.#behind.shift();
      // An answer pushed out of the cache (or replaced) since is not rebuilt: the next read builds it if wanted.
      while (next && !this.#stillCached(next)) next = this.#behind.shift();
      if (!next) return;
      const { run } = next;
      this.#behindRunning++;
      void run().finally(() => {
        this.#behindRunning--;
        this.#scheduleBehind();
      });
      this.#scheduleBehind();
    });
  }

  #stillCached(rebuild: WaitingRebuild<T>): boolean {
    const entry = rebuild.entry.deref();
    return entry !== undefined && this.#lru.peek(rebuild.key) === entry;
  }

  async #build(
    key: string,
    freshness: Freshness,
    global: number,
    scoped: number | undefined,
    build: () => Promise<{ value: T; bytes: number; maxAgeMs?: number | undefined }>,
  ): Promise<StampedValue<T>> {
    const built = await build();
    const maxAgeMs = Math.min(
      freshness.maxAgeMs ?? Number.POSITIVE_INFINITY,
      freshness.stamps.maxAgeMs ?? Number.POSITIVE_INFINITY,
      built.maxAgeMs ?? Number.POSITIVE_INFINITY,
    );
    const expiresAt = Date.now() + maxAgeMs;
    this.#lru.set(
      key,
      { global, scoped, value: built.value, expiresAt, refreshing: false },
      built.bytes + key.length + 64,
    );
    return { value: built.value, global, scoped, expiresAt };
  }
}

const reasonPhrase = (message: string): string =>
  message
    .replace(/[^\x20-\x7e]/g, ' ')
    .slice(0, 300)
    .trim();

/** A finished answer: status, body and its gzip twin with their validators, ready to send as they are. */
export interface CachedResponse {
  readonly status: number;
  readonly reason?: string | undefined;
  readonly body: Buffer;
  readonly gzip?: Buffer | undefined;
  /** Strong ETags of the body and of its gzip twin, for 200 answers (conditional.ts). */
  readonly etag?: string | undefined;
  readonly gzipEtag?: string | undefined;
  /** The upstream feeds this answer had to be made without (X-Nugget-Stale, docs/upstreams.md). */
  readonly stale?: string | undefined;
  /** A stale answer made while the breaker was still closed: built again soon. */
  readonly retrySoon?: boolean | undefined;
}

/**
 * A stale answer made while the upstream's breaker was closed is rebuilt this soon, so that it is current again
 * shortly after a passing failure. While a breaker is open its state is part of the change stamps: the answer is
 * rebuilt when it half-opens (a trial) and when it closes or opens again.
 */
const staleMaxAgeMs = 15_000;

export interface CachedJsonOptions {
  readonly key: string;
  readonly freshness: Freshness;
  /** Builds the document; a NotFound NuggetError is cached as the 404 it becomes. */
  readonly build: () => Promise<unknown>;
  /** The plain RegistrationsBaseUrl hive is documented as not compressed. */
  readonly identity?: boolean;
  readonly cacheControl?: string;
  /** Where finished answers are also kept for the raw-HTTP fast path (front-cache.ts), when it is on. */
  readonly front?: FrontPlacement | undefined;
}

/** The raw-HTTP fast path, for an answer of a public feed. */
export interface FrontPlacement {
  readonly cache: FrontCache;
  readonly stamps: FrontStamps;
  /** The feed's settings stamp, read before the request was authorized. */
  readonly settings: number;
}

async function buildResponse(options: CachedJsonOptions): Promise<CachedResponse> {
  const { value, stale, retrySoon } = await collectStaleMarks(
    async (): Promise<{ document: unknown; notFound?: undefined } | { notFound: NuggetError }> => {
      try {
        return { document: await options.build() };
      } catch (error) {
        if (!isNuggetError(error) || error.kind !== 'NotFound') throw error;
        return { notFound: error };
      }
    },
  );
  const staleHeader = stale.length > 0 ? stale.join(', ') : undefined;
  if (value.notFound) {
    const error = value.notFound;
    // Restores ask every source for every id: "not here" is the most common answer a feed gives.
    const body = Buffer.from(JSON.stringify({ error: { code: error.code, message: error.message } }));
    return { status: statusOfError(error), reason: error.message, body, stale: staleHeader, retrySoon };
  }
  const body = Buffer.from(JSON.stringify(value.document));
  const gzip = !options.identity && body.length > 512 ? gzipSync(body) : undefined;
  // The validators are worked out here, once per build: every later answer only compares strings.
  const etag = entityTag(body);
  return {
    status: 200,
    body,
    gzip,
    etag,
    gzipEtag: gzip && gzipEntityTag(etag),
    stale: staleHeader,
    retrySoon,
  };
}

/**
 * Sends a JSON document from the read cache, building it when the cache has no current one: with its strong
 * ETag, and 304 to a GET or HEAD whose If-None-Match matches it (RFC 9110 §13.1.2). The answer is also kept for
 * the fast path, which answers the same way.
 */
export async function sendCachedJson(
  request: FastifyRequest,
  reply: FastifyReply,
  cache: StampedCache<CachedResponse>,
  options: CachedJsonOptions,
): Promise<FastifyReply> {
  const stamped = await cache.getOrBuildStamped(options.key, options.freshness, async () => {
    const built = await buildResponse(options);
    return {
      value: built,
      bytes: built.body.length + (built.gzip?.length ?? 0),
      maxAgeMs: built.retrySoon ? staleMaxAgeMs : undefined,
    };
  });
  const response = stamped.value;
  const cacheControl = options.cacheControl && response.status === 200 ? options.cacheControl : undefined;
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    ...(cacheControl ? { 'cache-control': cacheControl } : {}),
    ...(options.identity ? {} : { vary: 'Accept-Encoding' }),
    ...(response.stale ? { 'x-nugget-stale': response.stale } : {}),
  };
  options.front?.cache.put(request.raw, {
    stamps: options.front.stamps,
    settings: options.front.settings,
    status: response.status,
    reason: response.reason && reasonPhrase(response.reason),
    headers,
    body: response.body,
    gzip: response.gzip,
    etag: response.etag,
    gzipEtag: response.gzipEtag,
    route: request.routeOptions.url ?? '',
    global: stamped.global,
    lowerId: options.freshness.lowerId,
    scoped: stamped.scoped,
    expiresAt: stamped.expiresAt,
  });
  const gzip = response.gzip !== undefined && acceptsGzip(request);
  const etag = gzip ? response.gzipEtag : response.etag;
  if (etag !== undefined) {
    reply.header('etag', etag);
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      return sendNotModified(reply, cacheControl, !options.identity);
    }
  }
  if (response.reason) reply.raw.statusMessage = reasonPhrase(response.reason);
  reply.code(response.status).headers(headers);
  if (gzip) {
    return reply
      .header('content-encoding', 'gzip')
      .header('content-length', response.gzip!.length)
      .send(response.gzip);
  }
  return reply.header('content-length', response.body.length).send(response.body);
}
