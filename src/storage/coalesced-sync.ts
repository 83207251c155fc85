// fsync shared between concurrent writers (group commit, issue 17): `sync(path)` resolves once an fsync of that
// path that began after the call has finished, and every caller that arrives while one runs shares the next one.
// Concurrent pushes thus sync a folder they all wrote into (packages/, the write-ahead log) once, not once each.
import { open } from 'node:fs/promises';
import { Coalesced } from './coalesced.ts';

/** Flushes a file's data (or a folder's entries) to the disk. */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
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
