// fsync shared between concurrent writers (group commit, issue 17): `sync(path)` resolves once an fsync of that
// path that began after the call has finished, and every caller that arrives while one runs shares the next one.
// Concurrent pushes thus sync a folder they all wrote into (packages/, the write-ahead log) once, not once each.
import { closeSync, fsync, openSync } from 'node:fs';

/** fsync of a descriptor on libuv's thread pool (the one call here that waits for the disk). */
export const fsyncDescriptor = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));

/**
 * Flushes a file's data (or a folder's entries) to the disk. Only the fsync goes to libuv's thread pool: the open
 * (of a name the push has just made or moved, in the kernel's cache) and the close (of a descriptor whose data is
 * already synced) take microseconds on the event loop, where each trip through the pool costs a hand-off, a
 * wake-up and a promise (about 40 µs of CPU here); a push syncs half a dozen names (issue 17, decision 0028).
 */
export async function fsyncPath(path: string): Promise<void> {
  const fd = openSync(path, 'r');
  try {
    await fsyncDescriptor(fd);
  } finally {
    closeSync(fd);
  }
}

interface PathState {
  running: Promise<void> | undefined;
  queued: Promise<void> | undefined;
}

export class CoalescedSync {
  readonly #fsync: (path: string) => Promise<void>;
  readonly #paths = new Map<string, PathState>();
  /** How many fsyncs ran, and how many callers asked for one (for the benchmark and the tests). */
  readonly counts = { syncs: 0, callers: 0 };

  constructor(fsync: (path: string) => Promise<void> = fsyncPath) {
    this.#fsync = fsync;
  }

  sync(path: string): Promise<void> {
    this.counts.callers++;
    let state = this.#paths.get(path);
    if (!state) {
      state = { running: undefined, queued: undefined };
      this.#paths.set(path, state);
    }
    if (state.queued) return state.queued;
    if (!state.running) return this.#start(path, state);
    const current = state;
    const queued = state.running
      .catch(() => {})
      .then(() => {
        current.queued = undefined;
        return this.#start(path, current);
      });
    state.queued = queued;
    return queued;
  }

  #start(path: string, state: PathState): Promise<void> {
    this.counts.syncs++;
    const running = this.#fsync(path).finally(() => {
      if (state.running !== running) return;
      state.running = undefined;
      if (!state.queued) this.#paths.delete(path);
    });
    state.running = running;
    return running;
  }
}
