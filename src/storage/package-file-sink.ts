// Where a package's bytes go as they arrive (a push, a package copied from an upstream): measured against the limit, hashed (SHA-512, the hash the protocol
// serves), and written to the push's temporary file in writes of a megabyte. One stage instead of a Transform
// and fs.WriteStream: a large push used to pass each 64 KB chunk of the socket through two more streams and a
// write of its own through libuv's thread pool (issue 17, bench/README.md "Writes and memory").
import { createHash } from 'node:crypto';
import { close, open, write } from 'node:fs';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { collectGarbage } from '../heap.ts';

const openFile = promisify(open);
const closeFile = promisify(close);
const writeFile = (fd: number, bytes: Buffer, position: number): Promise<void> =>
  new Promise((resolve, reject) => {
    write(fd, bytes, 0, bytes.length, position, (error, written) => {
      if (error) reject(error);
      // A short write only happens on a full disk, where the next write fails with ENOSPC; write the rest.
      else if (written < bytes.length)
        writeFile(fd, bytes.subarray(written), position + written).then(resolve, reject);
      else resolve();
    });
  });

/**
 * Each chunk of a push arrives in a buffer of its own, which is garbage as soon as it is copied out; V8 lets up to
 * 64 MB of such bytes outside its heap pile up before it collects by itself, so a large push grew the server by
 * that much. A minor collection every this many bytes (about a millisecond each) keeps them few.
 */
const collectEveryBytes = 4 * 1024 * 1024;

/**
 * The bytes of a push are copied into buffers of this size and written when one is full: a hundred writes for a
 * 100 MB push instead of 1,600, and the socket's chunks die young instead of waiting in a write queue.
 */
const writeBufferBytes = 1024 * 1024;

export interface PackageFileSinkOptions {
  readonly path: string;
  /** The most bytes the package may have: one more fails the stream with `tooLarge()`. */
  readonly maxBytes: number;
  readonly tooLarge: () => Error;
  /** A push up to this many bytes is also kept in memory (`bytes`), so reading it takes no file reads. */
  readonly keepInMemoryBytes: number;
  /**
   * A package kept in memory is not written at all: the file is created only once the package grows past
   * `keepInMemoryBytes` (`fileWritten` says whether it was). For a small push, whose bytes are then written once,
   * under their final name, by the blob store (docs/decisions/0028-perf-push-in-place-and-fewer-pool-trips.md).
   */
  readonly fileOnlyPastKept?: boolean;
  /** Called for every chunk (the stall watchdog). */
  readonly onData?: () => void;
}

/**
 * A Writable of a package's bytes into a new file. Memory stays bounded whatever the size: at most two write
 * buffers (one being written, one filling) and the kept bytes of a small push; a chunk waits (back-pressure) while
 * both buffers are full. The file is complete and closed when the stream finishes; if the stream fails or is
 * destroyed it is closed, and removing it is the caller's.
 */
export class PackageFileSink extends Writable {
  readonly #options: PackageFileSinkOptions;
  readonly #hash = createHash('sha512');
  #size = 0;
  #collectAt = collectEveryBytes;
  /** The chunks of a push still small enough to be kept whole; undefined once it is larger. */
  #kept: Buffer[] | undefined = [];
  #fd: Promise<number> | undefined;
  #filling: Buffer | undefined;
  #filled = 0;
  #spare: Buffer | undefined;
  #position = 0;
  /**
   * The write under way (at most one: writes of one file in order). Every write is started through it: the file is
   * closed once it settles, never while a write uses the descriptor (whose number the next open reuses at once).
   */
  #writing: Promise<void> = Promise.resolve();

  constructor(options: PackageFileSinkOptions) {
    super({ decodeStrings: false });
    this.#options = options;
  }

  get size(): number {
    return this.#size;
  }

