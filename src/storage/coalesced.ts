// One operation shared by the callers that ask for it at the same time (issue 17), where what each caller needs is
// the effect or the answer of an operation that BEGAN AFTER ITS CALL: an fsync that covers the caller's writes
// (coalesced-sync.ts), a read of a change stamp that sees every commit acknowledged before the caller asked
// (sql/shared-stamp-reads.ts). At most one operation per key runs; a caller that arrives while one runs never shares
// it (it may have been sent before the caller's own write, or before a commit the caller must see) but waits for the
// next one, which every caller arriving meanwhile shares. Under load, each key thus costs one operation per round
// trip however many callers there are, and a caller waits at most the rest of one operation and one more.

/**
 * A number for each moment something is asked or an operation begins, in this process: an operation whose moment
 * is greater than a caller's began after the caller asked (sql/shared-stamp-reads.ts: a query sent after a request
 * arrived may serve the rest of that request).
 */
let clock = 0;

export const moment = (): number => ++clock;

interface KeyState<V> {
  running: Promise<V> | undefined;
  /** The next operation, not begun yet: every caller arriving while one runs shares it. */
  queued: Promise<V> | undefined;
}

export class Coalesced<V> {
  readonly #operation: (key: string) => Promise<V>;
  readonly #keys = new Map<string, KeyState<V>>();
  /** How many operations began, and how many callers asked for one (for the benchmarks and the tests). */
  readonly counts = { operations: 0, callers: 0 };

  constructor(operation: (key: string) => Promise<V>) {
    this.#operation = operation;
  }

  /** The outcome of an operation on `key` that begins after this call (now, or once the running one ends). */
  run(key: string): Promise<V> {
    this.counts.callers++;
    let state = this.#keys.get(key);
    if (!state) {
      state = { running: undefined, queued: undefined };
      this.#keys.set(key, state);
    }
    if (state.queued) return state.queued;
    if (!state.running) return this.#start(key, state);
    const current = state;
    const queued = state.running
      .catch(() => {})
      .then(() => {
        current.queued = undefined;
        return this.#start(key, current);
      });
    state.queued = queued;
    return queued;
  }

  #start(key: string, state: KeyState<V>): Promise<V> {
    this.counts.operations++;
    const running = this.#operation(key).finally(() => {
      if (state.running !== running) return;
      state.running = undefined;
      if (!state.queued) this.#keys.delete(key);
    });
    state.running = running;
    return running;
  }
}
