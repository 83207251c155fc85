// fsync shared between concurrent writers (group commit, issue 17): `sync(path)` resolves once an fsync of that
// path that began after the call has finished, and every caller that arrives while one runs shares the next one.
// Concurrent pushes thus sync a folder they all wrote into (packages/, the write-ahead log) once, not once each.
import { closeSync, fsync, openSync } from 'node:fs';
import { Coalesced } from './coalesced.ts';

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

/** fsyncs of a path shared by concurrent callers: each caller's sync began after its call (coalesced.ts). */
export class CoalescedSync {
  readonly #syncs: Coalesced<void>;

  constructor(fsync: (path: string) => Promise<void> = fsyncPath) {
    this.#syncs = new Coalesced(fsync);
  }

  /** How many fsyncs ran, and how many callers asked for one (for the benchmark and the tests). */
  get counts(): { syncs: number; callers: number } {
    return { syncs: this.#syncs.counts.operations, callers: this.#syncs.counts.callers };
  }

  /** Resolves once an fsync of `path` that began after this call has finished. */
  sync(path: string): Promise<void> {
    return this.#syncs.run(path);
  }
}
