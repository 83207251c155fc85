import { closeSync, existsSync, open as openFile, statSync, write as writeBytes } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileSystemFault } from '../../errors.ts';
import { CoalescedSync, fsyncDescriptor, fsyncPath as sync } from '../coalesced-sync.ts';
import type { BlobListing, BlobRange, BlobStore, FreshBlob, StoredBlob } from '../../packages/ports.ts';

/** How often a write retries when `gc` removed the (empty) folder it had just created. */
const folderAttempts = 5;

const codeOf = (error: unknown): unknown => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * `mkdir -p`, returning the first folder it created. Which levels are missing is looked up on the event loop
 * (existsSync: names in the kernel's cache, microseconds), and only their mkdirs go to libuv's pool, outermost
 * first: a new id's three folders are three trips, not the five of a recursive mkdir, which tries the innermost
 * first and walks up on ENOENT (docs/decisions/0028-perf-push-in-place-and-fewer-pool-trips.md). Each mkdir
 * reports its own failure (EROFS, EACCES, ENOSPC; a recursive one reports any as ENOENT). A level another writer
 * made meanwhile is fine; one whose parent went meanwhile (`gc` removing an empty folder) is looked up again.
 */
async function makeFolder(folder: string): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    const missing: string[] = [];
    for (let path = folder; !existsSync(path); path = dirname(path)) {
      missing.unshift(path);
      if (path === dirname(path)) break;
    }
    let first: string | undefined;
    try {
      for (const level of missing) {
        try {
          await mkdir(level);
          first ??= level;
        } catch (levelError) {
          if (codeOf(levelError) !== 'EEXIST') throw levelError;
        }
      }
      return first;
    } catch (error) {
      if (codeOf(error) !== 'ENOENT' || attempt >= folderAttempts) throw error;
    }
  }
}

/**
 * Flushes a folder's entries, so that a file renamed into it is still there after a power loss. Some systems
 * cannot open or sync a folder (Windows): there the rename is as durable as the file system makes it. Concurrent
 * writes into one folder (every new id goes into packages/) share one sync (coalesced-sync.ts).
 */
async function syncFolder(folders: CoalescedSync, path: string): Promise<void> {
  try {
    await folders.sync(path);
  } catch (error) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES'].includes(codeOf(error) as string)) throw error;
  }
}

/**
 * Blobs as files under one root. Writes go to a temporary name and are renamed into place, so a reader never
 * sees half a file and a crash leaves only a temp file for `gc`. A write is durable when it returns: the file's
 * data is synced before the rename, and the folder (with every folder it had to create) after it, because the
 * row that makes a package visible is committed right after and must never point at a missing or short file.
 * Fresh blobs (putFresh: a push's own prefix, which nothing reads before its row commits) are written under their
 * own names, and their data is synced together with their folders: one round of syncs instead of two
 * (docs/decisions/0022-perf-push-syncs-and-cpu.md).
 */
/** Folders remembered as durable, at most (about 100 bytes each); past it the set starts again (syncs, no harm). */
const durableFoldersLimit = 10_000;

export class FileSystemBlobStore implements BlobStore {
  readonly #root: string;
  readonly #folders = new CoalescedSync();
  /**
   * Folders (path, inode, birth time) whose entry in their parent this process has seen synced. A folder found already there
   * may have been made a moment ago by another writer (a concurrent push of another version of a new id, another
   * worker process) whose sync of its parent has not finished: a row committed before that sync could name a file
   * under a folder that a power loss takes away. So the parent of each folder on the way that is not in this set is
   * synced with the others, in the same round: once per folder and process, and again only if it was made anew.
   */
  readonly #durable = new Set<string>();

  constructor(root: string) {
    this.#root = resolve(root);
  }

