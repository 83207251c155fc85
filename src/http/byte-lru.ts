import { CacheStats } from './metrics.ts';

interface Held<T> {
  readonly value: T;
  readonly bytes: number;
  /** Read since it was stored or last given its second chance. */
  used: boolean;
}

/**
 * A map bounded by bytes that evicts the least recently used entries first, approximately: the largest entries
 * are refused, and eviction goes oldest first, giving each entry read since its last pass one more round at the
 * young end ("second chance", the CLOCK algorithm). A read only sets a flag: moving the entry to the young end on
 * every read (a delete and a set of the Map) cost every cached answer of the fast path about a microsecond, and
 * the Map's deleted slots a rehash from time to time.
 */
export class ByteLru<T> {
  /** Lookups that found an entry, and those that did not. */
  readonly stats = new CacheStats();
  readonly #entries = new Map<string, Held<T>>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    entry.used = true;
    return entry.value;
  }

  /** The entry, without counting a lookup or giving it a second chance. */
  peek(key: string): T | undefined {
    return this.#entries.get(key)?.value;
  }

  set(key: string, value: T, bytes: number): void {
    this.delete(key);
    if (bytes > this.#maxBytes / 8) return;
    this.#entries.set(key, { value, bytes, used: false });
    this.#bytes += bytes;
    // Ends: each pass clears a flag, so after one round of second chances only evictions are left (the entry just
    // stored, an eighth of the budget at most, goes round again until enough older ones are gone).
    while (this.#bytes > this.#maxBytes) {
      const [oldest, entry] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      if (entry.used || oldest === key) {
        entry.used = false;
        this.#entries.set(oldest, entry);
      } else {
        this.#bytes -= entry.bytes;
      }
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  get size(): number {
    return this.#entries.size;
  }
}
