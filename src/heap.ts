// V8's garbage collector on demand, for the two places that know better than its heuristics when memory can be
// handed back (issue 17): a large push, whose socket buffers are garbage as soon as they are on disk, and a server
// gone idle after a burst of work. Node offers it only with --expose-gc; setting the flag at run time and reading
// `gc` in a new context (which reads the flags when it is made) gives the same function without a command-line flag.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

type Collector = (options?: {
  type: 'minor' | 'major';
  execution: 'sync';
  flavor?: 'regular' | 'last-resort';
}) => void;

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
 * outside the heap, and V8 counts up to 64 MB of them before it collects by itself). A full one, for a process that
 * has gone idle, is V8's "last resort" collection (what it runs before it gives up on memory): full collections
 * until nothing more is freed, the young generation shrunk to its smallest and the pages V8 keeps for reuse handed
 * back to the system at once. A regular full collection did neither reliably: after 4,000 pushes the server kept
 * 128 MB of young generation, and V8 handed the pages back some time later or not at all (issue 17; measured in
 * docs/decisions/0027-perf-memory-young-generation-and-idle.md). Returns false where the collector is not available.
 */
export function collectGarbage(kind: 'minor' | 'full'): boolean {
  const gc = exposed();
  if (!gc) return false;
  gc(
    kind === 'minor'
      ? { type: 'minor', execution: 'sync' }
      : { type: 'major', execution: 'sync', flavor: 'last-resort' },
  );
  return true;
}

/** glibc's malloc_trim, reached through koffi (a foreign function interface) once, or undefined where it is not. */
let mallocTrim: ((pad: number) => number) | undefined | null = null;

function loadMallocTrim(): ((pad: number) => number) | undefined {
  // glibc is Linux's usual C library; elsewhere (macOS, Windows, musl as on Alpine) there is no malloc_trim and the
  // allocators hand memory back by themselves or not at all.
  if (process.platform !== 'linux') return undefined;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    return koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as (pad: number) => number;
  } catch {
    return undefined;
  }
}

/**
 * Hands the free memory inside the C heap back to the system (glibc's malloc_trim(0), https://man7.org/linux/man-pages/man3/malloc_trim.3.html).
 * Node's buffers, SQLite's pages and V8's own bookkeeping live in that heap; glibc returns freed memory by itself
 * only from its top, so after a burst of work the holes between the allocations that stay kept 25 to 45 MB of RSS
 * after 4,000 pushes, all of it free (issue 17). For a process gone idle, after a full collection has freed what it
 * can. Loads koffi on first use (about 50 ms, once). Returns false where there is no malloc_trim.
 */
export function releaseFreeMallocMemory(): boolean {
  if (mallocTrim === null) mallocTrim = loadMallocTrim();
  if (!mallocTrim) return false;
  mallocTrim(0);
  return true;
}