  #path(key: string): string {
    const path = resolve(this.#root, key);
    // Keys are built by the feed, never taken from a URL, but a key must never leave the root all the same.
    if (!path.startsWith(this.#root + sep)) throw new Error(`blob key escapes the store: ${key}`);
    return path;
  }

  /** Runs a store operation with its server faults (full disk, no permission) as error kinds. */
  async #faults<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw fileSystemFault(error, 'the package storage folder') ?? error;
    }
  }

  /**
   * Creates the folder of `target`, runs `place` (which creates `target` in it), then syncs the folders and, at
   * the same time, whatever `place` returns to sync (fresh files' data). A concurrent `gc` may remove the folder
   * while it is still empty: then it is created again.
   */
  async #intoFolder(target: string, place: () => Promise<(() => Promise<unknown>) | void>): Promise<void> {
    const folder = dirname(target);
    for (let attempt = 1; ; attempt++) {
      const firstCreated = await makeFolder(folder);
      let syncPlaced: (() => Promise<unknown>) | void;
      try {
        syncPlaced = await place();
      } catch (error) {
        const folderGone = codeOf(error) === 'ENOENT' && !(await stat(folder).catch(() => undefined));
        if (folderGone && attempt < folderAttempts) continue;
        throw error;
      }
      // The folder that holds the new entry, and the parent of each folder created for it, all at once: each
      // only has to be on the disk before the row that points at the file commits, in no order among them.
      const created = firstCreated === undefined ? [] : pathsBetween(dirname(firstCreated), folder);
      const found = this.#notYetDurable(firstCreated === undefined ? folder : dirname(firstCreated));
      const folders = new Set([folder, ...[...created, ...found.keys()].map((c) => dirname(c))]);
      const syncs: Promise<unknown>[] = [...folders].map((path) => syncFolder(this.#folders, path));
      if (syncPlaced) syncs.push(syncPlaced());
      // All settled before returning: no sync still holds a file handle when the write fails.
      const failed = (await Promise.allSettled(syncs)).find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      this.#rememberDurable([...found.values(), ...created.map((c) => folderIdentity(c))]);
      return;
    }
  }

  /** The folders from the root down to `deepest` (which exist) not seen durable, each with its identity. */
  #notYetDurable(deepest: string): Map<string, string | undefined> {
    const found = new Map<string, string | undefined>();
    if (deepest !== this.#root && !deepest.startsWith(this.#root + sep)) return found;
    for (const path of pathsBetween(this.#root, deepest)) {
      const identity = folderIdentity(path);
      if (identity === undefined || !this.#durable.has(identity)) found.set(path, identity);
    }
    return found;
  }

  #rememberDurable(identities: readonly (string | undefined)[]): void {
    for (const identity of identities) {
      if (identity === undefined) continue;
      if (this.#durable.size >= durableFoldersLimit) this.#durable.clear();
      this.#durable.add(identity);
    }
  }

  async putFile(key: string, sourcePath: string): Promise<void> {
    const target = this.#path(key);
    await this.#faults(async () => {
      // The data reaches the disk before the name does.
      await sync(sourcePath);
      await this.#intoFolder(target, async () => {
        try {
          await rename(sourcePath, target);
        } catch (error) {
          if (codeOf(error) !== 'EXDEV') throw error;
          const temp = `${target}.${process.pid}.tmp`;
          await copyFile(sourcePath, temp);
          await sync(temp);
          await rename(temp, target);
        }
      });
    });
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const target = this.#path(key);
    await this.#faults(() =>
      this.#intoFolder(target, async () => {
        const temp = `${target}.${process.pid}.tmp`;
        const handle = await open(temp, 'w');
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } catch (error) {
          await handle.close();
          await rm(temp, { force: true });
          throw error;
        }
        await handle.close();
        await rename(temp, target);
      }),
    );
  }

  /**
   * Fresh blobs (BlobStore.putFresh), each folder's at once: the folders made once, the files moved or written
   * under their own names (no temporary name: nothing reads them before their row commits, and a crash leaves
   * them under a prefix no row names, which `gc` removes), then their data and their folders synced together.
   */
  async putFresh(blobs: readonly FreshBlob[]): Promise<void> {
    const byFolder = new Map<string, { blob: FreshBlob; target: string }[]>();
    for (const blob of blobs) {
      const target = this.#path(blob.key);
      byFolder.set(dirname(target), [...(byFolder.get(dirname(target)) ?? []), { blob, target }]);
    }
    await this.#faults(async () => {
      await Promise.all(
        [...byFolder.values()].map((group) =>
          this.#intoFolder((group[0] as { target: string }).target, () => placeFresh(group)),
        ),
      );
    });
  }

  async copy(fromKey: string, toKey: string): Promise<boolean> {
    const source = this.#path(fromKey);
    const target = this.#path(toKey);
    await mkdir(dirname(target), { recursive: true });
    // A hard link: both keys name one copy of the bytes, and removing either key leaves the other intact.
    // Linked under a temp name and renamed into place, so a reader never sees a half-made key.
    const temp = `${target}.${process.pid}.tmp`;
    try {
      await link(source, temp);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      // File systems without hard links (some network mounts) get a copy.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
      await copyFile(source, temp);
    }
    await rename(temp, target);
    await syncFolder(this.#folders, dirname(target));
    return true;
  }

  async open(key: string, range?: BlobRange): Promise<StoredBlob | undefined> {
    const path = this.#path(key);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const { size } = await handle.stat();
    // The stream owns the handle and closes it when it ends or is destroyed.
    return { size, stream: handle.createReadStream(range && { start: range.start, end: range.end }) };
  }

  async deletePrefix(prefix: string): Promise<void> {
    const path = this.#path(prefix);
    await this.#faults(async () => {
      await rm(path, { recursive: true, force: true });
      // The folders above it that are now empty (`packages/<id>/<version>`, `packages/<id>`): rmdir removes only
      // an empty folder, so one a concurrent push has just put something in stays (ENOTEMPTY), and a push whose
      // new folder goes anyway creates it again (#intoFolder).
      for (let folder = dirname(path); folder.startsWith(this.#root + sep); folder = dirname(folder)) {
        try {
          await rmdir(folder);
        } catch (error) {
          if (codeOf(error) === 'ENOENT') continue;
          if (['ENOTEMPTY', 'EEXIST', 'EBUSY'].includes(codeOf(error) as string)) break;
          throw error;
        }
      }
    });
  }

  async removeEmptyFolders(prefix: string, olderThan: Date, dryRun: boolean): Promise<number> {
    const start = this.#path(prefix.replace(/\/+$/, ''));
    // Depth first, children before their parent, so that a folder holding only empty folders goes too.
    const visit = async (folder: string): Promise<{ removed: number; empty: boolean }> => {
      let entries;
      try {
        entries = await readdir(folder, { withFileTypes: true });
      } catch (error) {
        if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return { removed: 0, empty: false };
        throw error;
      }
      let removed = 0;
      let empty = true;
      for (const entry of entries) {
        if (!entry.isDirectory()) {
          empty = false;
          continue;
        }
        const child = await visit(join(folder, entry.name));
        removed += child.removed;
        if (!child.empty) empty = false;
      }
      if (!empty) return { removed, empty: false };
      const info = await stat(folder).catch(() => undefined);
      if (!info || info.mtimeMs >= olderThan.getTime()) return { removed, empty: false };
      if (dryRun) return { removed: removed + 1, empty: true };
      try {
        await rmdir(folder);
        return { removed: removed + 1, empty: true };
      } catch (error) {
        // Filled (or removed) meanwhile: a push got there first.
        if (['ENOTEMPTY', 'EEXIST', 'ENOENT', 'EBUSY'].includes(codeOf(error) as string)) {
          return { removed, empty: false };
        }
        throw error;
      }
    };
    return this.#faults(async () => (await visit(start)).removed);
  }

  /**
   * Walks the folder of `prefix` (or the one file it names). Temp files of writes in progress (`*.<pid>.tmp`)
   * are listed too: a crashed write leaves one behind, and `gc` removes it with the prefix it sits in.
   */
  async *list(prefix: string): AsyncIterable<BlobListing> {
    const start = this.#path(prefix.replace(/\/+$/, ''));
    let stats;
    try {
      stats = await stat(start);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if (stats.isFile()) {
      yield { key: this.#keyOf(start), size: stats.size, modified: stats.mtime };
      return;
    }
    const pending = [start];
    for (let folder = pending.pop(); folder !== undefined; folder = pending.pop()) {
      let entries;
      try {
        entries = await readdir(folder, { withFileTypes: true });
      } catch (error) {
        // Removed by a concurrent deletePrefix while we walked: nothing left to list there.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      for (const entry of entries) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) pending.push(path);
        else if (entry.isFile()) {
          const file = await stat(path).catch(() => undefined);
          if (file) yield { key: this.#keyOf(path), size: file.size, modified: file.mtime };
        }
      }
    }
  }

  #keyOf(path: string): string {
    return relative(this.#root, path).split(sep).join('/');
  }
}

/** Creates `path` (under a push's own prefix) and writes `bytes` to it; resolves to its descriptor, still open. */
function writeNewFile(path: string, bytes: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) =>
    openFile(path, 'w', (openError, fd) => {
      if (openError) return reject(openError);
      const rest = (from: number) =>
        writeBytes(fd, bytes, from, bytes.length - from, from, (writeError, written) => {
          if (writeError) {
            closeSync(fd);
            reject(writeError);
          } else if (from + written < bytes.length) rest(from + written);
          else resolve(fd);
        });
      rest(0);
    }),
  );
}

