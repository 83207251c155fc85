// The contract every BlobStore adapter passes (docs/architecture.md rule 5). Run from test/storage/.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BlobStore } from '../../packages/ports.ts';

async function readAll(store: BlobStore, key: string): Promise<Buffer | undefined> {
  const blob = await store.open(key);
  if (!blob) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  assert.equal(blob.size, bytes.length, 'size matches the bytes streamed');
  return bytes;
}

export function blobStoreContract(name: string, create: () => Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    it('stores bytes and reads them back with their size', async () => {
      const store = await create();
      const bytes = Buffer.from('hello nupkg');
      await store.put('packages/a/1.0.0/p1/readme', bytes);
      assert.deepEqual(await readAll(store, 'packages/a/1.0.0/p1/readme'), bytes);
    });

    it('stores a file (which it may move) and reads it back', async () => {
      const store = await create();
      const source = join(tmpdir(), `nugget-blob-${process.pid}-${Date.now()}`);
      const bytes = Buffer.alloc(300_000, 7);
      await writeFile(source, bytes);
      await store.putFile('packages/b/2.0.0/p2/b.2.0.0.nupkg', source);
      assert.deepEqual(await readAll(store, 'packages/b/2.0.0/p2/b.2.0.0.nupkg'), bytes);
    });

    it('copies a blob to another key; each key lives on when the other is removed', async () => {
      const store = await create();
      const bytes = Buffer.from('promoted nupkg bytes');
      await store.put('feeds/ci/packages/c/1.0.0/p1/c.1.0.0.nupkg', bytes);
      assert.equal(
        await store.copy(
          'feeds/ci/packages/c/1.0.0/p1/c.1.0.0.nupkg',
          'feeds/release/packages/c/1.0.0/p2/c.1.0.0.nupkg',
        ),
        true,
      );
      await store.deletePrefix('feeds/ci');
      assert.equal(await store.open('feeds/ci/packages/c/1.0.0/p1/c.1.0.0.nupkg'), undefined);
      assert.deepEqual(await readAll(store, 'feeds/release/packages/c/1.0.0/p2/c.1.0.0.nupkg'), bytes);
      assert.equal(await store.copy('feeds/ci/none', 'feeds/release/none'), false);
      assert.equal(await store.open('feeds/release/none'), undefined);
    });

    it('opens a range of a blob: exactly those bytes, with the size of the whole blob', async () => {
      const store = await create();
      const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
      await store.put('packages/r/1.0.0/p1/r.1.0.0.nupkg', bytes);
      for (const [start, end] of [
        [0, 0],
        [10, 19],
        [4000, 4999],
        [0, 4999],
      ] as const) {
        const blob = await store.open('packages/r/1.0.0/p1/r.1.0.0.nupkg', { start, end });
        assert.ok(blob);
        const chunks: Buffer[] = [];
        for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
        assert.deepEqual(Buffer.concat(chunks), bytes.subarray(start, end + 1), `bytes ${start}-${end}`);
        assert.equal(blob.size, bytes.length, `size with range ${start}-${end}`);
      }
      assert.equal(await store.open('packages/r/1.0.0/p1/none', { start: 0, end: 1 }), undefined);
    });

    it('answers undefined for a key it does not hold', async () => {
      const store = await create();
      assert.equal(await store.open('packages/none/1.0.0/x/none.1.0.0.nupkg'), undefined);
    });

    it('deletes everything under a prefix and nothing else', async () => {
      const store = await create();
      await store.put('packages/c/1.0.0/p1/nuspec', Buffer.from('1'));
      await store.put('packages/c/1.0.0/p1/icon', Buffer.from('2'));
      await store.put('packages/c/1.0.0/p2/nuspec', Buffer.from('3'));
      await store.deletePrefix('packages/c/1.0.0/p1');
      assert.equal(await store.open('packages/c/1.0.0/p1/nuspec'), undefined);
      assert.equal(await store.open('packages/c/1.0.0/p1/icon'), undefined);
      assert.deepEqual(await readAll(store, 'packages/c/1.0.0/p2/nuspec'), Buffer.from('3'));
      await store.deletePrefix('packages/c/9.9.9/none');
    });

    it('lists every blob under a prefix with its size and time, and nothing beside it', async () => {
      const store = await create();
      const before = Date.now();
      await store.put('packages/l/1.0.0/p1/nuspec', Buffer.from('12345'));
      await store.put('packages/l/1.0.0/p1/l.1.0.0.nupkg', Buffer.alloc(2048, 1));
      await store.put('packages/l/1.0.0/p10/nuspec', Buffer.from('other push'));
      await store.put('packages/l/2.0.0/p2/nuspec', Buffer.from('6789'));
      await store.put('packages/ll/1.0.0/p3/nuspec', Buffer.from('not under packages/l'));
      const listed = async (prefix: string) => {
        const found: { key: string; size: number }[] = [];
        for await (const blob of store.list(prefix)) {
          assert.ok(blob.modified instanceof Date, `${blob.key} has a modified time`);
          // Whole seconds: S3 reports Last-Modified to the second.
          assert.ok(blob.modified.getTime() >= before - 2000, `${blob.key} modified recently`);
          found.push({ key: blob.key, size: blob.size });
        }
        return found.sort((a, b) => a.key.localeCompare(b.key));
      };
      assert.deepEqual(await listed('packages/l'), [
        { key: 'packages/l/1.0.0/p1/l.1.0.0.nupkg', size: 2048 },
        { key: 'packages/l/1.0.0/p1/nuspec', size: 5 },
        { key: 'packages/l/1.0.0/p10/nuspec', size: 10 },
        { key: 'packages/l/2.0.0/p2/nuspec', size: 4 },
      ]);
      assert.deepEqual(await listed('packages/l/1.0.0/p1/'), [
        { key: 'packages/l/1.0.0/p1/l.1.0.0.nupkg', size: 2048 },
        { key: 'packages/l/1.0.0/p1/nuspec', size: 5 },
      ]);
      assert.deepEqual(await listed('packages/l/2.0.0/p2/nuspec'), [
        { key: 'packages/l/2.0.0/p2/nuspec', size: 4 },
      ]);
      assert.deepEqual(await listed('packages/none'), []);
    });

    it('overwrites a key with the latest bytes', async () => {
      const store = await create();
      await store.put('packages/d/1.0.0/p1/nuspec', Buffer.from('old'));
      await store.put('packages/d/1.0.0/p1/nuspec', Buffer.from('new'));
      assert.deepEqual(await readAll(store, 'packages/d/1.0.0/p1/nuspec'), Buffer.from('new'));
    });
  });
}