  /** Whether the file at `path` was made (always, unless `fileOnlyPastKept` and the package was kept). */
  get fileWritten(): boolean {
    return !(this.#options.fileOnlyPastKept && this.#kept);
  }

  /** The base64 SHA-512 of every byte written; once the stream has finished. */
  sha512(): string {
    return this.#hash.digest('base64');
  }

  /** The whole package, if it was small enough to be kept. */
  keptBytes(): Buffer | undefined {
    return this.#kept && Buffer.concat(this.#kept, this.#size);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#options.onData?.();
    // The file of an upload in progress is in tmp/ from its first byte (test/http/shared-data-dir.test.ts), or with
    // fileOnlyPastKept from its first byte past the kept size; a failure to open it fails the stream at its next
    // write.
    if (!this.#fd && !(this.#options.fileOnlyPastKept && this.#kept)) this.#openedFile().catch(() => {});
    this.#size += chunk.length;
    if (this.#size > this.#options.maxBytes) {
      callback(this.#options.tooLarge());
      return;
    }
    if (this.#size >= this.#collectAt) {
      this.#collectAt = this.#size + collectEveryBytes;
      collectGarbage('minor');
    }
    this.#hash.update(chunk);
    if (this.#kept && this.#size <= this.#options.keepInMemoryBytes) {
      this.#kept.push(chunk);
      callback();
      return;
    }
    const earlier = this.#kept ?? [];
    this.#kept = undefined;
    this.#copy([...earlier, chunk]).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const last = async () => {
      if (this.#kept && this.#options.fileOnlyPastKept) return;
      // Through #writing like every write, so that a destroy (the upload watchdog) closes the file only after it.
      if (this.#kept) {
        // A small push: one write of the whole of it, into the file opened at its first byte.
        this.#writing = this.#writeOut(Buffer.concat(this.#kept, this.#size));
      } else if (this.#filling && this.#filled > 0) {
        await this.#writing;
        this.#writing = this.#writeOut(this.#filling.subarray(0, this.#filled));
      }
      await this.#writing;
      const fd = await this.#openedFile();
      // Forgotten before it is closed: a descriptor number is reused at once, and must never be closed twice.
      this.#fd = undefined;
      await closeFile(fd);
    };
    last().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // The file is closed once no write uses it any more; the error that destroyed the stream is what is reported.
    const fd = this.#fd;
    this.#fd = undefined;
    const closed = async () => {
      await this.#writing.catch(() => {});
      if (fd) await closeFile(await fd).catch(() => {});
    };
    void closed().then(() => callback(error));
  }

  #openedFile(): Promise<number> {
    // A chunk still being copied when the stream was destroyed must not open the file again (after its removal).
    if (this.destroyed) return Promise.reject(new Error('the upload was abandoned'));
    // 'wx': the name is new (a random UUID); never write into a file someone else made.
    this.#fd ??= openFile(this.#options.path, 'wx');
    return this.#fd;
  }

  /** Copies the chunks into the write buffers, writing each buffer when it is full. */
  async #copy(chunks: readonly Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      let from = 0;
      while (from < chunk.length) {
        this.#filling ??= Buffer.allocUnsafeSlow(writeBufferBytes);
        const copied = chunk.copy(this.#filling, this.#filled, from);
        from += copied;
        this.#filled += copied;
        if (this.#filled === this.#filling.length) await this.#flip();
      }
    }
  }

  /** Starts writing the full buffer (after the write before it) and goes on filling the other one. */
  async #flip(): Promise<void> {
    const full = this.#filling as Buffer;
    await this.#writing;
    this.#filling = this.#spare;
    this.#spare = full;
    this.#filled = 0;
    this.#writing = this.#writeOut(full);
    // A failed write fails the stream at the next chunk or at the end, not as an unhandled rejection.
    this.#writing.catch(() => {});
  }

  async #writeOut(bytes: Buffer): Promise<void> {
    const position = this.#position;
    this.#position += bytes.length;
    await writeFile(await this.#openedFile(), bytes, position);
  }
}
