// A circuit breaker per upstream (docs/upstreams.md): after `failures` failed requests in a row the upstream is not
// asked at all for `cooldownMs` (answers come from the cache, an uncached package is a 404 at once), then one trial
// request decides whether it is back. Without it every restore of an id nugget never cached waits for the full
// timeout of a dead upstream, once per id (../shared/notes/market.md §2, row 2).

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  readonly failures: number;
  readonly cooldownMs: number;
  readonly now: () => number;
}

export class CircuitBreaker {
  readonly #options: BreakerOptions;
  #failures = 0;
  #openedAt: number | undefined;
  #trialInFlight = false;

  constructor(options: BreakerOptions) {
    this.#options = options;
  }

  get state(): BreakerState {
    if (this.#openedAt === undefined) return 'closed';
    return this.#options.now() - this.#openedAt >= this.#options.cooldownMs ? 'half-open' : 'open';
  }

  /** Whether a request may go to the upstream now; in half-open state only one (the trial) at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#trialInFlight) return false;
    this.#trialInFlight = true;
    return true;
  }

  success(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#trialInFlight = false;
  }

  failure(): void {
    this.#trialInFlight = false;
    this.#failures += 1;
    // A failed trial opens the breaker again for a whole cooldown.
    if (this.#openedAt !== undefined || this.#failures >= this.#options.failures) {
      this.#openedAt = this.#options.now();
    }
  }
}
