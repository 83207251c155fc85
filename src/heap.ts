// V8's garbage collector on demand, for the two places that know better than its heuristics when memory can be
// handed back (issue 17): a large push, whose socket buffers are garbage as soon as they are on disk, and a server
// gone idle after a burst of work. Node offers it only with --expose-gc; setting the flag at run time and reading
// `gc` in a new context (which reads the flags when it is made) gives the same function without a command-line flag.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collector = (options?: { type: 'minor' | 'major'; execution: 'sync' }) => void;

let collector: Collector | undefined | null = null;

function exposed(): Collector | undefined {
  if (collector !== null) return collector;
  collector = (globalThis as { gc?: Collector }).gc;
  if (!collector) {
    try {
      setFlagsFromString('--expose-gc');
      collector = runInNewContext('gc') as Collector;
    } catch {
      collector = undefined;
    }
  }
  return collector;
}

/**
 * A minor collection frees the young objects, among them the buffers a stream has finished with (their bytes live
 * outside the heap, and V8 counts up to 64 MB of them before it collects by itself); a full one, in a process that
 * has gone idle, lets V8 shrink the young generation back to its smallest (seen in the server: 128 MB to 1 MB).
 * Returns false where the collector is not available.
 */
export function collectGarbage(kind: 'minor' | 'full'): boolean {
  const gc = exposed();
  if (!gc) return false;
  gc(kind === 'minor' ? { type: 'minor', execution: 'sync' } : undefined);
  return true;
}
