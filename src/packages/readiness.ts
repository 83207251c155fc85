// Is this node able to serve? What /health/ready answers (docs/operations.md, "Health"): the database answers a
// query (a feed's stamp, a primary-key lookup every read asks anyway) and the blob store takes a small probe blob, gives
// it back unchanged and deletes it. Load balancers poll this every few seconds on every node, so a result is kept
// for a short while and checks already running are shared: however often it is asked, the storage sees at most one
// probe per node per `cacheMs`. Each check has a deadline; a check that is still running when the next one is due
// (a store that hangs) counts as failed instead of starting another.
import { randomUUID } from 'node:crypto';
import type { BlobStore } from './ports.ts';

export interface CheckResult {
  readonly ok: boolean;
  readonly ms: number;
  /** Why it failed, for the one who polls: an error code or 'timed out', never a message with hosts or paths. */
  readonly error?: string | undefined;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: { readonly database: CheckResult; readonly storage: CheckResult };
}

export interface ReadinessOptions {
  /** How long one result is kept (default 2 s). */
  readonly cacheMs?: number | undefined;
  /** The deadline of each check (default 3 s). */
  readonly timeoutMs?: number | undefined;
  /** Told of each failed check with its full error (the server logs it). */
  readonly onFailure?: ((check: keyof Readiness['checks'], error: unknown) => void) | undefined;
}

export interface ReadinessDeps {
  /** One cheap query; it fails when the database does not answer. */
  readonly queryDatabase: () => Promise<unknown>;
  readonly blobs: BlobStore;
}

const probeContent = Buffer.from('nugget readiness probe\n');

class TimedOut extends Error {
  override readonly name = 'TimedOut';
}

/** The short, safe reason of a failure: a system error code (ECONNREFUSED, ENOTDIR ...) or the error's name. */
function reasonOf(error: unknown): string {
  if (error instanceof TimedOut) return error.message;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : 'failed';
}

export class ReadinessCheck {
  readonly #deps: ReadinessDeps;
  readonly #cacheMs: number;
  readonly #timeoutMs: number;
  readonly #onFailure: ReadinessOptions['onFailure'];
  // One folder per process: nodes sharing a store never touch each other's probe.
  readonly #probeKey = `health/${randomUUID()}/probe`;
  #last: { readonly at: number; readonly result: Promise<Readiness> } | undefined;
  readonly #running = new Set<keyof Readiness['checks']>();

  constructor(deps: ReadinessDeps, options: ReadinessOptions = {}) {
    this.#deps = deps;
    this.#cacheMs = options.cacheMs ?? 2000;
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#onFailure = options.onFailure;
  }

  check(): Promise<Readiness> {
    const now = Date.now();
    if (this.#last && now - this.#last.at < this.#cacheMs) return this.#last.result;
    const result = this.#checkNow();
    this.#last = { at: now, result };
    return result;
  }

  async #checkNow(): Promise<Readiness> {
    const [database, storage] = await Promise.all([
      this.#timed('database', async () => {
        await this.#deps.queryDatabase();
      }),
      this.#timed('storage', () => this.#storageRoundTrip()),
    ]);
    return { ready: database.ok && storage.ok, checks: { database, storage } };
  }

  async #storageRoundTrip(): Promise<void> {
    const { blobs } = this.#deps;
    await blobs.put(this.#probeKey, probeContent);
    const blob = await blobs.open(this.#probeKey);
    if (!blob)
      throw Object.assign(new Error('the probe blob was not there after it was stored'), { code: 'lost' });
    const chunks: Buffer[] = [];
    for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
    if (!Buffer.concat(chunks).equals(probeContent)) {
      throw Object.assign(new Error('the probe blob came back changed'), { code: 'corrupt' });
    }
    await blobs.deletePrefix(this.#probeKey.slice(0, this.#probeKey.lastIndexOf('/')));
  }

  async #timed(name: keyof Readiness['checks'], run: () => Promise<void>): Promise<CheckResult> {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    if (this.#running.has(name)) {
      const error = new TimedOut(`the previous check has not finished after ${this.#timeoutMs} ms`);
      this.#onFailure?.(name, error);
      return { ok: false, ms: 0, error: error.message };
    }
    this.#running.add(name);
    const work = run().finally(() => this.#running.delete(name));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimedOut(`timed out after ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      timer.unref();
    });
    try {
      await Promise.race([work, deadline]);
      return { ok: true, ms: ms() };
    } catch (error) {
      this.#onFailure?.(name, error);
      return { ok: false, ms: ms(), error: reasonOf(error) };
    } finally {
      clearTimeout(timer);
      // A check that lost the race still ends some time; its rejection is already reported.
      work.catch(() => {});
    }
  }
}