/**
 * Moves or writes fresh blobs into their (existing) folder; returns the sync of their data, which closes the
 * descriptors it kept open. Every descriptor is closed when any of it fails. Creating a file, writing it and its
 * fsync go through libuv's thread pool; closing a descriptor is done on the event loop (coalesced-sync.ts).
 */
async function placeFresh(
  group: readonly { blob: FreshBlob; target: string }[],
): Promise<() => Promise<unknown>> {
  const written: number[] = [];
  const moved: string[] = [];
  const placed = await Promise.allSettled(
    group.map(async ({ blob, target }) => {
      if ('bytes' in blob) {
        written.push(await writeNewFile(target, blob.bytes));
        return;
      }
      try {
        await rename(blob.sourcePath, target);
      } catch (error) {
        // The upload's folder is on another file system: copied, under its own name all the same.
        if (codeOf(error) !== 'EXDEV') throw error;
        await copyFile(blob.sourcePath, target);
      }
      moved.push(target);
    }),
  );
  const failed = placed.find((result) => result.status === 'rejected');
  if (failed) {
    for (const fd of written) closeSync(fd);
    throw failed.reason;
  }
  return () =>
    Promise.all([
      ...written.map(async (fd) => {
        try {
          await fsyncDescriptor(fd);
        } finally {
          closeSync(fd);
        }
      }),
      ...moved.map((path) => sync(path)),
    ]);
}

/** The folders from `ancestor` (excluded) down to `descendant` (included), outermost first. */
/**
 * A folder's path, inode and birth time: a folder removed (`gc`) and made again is another folder, also when the
 * file system gives it the inode number the old one had (ext4 reuses them at once).
 */
function folderIdentity(path: string): string | undefined {
  const stats = statSync(path, { throwIfNoEntry: false, bigint: true });
  return stats ? `${stats.ino} ${stats.birthtimeNs} ${path}` : undefined;
}

function pathsBetween(ancestor: string, descendant: string): string[] {
  const paths: string[] = [];
  for (let path = descendant; path !== ancestor && path !== dirname(path); path = dirname(path))
    paths.push(path);
  return paths.reverse();
}
