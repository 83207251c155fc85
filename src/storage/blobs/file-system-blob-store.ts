import { copyFile, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { BlobListing, BlobRange, BlobStore, StoredBlob } from '../../packages/ports.ts';

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
