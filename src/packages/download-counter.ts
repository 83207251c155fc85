// Download counts are recorded per version, but not with a database write on every nupkg request:
// restore is the hot path. Counts gather in memory and are flushed in one transaction every interval
// and on shutdown. A crash loses at most one interval of counts, which only statistics read.
import type { Clock, PackageStore } from './ports.ts';

export class DownloadCounter {
  readonly #packages: PackageStore;
  readonly #onError: (error: unknown) => void;
  readonly #clock: Clock;
  /**
   * Counts by lower id, then lower version: a download is two lookups of strings the cached version record holds
   * (their hashes kept by V8), where one key made per download was a new string to build and hash each time.
   */
  #pending = new Map<string, Map<string, { lowerId: string; lowerVersion: string; count: number }>>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    packages: PackageStore,
    options: { intervalMs: number; onError: (error: unknown) => void; clock?: Clock | undefined },
  ) {
    this.#packages = packages;
    this.#onError = options.onError;
    this.#clock = options.clock ?? { now: () => new Date() };
    if (options.intervalMs > 0) {
      this.#timer = setInterval(() => void this.flush(), options.intervalMs);
      this.#timer.unref();
    }
  }

  record(lowerId: string, lowerVersion: string): void {
    let versions = this.#pending.get(lowerId);
    if (!versions) this.#pending.set(lowerId, (versions = new Map()));
    const entry = versions.get(lowerVersion);
    if (entry) entry.count += 1;
    else versions.set(lowerVersion, { lowerId, lowerVersion, count: 1 });
  }

  /** Writes the counts gathered so far; safe to call at any time (flushes never overlap). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#pending.size === 0) return;
      const batch = new Map<string, { lowerId: string; lowerVersion: string; count: number }>();
      for (const versions of this.#pending.values()) {
        for (const entry of versions.values()) batch.set(`${entry.lowerId}/${entry.lowerVersion}`, entry);
      }
      this.#pending = new Map();
      try {
        // The flush time is the batch's last download, to the flush interval (retention's keep-downloaded rule).
        await this.#packages.addDownloads(batch, this.#clock.now());
      } catch (error) {
        this.#onError(error);
      }
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.flush();
  }
}
