import { copyFile, link, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { BlobListing, BlobStore, StoredBlob } from '../../packages/ports.ts';

/**
 * Blobs as files under one root. Writes go to a temporary name and are renamed into place,
 * so a reader never sees half a file and a crash leaves only a temp file for `gc`.
 */
export class FileSystemBlobStore implements BlobStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = resolve(root);
  }

  #path(key: string): string {
    const path = resolve(this.#root, key);
    // Keys are built by the feed, never taken from a URL, but a key must never leave the root all the same.
    if (!path.startsWith(this.#root + sep)) throw new Error(`blob key escapes the store: ${key}`);
    return path;
  }

  async putFile(key: string, sourcePath: string): Promise<void> {
    const target = this.#path(key);
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(sourcePath, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      const temp = `${target}.${process.pid}.tmp`;
      await copyFile(sourcePath, temp);
      await rename(temp, target);
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const target = this.#path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, target);
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
    return true;
  }

  async open(key: string): Promise<StoredBlob | undefined> {
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
    return { size, stream: handle.createReadStream() };
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.#path(prefix), { recursive: true, force: true });
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
