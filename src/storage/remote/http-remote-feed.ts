// Reads another V3 feed over HTTP(S) for `nugget replicate`: JSON documents, and nupkgs streamed to a file.
// undici's fetch on an Agent of our own, so every request has a connect timeout, a timeout for the answer's headers
// and one for a body that stalls (the idle time between two chunks, so a large nupkg on a slow link is not cut).
// Transient failures are retried with backoff (retry-policy.ts); anything else fails at once with one clear line.
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import type { Response } from 'undici';
import { fileSystemFault, tooLarge } from '../../errors.ts';
import { type DownloadedPackage, type RemoteFeed, RemoteFeedError } from '../../packages/remote-feed.ts';
import { PackageFileSink } from '../package-file-sink.ts';
import { LazyAgent } from './lazy-undici.ts';
import {
  classifyStatus,
  defaultRetryPolicy,
  errorCode,
  isTransientError,
  parseRetryAfter,
  type RetryPolicy,
  retryDelayMs,
} from './retry-policy.ts';

export interface RetryNotice {
  readonly url: string;
  /** What went wrong, e.g. 'answered 503 Service Unavailable' or 'closed the connection'. */
  readonly reason: string;
  /** The retry about to happen: 1 for the first. */
  readonly retry: number;
  readonly retries: number;
  readonly delayMs: number;
}

export interface HttpRemoteFeedOptions {
  readonly tempDir: string;
  /** Extra request headers, e.g. Authorization for a private source: sent only to trusted origins (trust()). */
  readonly headers?: Record<string, string>;
  /** For connecting, for the answer's headers, and for each pause in a body. Default 60 s. */
  readonly timeoutMs?: number;
  /**
   * The longest one request may take in all, body included: a source that trickles a byte now and then
   * (slowloris) is cut off here. Default: none.
   */
  readonly deadlineMs?: number;
  /** The User-Agent sent; default nugget-replicate. */
  readonly userAgent?: string;
  readonly retry?: Partial<RetryPolicy>;
  /** Downloads larger than this stop and fail (the feed would refuse the package anyway). */
  readonly maxPackageBytes?: number;
  /** JSON documents larger than this fail. Default 256 MiB (nuget.org's catalog index is a few MB). */
  readonly maxDocumentBytes?: number;
  /** Told before each wait for a retry. */
  readonly onRetry?: (notice: RetryNotice) => void;
  /** For tests: how to wait and where the jitter comes from. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

interface Failure {
  readonly reason: string;
  readonly status?: number;
  readonly retryAfterMs?: number | undefined;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 10;

const describeSeconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export class HttpRemoteFeed implements RemoteFeed {
  readonly #options: HttpRemoteFeedOptions;
  readonly #policy: RetryPolicy;
  readonly #timeoutMs: number;
  /** Created with the first request (undici is loaded then). */
  readonly #agent: LazyAgent;
  /** Origins the source's credentials may go to (see RemoteFeed.trust). */
  readonly #trusted = new Set<string>();

  constructor(options: HttpRemoteFeedOptions) {
    this.#options = options;
    this.#policy = { ...defaultRetryPolicy, ...options.retry };
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#agent = new LazyAgent({
      connect: { timeout: this.#timeoutMs },
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
  }

  /** Closes the kept-alive connections. */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  async getJson(url: string): Promise<unknown> {
    return this.#withRetries(url, async (response) => {
      const bytes = await this.#readAll(url, response);
      // fetch undoes Content-Encoding itself; a body that is still gzip was stored compressed (some static feeds).
      const text =
        bytes[0] === 0x1f && bytes[1] === 0x8b
          ? gunzipSync(bytes, { maxOutputLength: this.#maxDocumentBytes }).toString('utf8')
          : bytes.toString('utf8');
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new RemoteFeedError(
          url,
          `GET ${url} answered ${response.status} with a body that is not JSON.`,
        );
      }
    });
  }

