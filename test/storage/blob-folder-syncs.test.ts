// Which folders a fresh blob's write syncs before it returns (docs/decisions/0022, 0028): the row that names the
// blob commits right after, so every folder on the way must be in its parent on the disk by then, also one that
// another writer (a concurrent push of another version of a new id, another worker process) made a moment ago and
// has not synced yet. Two stores on one root stand for two writers; the syncs are seen where they are opened.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

/** Folders and files opened read-only (what fsyncPath does before its fsync), in order. */
const opened: string[] = [];
const realOpenSync = fs.openSync;
(fs as { openSync: unknown }).openSync = function openSync(path: fs.PathLike, ...rest: unknown[]) {
  if (rest[0] === 'r') opened.push(String(path));
  return (realOpenSync as (...args: unknown[]) => number)(path, ...rest);
};
syncBuiltinESMExports();
const { FileSystemBlobStore } = await import('../../src/storage/blobs/file-system-blob-store.ts');

const root = await mkdtemp(join(tmpdir(), 'nugget-blob-syncs-'));
after(() => rm(root, { recursive: true, force: true }));

const bytes = new Uint8Array([1, 2, 3]);
const syncedBy = async (store: InstanceType<typeof FileSystemBlobStore>, key: string): Promise<string[]> => {
  opened.length = 0;
  await store.putFresh([{ key, bytes }]);
  return opened.map((path) => path.slice(root.length) || '/');
};

test('a folder another writer made is synced into its parent before this write returns, once per writer', async () => {
  const first = new FileSystemBlobStore(root);
  const second = new FileSystemBlobStore(root);
  // The first writer makes packages/ and packages/a/ and syncs their parents (the root, packages/).
  const made = await syncedBy(first, 'packages/a/1.0.0/u1/a.nupkg');
  for (const parent of ['/', '/packages', '/packages/a', '/packages/a/1.0.0'])
    assert.ok(made.includes(parent), parent);
  // The second finds packages/a/ there: it cannot know the first's sync of packages/ finished, so it syncs it too.
  const found = await syncedBy(second, 'packages/a/2.0.0/u2/a.nupkg');
  for (const parent of ['/', '/packages', '/packages/a', '/packages/a/2.0.0'])
    assert.ok(found.includes(parent), parent);
  // Seen durable once, not again: another version syncs only what it made.
  const again = await syncedBy(second, 'packages/a/3.0.0/u3/a.nupkg');
  assert.ok(!again.includes('/') && !again.includes('/packages'), again.join(' '));
  assert.ok(again.includes('/packages/a') && again.includes('/packages/a/3.0.0/u3'), again.join(' '));
  // A folder removed and made again by another writer is another folder: synced again.
  await rm(join(root, 'packages/a'), { recursive: true });
  await syncedBy(first, 'packages/a/4.0.0/u4/a.nupkg');
  const remade = await syncedBy(second, 'packages/a/5.0.0/u5/a.nupkg');
  assert.ok(remade.includes('/packages'), remade.join(' '));
});
