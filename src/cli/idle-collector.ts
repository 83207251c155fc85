// Hands memory back after a burst of work (issue 17). Under load V8 grows the young generation of its heap to its
// largest (here 128 MB of semi-spaces after a few hundred pushes) and keeps it while the process sits idle, so a
// server's idle RSS depended on what it had done before rather than on its settings. Once the process has been
// busy and then idle for one whole interval, one full collection runs: V8 then shrinks the young generation to its
// smallest (https://v8.dev/blog/trash-talk) and hands its pages back, and glibc hands back the free memory inside
// its heap (src/heap.ts). It runs once per busy-to-idle turn, never under load.
import { collectGarbage, releaseFreeMallocMemory } from '../heap.ts';

/** CPU time (user + system) per interval below which the process counts as idle: 1% of a core (timers, a scrape). */
const idleCpuMicros = 50_000;
/** Above this it was busy enough to have grown its heap. */
const busyCpuMicros = 200_000;

/** What the collector reads and does; the process's own by default, a test's fakes otherwise. */
export interface IdleCollectorDeps {
  /** CPU time used since `since` (process.cpuUsage). */
  readonly cpuUsage: (since?: NodeJS.CpuUsage) => NodeJS.CpuUsage;
  /** Runs one full collection, then hands the C heap's free memory back; false where the collector is not available. */
  readonly collect: () => boolean;
}

const processDeps: IdleCollectorDeps = {
  cpuUsage: (since) => process.cpuUsage(since),
  collect: () => {
    const collected = collectGarbage('full');
    releaseFreeMallocMemory();
    return collected;
  },
};

export function startIdleCollector(
  intervalMs = 5_000,
  deps: IdleCollectorDeps = processDeps,
): { stop(): void; readonly collections: number } {
  let collections = 0;
  let last = deps.cpuUsage();
  // Start-up is a burst of work too (modules compiled, migrations run, caches filled): without a collection after
  // it, a server that was never used kept ~30 MB of start-up garbage in its young generation for good.
  let busySinceCollection = true;
  const timer = setInterval(() => {
    const used = deps.cpuUsage(last);
    last = deps.cpuUsage();
    const micros = used.user + used.system;
    if (micros > busyCpuMicros) busySinceCollection = true;
    else if (micros < idleCpuMicros && busySinceCollection) {
      busySinceCollection = false;
      if (deps.collect()) collections++;
      last = deps.cpuUsage();
    }
  }, intervalMs);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    get collections() {
      return collections;
    },
  };
}