  async download(url: string): Promise<DownloadedPackage | undefined> {
    return this.#withRetries(url, async (response) => {
      if (!response.body)
        throw new RemoteFeedError(url, `GET ${url} answered ${response.status} with no body.`);
      await mkdir(this.#options.tempDir, { recursive: true });
      const path = join(this.#options.tempDir, `replicate-${randomUUID()}.nupkg`);
      const limit = this.#options.maxPackageBytes ?? Number.POSITIVE_INFINITY;
      // Measured, hashed and written as a push is (decision 0026): no chunk waits in a write queue long enough to
      // be promoted and make V8 run full collections during a large download.
      const sink = new PackageFileSink({
        path,
        maxBytes: limit,
        tooLarge: () =>
          tooLarge(
            'replicate_package_too_large',
            `${url} is larger than this feed's maximum package size (${limit} bytes): not copied.`,
          ),
        keepInMemoryBytes: 0,
      });
      try {
        await pipeline(Readable.fromWeb(response.body as WebReadableStream), sink);
      } catch (error) {
        // Removed once the sink has closed it: an open still under way would otherwise make it again.
        if (!sink.closed) await new Promise((resolve) => sink.once('close', resolve));
        await rm(path, { force: true });
        // This server's disk full or failing is its own fault (507 / 503), not the source's: a virtual feed answered
        // a full disk with 404 (the upstream "unavailable") and opened the upstream's breaker.
        throw fileSystemFault(error, 'the folder for packages being copied') ?? error;
      }
      return { path, size: sink.size, sha512: sink.sha512() };
    });
  }

