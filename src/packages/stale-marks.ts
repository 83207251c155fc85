// Which upstreams an answer had to be made without (docs/upstreams.md: the X-Nugget-Stale header). An answer is
// built deep below the route (a virtual feed's stores ask their upstream members); the members note here, in the
// context of the one build that asked them, that they answered from what they had kept.
import { AsyncLocalStorage } from 'node:async_hooks';

interface Marks {
  readonly names: Set<string>;
  retrySoon: boolean;
}

const marks = new AsyncLocalStorage<Marks>();

/**
 * Runs `build` and returns what it built with the upstream feeds that answered stale while it ran (sorted), and
 * whether it is worth building again soon (an upstream failed while its breaker was still closed; while a breaker
 * is open, its state is part of the change stamps instead, and a new answer is built when it changes).
 */
export async function collectStaleMarks<T>(
  build: () => Promise<T>,
): Promise<{ value: T; stale: string[]; retrySoon: boolean }> {
  const collected: Marks = { names: new Set(), retrySoon: false };
  const value = await marks.run(collected, build);
  return { value, stale: [...collected.names].sort(), retrySoon: collected.retrySoon };
}

/** Notes that upstream feed `name` could not be asked and the answer was made from what nugget kept. */
export function markStale(name: string, options: { retrySoon: boolean }): void {
  const collected = marks.getStore();
  if (!collected) return;
  collected.names.add(name);
  collected.retrySoon ||= options.retrySoon;
}
