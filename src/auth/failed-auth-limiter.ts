// Rate limiting of FAILED authentication per client address: a token bucket per address holding `limit`
// failures that refills at `limit` per `windowMs`. A client may fail `limit` times at once; after that every
// request that presents credentials gets 429 with a Retry-After of the few seconds until the next token, the way
// the NuGet client expects (it honours Retry-After on push and registration, ../shared/notes/client-behaviour.md).
// In memory: the limit applies per node; behind a load balancer N nodes allow N times as many failures.
export interface FailedAuthLimits {
  /** Failures allowed in a burst; 0 turns the limiter off. */
  readonly limit: number;
  /** The time in which `limit` spent failures are forgiven again. */
  readonly windowMs: number;
  /** Addresses remembered at most (oldest forgotten first): bounds memory under a spray of addresses. */
  readonly maxAddresses?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class FailedAuthLimiter {
  readonly #limits: FailedAuthLimits;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limits: FailedAuthLimits) {
    this.#limits = limits;
  }

  #refilled(address: string, now: number): Bucket | undefined {
    const bucket = this.#buckets.get(address);
    if (!bucket) return undefined;
    const { limit, windowMs } = this.#limits;
    bucket.tokens = Math.min(limit, bucket.tokens + ((now - bucket.at) * limit) / windowMs);
    bucket.at = now;
    if (bucket.tokens >= limit) {
      this.#buckets.delete(address);
      return undefined;
    }
    return bucket;
  }

  /** Seconds the address must wait before presenting credentials again; undefined when it may now. */
  retryAfterSeconds(address: string, now: Date): number | undefined {
    if (this.#limits.limit <= 0) return undefined;
    const bucket = this.#refilled(address, now.getTime());
    if (!bucket || bucket.tokens >= 1) return undefined;
    const msPerToken = this.#limits.windowMs / this.#limits.limit;
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * msPerToken) / 1000));
  }

  recordFailure(address: string, now: Date): void {
    if (this.#limits.limit <= 0) return;
    const at = now.getTime();
    const bucket = this.#refilled(address, at) ?? { tokens: this.#limits.limit, at };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    // Re-insert so that Map order is least recently failed first.
    this.#buckets.delete(address);
    this.#buckets.set(address, bucket);
    const max = this.#limits.maxAddresses ?? 100_000;
    while (this.#buckets.size > max) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done) break;
      this.#buckets.delete(oldest.value);
    }
  }

  /** Addresses currently remembered (for tests of the memory bound). */
  get size(): number {
    return this.#buckets.size;
  }
}