  get #maxDocumentBytes() {
    return this.#options.maxDocumentBytes ?? 256 * 1024 * 1024;
  }

  async #readAll(url: string, response: Response): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of Readable.fromWeb(response.body as WebReadableStream)) {
      size += (chunk as Buffer).length;
      if (size > this.#maxDocumentBytes) {
        throw new RemoteFeedError(
          url,
          `GET ${url} answered more than ${this.#maxDocumentBytes} bytes of JSON.`,
        );
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  /**
   * One GET, read by `read`, again after a transient failure (of the request or of reading its body) until the
   * policy's attempts are spent. Undefined on 404 or 410.
   */
  trust(url: string): void {
    this.#trusted.add(new URL(url).origin);
  }

  /**
   * One GET, following redirects here rather than in fetch: fetch keeps every header but Authorization on a
   * redirect to another origin, and the source's credentials (an X-NuGet-ApiKey, say) must not reach the blob
   * storage or CDN a download is redirected to. Each hop gets them only when its origin is trusted.
   */
  async #get(url: string): Promise<Response> {
    const {
      undici: { fetch },
      agent: dispatcher,
    } = await this.#agent.get();
    // One deadline over every hop and every new connection, not one each.
    const signal =
      this.#options.deadlineMs !== undefined ? AbortSignal.timeout(this.#options.deadlineMs) : undefined;
    let current = new URL(url);
    for (let hop = 0; ; hop += 1) {
      const target = current;
      const response = await onNewConnectionIfClosed(() =>
        fetch(target, {
          dispatcher,
          redirect: 'manual',
          ...(signal ? { signal } : {}),
          headers: {
            'user-agent': this.#options.userAgent ?? 'nugget-replicate',
            ...(this.#trusted.has(target.origin) ? this.#options.headers : {}),
          },
        }),
      );
      const location = redirectStatuses.has(response.status) ? response.headers.get('location') : null;
      if (location === null) return response;
      await response.body?.cancel().catch(() => {});
      if (hop === maxRedirects) {
        throw new RemoteFeedError(url, `GET ${url} was redirected more than ${maxRedirects} times.`);
      }
      current = new URL(location, current);
    }
  }

  async #withRetries<T>(url: string, read: (response: Response) => Promise<T>): Promise<T | undefined> {
    const policy = this.#policy;
    for (let attempt = 1; ; attempt += 1) {
      let failure: Failure;
      try {
        const response = await this.#get(url);
        const kind = classifyStatus(response.status);
        if (kind === 'ok') return await read(response);
        await response.body?.cancel().catch(() => {});
        if (kind === 'absent') return undefined;
        const answer = `answered ${response.status} ${response.statusText}`.trim();
        if (kind === 'refused') {
          throw new RemoteFeedError(url, `GET ${url} ${answer}${refusalHint(response.status)}`, {
            status: response.status,
          });
        }
        failure = {
          reason: answer,
          status: response.status,
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
        };
      } catch (error) {
        if (error instanceof RemoteFeedError || !isTransientError(error)) throw this.#fatal(url, error);
        failure = { reason: this.#describe(error) };
      }
      const retries = policy.attempts - 1;
      if (attempt > retries) {
        throw new RemoteFeedError(
          url,
          `GET ${url} ${failure.reason}, ${attempt} times in a row: giving up for now ` +
            '(what was copied so far is kept; run again to continue).',
          { ...(failure.status ? { status: failure.status } : {}) },
        );
      }
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxRetryAfterMs) {
        throw new RemoteFeedError(
          url,
          `GET ${url} ${failure.reason} and asks to come back in ${describeSeconds(failure.retryAfterMs)}, ` +
            `longer than nugget waits (${describeSeconds(policy.maxRetryAfterMs)}): run again later.`,
          { ...(failure.status ? { status: failure.status } : {}) },
        );
      }
      const delayMs = retryDelayMs(
        policy,
        attempt,
        failure.retryAfterMs,
        this.#options.random ?? Math.random,
      );
      this.#options.onRetry?.({ url, reason: failure.reason, retry: attempt, retries, delayMs });
      await (this.#options.sleep ?? sleep)(delayMs);
    }
  }

  #describe(error: unknown): string {
    const timeout = describeSeconds(this.#timeoutMs);
    switch (errorCode(error)) {
      case 'UND_ERR_CONNECT_TIMEOUT':
        return `could not connect within ${timeout}`;
      case 'UND_ERR_HEADERS_TIMEOUT':
        return `sent no answer within ${timeout}`;
      case 'UND_ERR_BODY_TIMEOUT':
        return `stopped sending its body for ${timeout}`;
      case 'ECONNREFUSED':
        return 'refused the connection';
      case 'ABORT_ERR':
      case 'TimeoutError':
        return `did not finish within ${describeSeconds(this.#options.deadlineMs ?? this.#timeoutMs)}`;
      case 'ECONNRESET':
      case 'UND_ERR_SOCKET':
      case 'UND_ERR_CLOSED':
      case 'EPIPE':
        return 'closed the connection';
      default:
        return `failed (${errorCode(error) ?? (error instanceof Error ? error.message : String(error))})`;
    }
  }

  /** Errors that no retry helps pass through as they are when they already say what to do. */
  #fatal(url: string, error: unknown): Error {
    if (error instanceof Error && (error instanceof RemoteFeedError || error.name === 'NuggetError'))
      return error;
    const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : undefined;
    const detail = cause
      ? `${errorCode(cause) ? `${errorCode(cause)}: ` : ''}${cause.message}`
      : String(error);
    return new RemoteFeedError(url, `GET ${url} failed: ${detail}`, { cause: error });
  }
}

/** Errors of a connection the peer closed before it answered (not refused, not timed out). */
const closedCodes = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
/** Attempts of one GET on connections closed under it, before that counts as the source's failure. */
const closedAttempts = 3;

/**
 * A GET again at once when the connection closed before any answer: a kept-alive connection that the server (or a
 * proxy between) closes for idleness just as a request is sent on it fails that request, and undici does not send
 * it again (it cannot know whether the server saw it; a GET is safe to repeat, RFC 9110 §9.2.2). Under load the
 * two ends' idea of "idle" drift apart by more than undici's margin, so this happens to a healthy upstream: without
 * this, an upstream feed answered that GET from its cache alone (a 404 for a package never cached) and counted a
 * failure towards its breaker. A dead host refuses or times out instead, and fails as fast as before.
 */
async function onNewConnectionIfClosed(send: () => Promise<Response>): Promise<Response> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      const code = errorCode(error);
      if (attempt >= closedAttempts || code === undefined || !closedCodes.has(code)) throw error;
    }
  }
}

function refusalHint(status: number): string {
  if (status === 401) return ': the source wants credentials (send them as a request header).';
  if (status === 403) return ': the credentials sent are not allowed to read the source.';
  return '.';
}
