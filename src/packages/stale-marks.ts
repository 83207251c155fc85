// Which upstreams an answer had to be made without (docs/upstreams.md: the X-Nugget-Stale header). An answer is
// built deep below the route (a virtual feed's stores ask their upstream members); the members note here, in the
// context of the one build that asked them, that they answered from what they had kept.
import { AsyncLocalStorage } from 'node:async_hooks';

const marks = new AsyncLocalStorage<Set<string>>();

/** Runs `build` and returns what it built with the upstream feeds that answered stale while it ran (sorted). */
export async function collectStaleMarks<T>(build: () => Promise<T>): Promise<{ value: T; stale: string[] }> {
  const stale = new Set<string>();
  const value = await marks.run(stale, build);
  return { value, stale: [...stale].sort() };
}

/** Notes that upstream feed `name` could not be asked and the answer was made from what nugget kept. */
export function markStale(name: string): void {
  marks.getStore()?.add(name);
}
