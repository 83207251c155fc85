// The raw-HTTP fast path of the read path. Restore traffic asks for the same version lists, registrations and
// small nupkgs over and over; once a route has answered one, the finished answer (status, headers, body and its
// gzip twin) is kept here by request, and the next identical GET or HEAD is answered straight from node:http,
// before Fastify parses anything. Every answer is checked against the change stamps first, synchronously, exactly
// as the route caches are (response-cache.ts): a write through any node is seen at once, never an older answer.
// Only for public feeds' answers: a private feed must authenticate every request, which is Fastify's job. Where
// stamps take a round trip (PostgreSQL), the check waits for a query sent after the request arrived (shared by the
// requests checking the same feed at the same time, storage/sql/shared-stamp-reads.ts) and the answer, or the hand
// over to Fastify, follows it: the same guarantee, without Fastify's routing and hooks on every repeat. Each entry carries its feed's stamps; a
// feed's stamp moves with its settings too, so a feed made private (or deleted) stops being answered from here.
// What every answer carries on the other path carries here too: the request metrics (metrics.ts, counters into
// cells looked up when the entry is stored), the request log line (request-log.ts, when the log is on), and the
// validators: ETag, 304 to a matching If-None-Match, and 206/416 for a Range of a package file (conditional.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChangeStamps } from '../packages/ports.ts';
import { moment } from '../storage/coalesced.ts';
import { ByteLru } from './byte-lru.ts';
import { conditionalAnswer, contentRange } from './conditional.ts';
import { CacheStats, type RequestCell, type RequestMetrics } from './metrics.ts';
import { gzipAcceptedBy } from './send.ts';

export interface FrontEntry {
  readonly status: number;
  readonly reason?: string | undefined;
  /** Everything but content-length, content-encoding and etag, which follow the body sent. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly gzip?: Buffer | undefined;
  /** The strong validators of the body and of its gzip twin (conditional.ts); only on 200 answers. */
  readonly etag?: string | undefined;
  readonly gzipEtag?: string | undefined;
  /** A package file: Range requests get 206 (JSON documents do not take ranges). */
  readonly ranges?: boolean | undefined;
  /** The route pattern that built the answer: the metrics label. */
  readonly route: string;
  /** The stamps of the answer's feed, and the ones the answer is current at (see StampedCache). */
  readonly stamps: FrontStamps;
  global: number;
  /** The feed's settings stamp when the answer was built: a settings change (private) invalidates every answer. */
  readonly settings: number;
  readonly lowerId?: string | undefined;
  readonly scoped?: number | undefined;
  readonly expiresAt: number;
  /** Runs on each download answered from here (download counts): a 200 GET, or a 206 from the first byte. */
  readonly onHit?: (() => void) | undefined;
}

export type SyncStamps = NonNullable<ChangeStamps['sync']>;
/** Read synchronously (embedded SQLite) or over a round trip (PostgreSQL): `latest()` returns a number or a promise. */
export type FrontStamps = SyncStamps | NonNullable<ChangeStamps['async']>;

/** What the request log needs of an answer given here. */
export interface ServedRequest {
  readonly request: IncomingMessage;
  readonly status: number;
  readonly ms: number;
}

export interface FrontCacheOptions {
  readonly trustProxy: boolean;
  readonly maxBytes: number;
  readonly metrics: RequestMetrics;
  /** Called with each answer given here, for the request log. */
  readonly onServed?: ((served: ServedRequest) => void) | undefined;
}

/** One way to send an entry's body: its response head written out once, [name, value, ...] for writeHead. */
interface Representation {
  readonly body: Buffer;
  readonly head: string[];
  readonly etag: string | undefined;
  /** The head of a 304: the validator and the caching headers, no content headers. */
  readonly notModifiedHead: string[] | undefined;
}

/** An entry with everything a request needs worked out when it is stored, not when it is served. */
interface Prepared {
  readonly entry: FrontEntry;
  readonly identity: Representation;
  readonly gzip: Representation | undefined;
  readonly getCell: RequestCell;
  readonly headCell: RequestCell;
}

// Headers a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5).
const notModifiedHeaders = new Set(['cache-control', 'vary', 'expires', 'content-location']);

function representation(entry: FrontEntry, body: Buffer, gzip: boolean): Representation {
  const etag = gzip ? entry.gzipEtag : entry.etag;
  const head: string[] = [];
  const notModified: string[] = [];
  for (const name in entry.headers) {
    head.push(name, entry.headers[name]!);
    if (notModifiedHeaders.has(name)) notModified.push(name, entry.headers[name]!);
  }
  head.push('x-content-type-options', 'nosniff');
  notModified.push('x-content-type-options', 'nosniff');
  if (etag) {
    head.push('etag', etag);
    notModified.push('etag', etag);
  }
  if (gzip) head.push('content-encoding', 'gzip');
  head.push('content-length', String(body.length));
  return { body, head, etag, notModifiedHead: etag ? notModified : undefined };
}

export class FrontCache {
  readonly stats = new CacheStats();
  readonly #lru: ByteLru<Prepared>;
  readonly #options: FrontCacheOptions;

  constructor(options: FrontCacheOptions) {
    this.#lru = new ByteLru(options.maxBytes);
    this.#options = options;
  }

