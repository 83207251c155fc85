// PackageFileSink (src/storage/package-file-sink.ts): the stage that writes a push to its temporary file. The sizes
// around its edges (the part kept in memory, the write buffers), its limit, and what it leaves when abandoned.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PackageFileSink } from '../../src/storage/package-file-sink.ts';
import { seededRandom } from '../../src/storage/contracts/seeded-random.ts';

const kept = 256 * 1024;
const MB = 1024 * 1024;
const tooLarge = () => Object.assign(new Error('too large'), { code: 'package_too_large' });
const openDescriptors = () => readdirSync('/proc/self/fd').length;

describe('PackageFileSink', () => {
  let dir: string;
  let n = 0;
  const nextPath = () => join(dir, `push-${n++}.nupkg`);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nugget-sink-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** `bytes` in chunks of random sizes up to `largest`. */
  function chunked(bytes: Buffer, largest: number, seed: number): Buffer[] {
    const random = seededRandom(seed);
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length;) {
      const size = 1 + Math.floor(random() * largest);
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    return chunks;
  }

  for (const size of [0, 1, kept - 1, kept, kept + 1, MB - 1, MB, MB + 1, 2 * MB, 3 * MB + 12_345]) {
    test(`${size} bytes: the file, its size and SHA-512 are the bytes written; kept in memory iff <= 256 KB`, async () => {
      const bytes = randomBytes(size);
      for (const largest of [1000, 65_536, 3 * MB]) {
        if (largest === 1000 && size > 2 * MB) continue;
        const path = nextPath();
        const sink = new PackageFileSink({ path, maxBytes: 10 * MB, tooLarge, keepInMemoryBytes: kept });
        await pipeline(Readable.from(chunked(bytes, largest, size + largest)), sink);
        assert.equal(sink.size, size);
        assert.ok((await readFile(path)).equals(bytes), `chunks up to ${largest}: the file differs`);
        assert.equal(sink.sha512(), createHash('sha512').update(bytes).digest('base64'));
        const inMemory = sink.keptBytes();
        if (size <= kept) assert.ok(inMemory?.equals(bytes), 'a small push is kept whole');
        else assert.equal(inMemory, undefined, 'a large push is not kept');
      }
    });
  }

  for (const size of [0, 1, kept, kept + 1, MB + 1]) {
    test(`fileOnlyPastKept, ${size} bytes: no file iff kept in memory; otherwise the file holds every byte`, async () => {
      const bytes = randomBytes(size);
      const path = nextPath();
      const sink = new PackageFileSink({
        path,
        maxBytes: 10 * MB,
        tooLarge,
        keepInMemoryBytes: kept,
        fileOnlyPastKept: true,
      });
      await pipeline(Readable.from(chunked(bytes, 65_536, size + 7)), sink);
      assert.equal(sink.size, size);
      assert.equal(sink.sha512(), createHash('sha512').update(bytes).digest('base64'));
      if (size <= kept) {
        assert.ok(sink.keptBytes()?.equals(bytes), 'a small push is kept whole');
        assert.equal(existsSync(path), false, 'a small push makes no file');
        assert.equal(sink.fileWritten, false);
      } else {
        assert.ok(
          (await readFile(path)).equals(bytes),
          'a larger push is written whole, its first bytes too',
        );
        assert.equal(sink.fileWritten, true);
      }
    });
  }

  test('one byte over maxBytes fails with tooLarge(), and the file is closed', async () => {
    const before = openDescriptors();
    const path = nextPath();
    const sink = new PackageFileSink({ path, maxBytes: 2 * MB, tooLarge, keepInMemoryBytes: kept });
    await assert.rejects(
      pipeline(Readable.from(chunked(randomBytes(2 * MB + 1), 65_536, 1)), sink),
      /too large/,
    );
    assert.equal(openDescriptors(), before);
    await unlink(path);
  });

  test('destroyed while chunks are being copied: the file is closed, and not made again once removed', async () => {
    for (let round = 0; round < 40; round++) {
      const before = openDescriptors();
      const path = nextPath();
      const sink = new PackageFileSink({ path, maxBytes: 100 * MB, tooLarge, keepInMemoryBytes: kept });
      // Writes without waiting: chunks queue up behind the write buffers, as when the disk is slower than the net.
      const chunk = randomBytes(512 * 1024);
      for (let i = 0; i < 12; i++) sink.write(chunk);
      // Destroyed after a varying number of turns of the event loop: at some of them a write is under way.
      for (let turn = 0; turn < round; turn++) await new Promise((resolve) => setImmediate(resolve));
      sink.destroy(new Error('the client went away'));
      await finished(sink).catch(() => {});
      if (existsSync(path)) await unlink(path);
      await sleep(20);
      assert.equal(existsSync(path), false, `round ${round}: the file came back`);
      assert.equal(openDescriptors(), before, `round ${round}: a descriptor was left open`);
    }
  });
});
