// Hands memory back after a burst of work (issue 17). Under load V8 grows the young generation of its heap to its
// largest (here 128 MB of semi-spaces after a few hundred pushes) and keeps it while the process sits idle, so a
// server's idle RSS depended on what it had done before rather than on its settings. Once the process has been
// busy and then idle for one whole interval, one full collection runs: V8 then shrinks the young generation to its
// smallest (https://v8.dev/blog/trash-talk). It runs once per busy-to-idle turn, never under load.
import { collectGarbage } from '../heap.ts';

/** CPU time (user + system) per interval below which the process counts as idle: 1% of a core (timers, a scrape). */
const idleCpuMicros = 50_000;
/** Above this it was busy enough to have grown its heap. */
const busyCpuMicros = 200_000;

export function startIdleCollector(intervalMs = 5_000): { stop(): void; readonly collections: number } {
  let collections = 0;
  let last = process.cpuUsage();
  let busySinceCollection = false;
  const timer = setInterval(() => {
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    const micros = used.user + used.system;
    if (micros > busyCpuMicros) busySinceCollection = true;
    else if (micros < idleCpuMicros && busySinceCollection) {
      busySinceCollection = false;
      if (collectGarbage('full')) collections++;
      last = process.cpuUsage();
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