  /** What an answer depends on besides the database: the URL, and the headers every URL in it is built from. */
  #keyOf(request: IncomingMessage): string | undefined {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    const { headers } = request;
    let key = `${headers.host ?? ''} ${request.url ?? ''}`;
    if (this.#options.trustProxy) {
      key += ` ${headers['x-forwarded-proto'] ?? ''} ${headers['x-forwarded-host'] ?? ''} ${headers['x-forwarded-prefix'] ?? ''}`;
    }
    return key;
  }

  put(request: IncomingMessage, entry: FrontEntry): void {
    const key = this.#keyOf(request);
    if (key === undefined) return;
    const metrics = this.#options.metrics;
    const prepared: Prepared = {
      entry,
      identity: representation(entry, entry.body, false),
      gzip: entry.gzip && representation(entry, entry.gzip, true),
      getCell: metrics.cell(entry.route, 'GET', entry.status),
      headCell: metrics.cell(entry.route, 'HEAD', entry.status),
    };
    this.#lru.set(key, prepared, entry.body.length + (entry.gzip?.length ?? 0) + key.length + 1024);
  }

  /**
   * Answers the request if a current answer is kept; false hands it on to Fastify. A promise where the stamps take
   * a round trip: true once answered, false (never a rejection) to hand it on.
   */
  serve(request: IncomingMessage, response: ServerResponse): boolean | Promise<boolean> {
    const key = this.#keyOf(request);
    if (key === undefined) return false;
    const startedAt = performance.now();
    const prepared = this.#lru.get(key);
    const current = prepared !== undefined && this.#current(key, prepared.entry);
    if (current === true) {
      this.#send(request, response, prepared!, startedAt);
      return true;
    }
    if (current === false) {
      this.stats.misses++;
      return false;
    }
    return current.then((stillCurrent) => {
      if (!stillCurrent) {
        this.stats.misses++;
        return false;
      }
      this.#send(request, response, prepared!, startedAt);
      return true;
    });
  }

  #send(request: IncomingMessage, response: ServerResponse, prepared: Prepared, startedAt: number): void {
    this.stats.hits++;
    const { entry } = prepared;
    const chosen =
      prepared.gzip !== undefined && gzipAcceptedBy(request.headers['accept-encoding'])
        ? prepared.gzip
        : prepared.identity;
    const { headers } = request;
    const get = request.method === 'GET';
    let status = entry.status;
    if (
      chosen.etag !== undefined &&
      (headers['if-none-match'] !== undefined || (entry.ranges && headers.range !== undefined))
    ) {
      status = this.#serveConditional(request, response, prepared, chosen);
    } else {
      if (entry.reason) response.writeHead(status, entry.reason, chosen.head);
      else response.writeHead(status, chosen.head);
      if (get) {
        entry.onHit?.();
        response.end(chosen.body);
      } else {
        response.end();
      }
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const cell =
      status === entry.status
        ? get
          ? prepared.getCell
          : prepared.headCell
        : this.#options.metrics.cell(entry.route, request.method, status);
    cell.observe(seconds);
    this.#options.onServed?.({ request, status, ms: seconds * 1000 });
  }

  /** Whether a kept answer is still current at the change stamps (re-stamping it when only other ids moved). */
  #current(key: string, entry: FrontEntry): boolean | Promise<boolean> {
    if (entry.expiresAt <= Date.now()) return false;
    // Taken before the stamps are read: the settings stamp may come from the feed-row query the stamp came from.
    const since = moment();
    const global = entry.stamps.latest();
    if (typeof global !== 'number') return this.#currentAfterRoundTrip(key, entry, global, since);
    if (entry.global !== global) {
      if (
        entry.lowerId === undefined ||
        entry.stamps.settings() !== entry.settings ||
        entry.stamps.latestFor(entry.lowerId) !== entry.scoped
      ) {
        this.#lru.delete(key);
        return false;
      }
      entry.global = global;
    }
    return true;
  }

  /** The same check with stamps read over a round trip; a stamp that cannot be read hands the request on. */
  async #currentAfterRoundTrip(
    key: string,
    entry: FrontEntry,
    latest: Promise<number>,
    since: number,
  ): Promise<boolean> {
    try {
      const global = await latest;
      if (entry.global === global) return true;
      if (
        entry.lowerId === undefined ||
        (await entry.stamps.settings(since)) !== entry.settings ||
        (await entry.stamps.latestFor(entry.lowerId)) !== entry.scoped
      ) {
        // Unless another request has kept a newer answer under the key meanwhile.
        if (this.#lru.get(key)?.entry === entry) this.#lru.delete(key);
        return false;
      }
      entry.global = global;
      return true;
    } catch {
      return false;
    }
  }

  /** A request with If-None-Match or Range: rare, so worked out here rather than prepared. */
  #serveConditional(
    request: IncomingMessage,
    response: ServerResponse,
    prepared: Prepared,
    chosen: Representation,
  ): number {
    const { entry } = prepared;
    const size = chosen.body.length;
    const answer = conditionalAnswer(request, { etag: chosen.etag!, size, ranges: entry.ranges === true });
    switch (answer.status) {
      case 304:
        response.writeHead(304, chosen.notModifiedHead);
        response.end();
        return 304;
      case 416:
        response.writeHead(416, [
          ...chosen.notModifiedHead!,
          'content-range',
          contentRange(undefined, size),
          'content-length',
          '0',
        ]);
        response.end();
        return 416;
      case 206: {
        const { start, end } = answer.range;
        const head = chosen.head.slice(0, -2);
        head.push(
          'content-range',
          contentRange(answer.range, size),
          'content-length',
          String(end - start + 1),
        );
        response.writeHead(206, head);
        if (start === 0) entry.onHit?.();
        response.end(chosen.body.subarray(start, end + 1));
        return 206;
      }
      default:
        response.writeHead(entry.status, chosen.head);
        if (request.method === 'GET') {
          entry.onHit?.();
          response.end(chosen.body);
        } else {
          response.end();
        }
        return entry.status;
    }
  }
}
