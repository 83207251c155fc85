// The raw-HTTP fast path of the read path. Restore traffic asks for the same version lists, registrations and
// small nupkgs over and over; once a route has answered one, the finished answer (status, headers, body and its
// gzip twin) is kept here by request, and the next identical GET or HEAD is answered straight from node:http,
// before Fastify parses anything. Every answer is checked against the change stamps first, synchronously, exactly
// as the route caches are (response-cache.ts): a write through any node is seen at once, never an older answer.
// Used only where the stamps can be read synchronously (embedded SQLite), and only for public feeds' answers: a
// private feed must authenticate every request, which is Fastify's job. Each entry carries its feed's stamps; a
// feed's stamp moves with its settings too, so a feed made private (or deleted) stops being answered from here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChangeStamps } from '../packages/ports.ts';
import { ByteLru } from './byte-lru.ts';
import { gzipAcceptedBy } from './send.ts';

export interface FrontEntry {
  readonly status: number;
  readonly reason?: string | undefined;
  /** Everything but content-length and content-encoding, which follow the body sent. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly gzip?: Buffer | undefined;
  /** The stamps of the answer's feed, and the ones the answer is current at (see StampedCache). */
  readonly stamps: SyncStamps;
  global: number;
  /** The feed's settings stamp when the answer was built: a settings change (private) invalidates every answer. */
  readonly settings: number;
  readonly lowerId?: string | undefined;
  readonly scoped?: number | undefined;
  readonly expiresAt: number;
  /** Runs on each GET answered from here (download counts). */
  readonly onHit?: (() => void) | undefined;
}

export type SyncStamps = NonNullable<ChangeStamps['sync']>;

export interface FrontCacheOptions {
  readonly trustProxy: boolean;
  readonly maxBytes: number;
  /** Called with each answer given here, for the request log. */
  readonly onServed?: ((request: IncomingMessage, status: number, startedAt: bigint) => void) | undefined;
}

/** An entry with its response heads written out once: [name, value, name, value, ...] for writeHead. */
interface Prepared {
  readonly entry: FrontEntry;
  readonly identityHead: string[];
  readonly gzipHead: string[] | undefined;
}

function head(entry: FrontEntry, body: Buffer, gzip: boolean): string[] {
  const flat: string[] = [];
  for (const name in entry.headers) flat.push(name, entry.headers[name]!);
  flat.push('x-content-type-options', 'nosniff');
  if (gzip) flat.push('content-encoding', 'gzip');
  flat.push('content-length', String(body.length));
  return flat;
}

export class FrontCache {
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
    const prepared: Prepared = {
      entry,
      identityHead: head(entry, entry.body, false),
      gzipHead: entry.gzip && head(entry, entry.gzip, true),
    };
    this.#lru.set(key, prepared, entry.body.length + (entry.gzip?.length ?? 0) + key.length + 512);
  }

  /** Answers the request if a current answer is kept; false hands it on to Fastify. */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    const key = this.#keyOf(request);
    if (key === undefined) return false;
    const prepared = this.#lru.get(key);
    if (!prepared) return false;
    const { entry } = prepared;
    if (entry.expiresAt <= Date.now()) return false;
    const global = entry.stamps.latest();
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
    const startedAt = process.hrtime.bigint();
    const gzip = prepared.gzipHead !== undefined && gzipAcceptedBy(request.headers['accept-encoding']);
    const body = gzip ? entry.gzip! : entry.body;
    const headers = gzip ? prepared.gzipHead! : prepared.identityHead;
    if (entry.reason) response.writeHead(entry.status, entry.reason, headers);
    else response.writeHead(entry.status, headers);
    if (request.method === 'GET') {
      entry.onHit?.();
      response.end(body);
    } else {
      response.end();
    }
    this.#options.onServed?.(request, entry.status, startedAt);
    return true;
  }
}
