// Processes that share a data dir (two nodes on one volume, `nugget gc` beside a server): each keeps its uploads in
// progress in a folder of its own under tmp/, removes only that folder and those of processes that stopped (whose
// heartbeat is old), and a node starting beside another never breaks the other's push. And `gc` leaves no empty
// folders behind in the file store, without racing a push that is creating the same folder.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { collectGarbage } from '../../src/packages/collect-garbage.ts';
import { claimTempFolder, tempFolderStaleAfterMs } from '../../src/packages/temp-folders.ts';
import { FileSystemBlobStore } from '../../src/storage/blobs/file-system-blob-store.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { startSocketPush } from '../support/socket-push.ts';
import { startFeed, type TestFeed } from './feed-fixture.ts';

const hour = 60 * 60 * 1000;

/** Every folder under `root` (recursively) that holds nothing at all. */
async function emptyFolders(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (folder: string) => {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    if (entries.length === 0 && folder !== root) found.push(path.relative(root, folder));
    for (const entry of entries) if (entry.isDirectory()) await visit(path.join(folder, entry.name));
  };
  await visit(root);
  return found.sort();
}

/** Sends the first half of a push over a socket; the returned function sends the rest and resolves to the status. */
async function startSlowPush(feed: TestFeed, nupkg: Buffer): Promise<() => Promise<number>> {
  await feed.app.listen({ host: '127.0.0.1', port: 0 });
  const address = feed.app.server.address();
  assert.ok(address && typeof address === 'object');
  const push = startSocketPush(`http://127.0.0.1:${address.port}`, feed.apiKey, nupkg, {
    firstHalfOnly: true,
  });
  // Wait until the server has started writing the upload to its temp folder.
  for (let i = 0; i < 200 && (await feed.filesUnder('tmp')).length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal((await feed.filesUnder('tmp')).length, 1, 'the upload is being written');
  return async () => {
    push.sendRest();
    return (await push.answer).status;
  };
}

describe('temporary folders on a shared data dir', () => {
  test("a node starting on the data dir of a running node leaves the other's push in progress alone", async () => {
    const first = await startFeed();
    try {
      // Larger than what a push keeps in memory only (256 KB, receive-package.ts): its upload is a file in tmp/.
      const nupkg = await buildNupkg({
        id: 'Shared.Tmp',
        version: '1.0.0',
        files: [{ path: 'lib/net8.0/data.bin', content: randomBytes(600 * 1024) }],
      });
      const finish = await startSlowPush(first, nupkg);
      const second = await startFeed({ config: { dataDir: first.dataDir } });
      try {
        assert.equal(await finish(), 201, 'the first node still publishes its push');
        const download = await second.get('/v3/flatcontainer/shared.tmp/1.0.0/shared.tmp.1.0.0.nupkg');
        assert.equal(download.statusCode, 200);
        assert.deepEqual(download.rawPayload, nupkg);
      } finally {
        await second.nugget.close();
      }
    } finally {
      await first.close();
    }
  });

  test('a push succeeds after its process folder under tmp/ was removed from outside (an operator, a cleaner)', async () => {
    const feed = await startFeed();
    try {
      await rm(feed.nugget.tempRoot, { recursive: true, force: true });
      const response = await feed.push(await buildNupkg({ id: 'Contoso.AfterTmpRemoved', version: '1.0.0' }));
      assert.equal(response.statusCode, 201, response.body);
      await stat(feed.feed.options.tempDir);
    } finally {
      await feed.close();
    }
  });

  test('each process has its own folder under tmp/ and removes it when it closes', async () => {
    const feed = await startFeed();
    try {
      const own = feed.feed.options.tempDir;
      assert.equal(path.dirname(own), feed.nugget.tempRoot);
      assert.equal(path.dirname(feed.nugget.tempRoot), feed.dataDir);
      await feed.nugget.close();
      await assert.rejects(stat(own), { code: 'ENOENT' });
    } finally {
      await rm(feed.dataDir, { recursive: true, force: true });
    }
  });

  test('a start removes what stopped processes left (old heartbeat), never a live folder or a recent file', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'nugget-tmp-root-'));
    try {
      const longAgo = new Date(Date.now() - tempFolderStaleAfterMs - 60_000);
      const dead = path.join(root, 'other-host-123-dead');
      const live = path.join(root, 'other-host-456-live');
      for (const folder of [dead, live]) {
        await mkdir(folder);
        await writeFile(path.join(folder, 'push-x.nupkg'), Buffer.alloc(10));
      }
      // A file written long ago inside a folder whose owner is alive: the owner's business, not ours.
      await utimes(path.join(live, 'push-x.nupkg'), longAgo, longAgo);
      await utimes(dead, longAgo, longAgo);
      await writeFile(path.join(root, 'loose-old'), 'x');
      await utimes(path.join(root, 'loose-old'), longAgo, longAgo);
      await writeFile(path.join(root, 'loose-new'), 'x');

      const mine = await claimTempFolder(root, { sweep: true });
      assert.deepEqual(
        (await readdir(root)).sort(),
        ['loose-new', path.basename(live), path.basename(mine.path)].sort(),
      );
      assert.deepEqual(await readdir(live), ['push-x.nupkg']);
      await mine.release();
      assert.deepEqual((await readdir(root)).sort(), ['loose-new', path.basename(live)].sort());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('gc removes stale folders and old files in tmp/, and leaves a live process its folder', async () => {
    const feed = await startFeed();
    try {
      const root = feed.nugget.tempRoot;
      const longAgo = new Date(Date.now() - 2 * hour);
      const dead = path.join(root, 'gone-1-abcd');
      await mkdir(dead);
      await writeFile(path.join(dead, 'push-a.nupkg'), Buffer.alloc(7));
      await utimes(dead, longAgo, longAgo);
      const leaked = path.join(feed.feed.options.tempDir, 'push-leaked.nupkg');
      await writeFile(leaked, Buffer.alloc(3));
      await utimes(leaked, longAgo, longAgo);

      const report = await collectGarbage(feed.gcDeps({ tempDir: root }), {
        gracePeriodMs: hour,
        dryRun: false,
      });
      const own = path.basename(feed.feed.options.tempDir);
      assert.deepEqual(
        report.tempFiles,
        [
          { name: 'gone-1-abcd', bytes: 7 },
          { name: `${own}/push-leaked.nupkg`, bytes: 3 },
        ].sort((a, b) => a.name.localeCompare(b.name)),
      );
      assert.deepEqual(await readdir(root), [own]);
      // The live node still receives pushes into its folder.
      await feed.publish({ id: 'Shared.AfterGc', version: '1.0.0' });
    } finally {
      await feed.close();
    }
  });
});

describe('no empty folders left in the file store', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ deleteBehavior: 'delete' });
  });
  after(() => feed.close());

  test('a hard delete removes the folders its version and id no longer need', async () => {
    await feed.publish({
      id: 'Empty.Deleted',
      version: '1.0.0',
      readme: { path: 'README.md', content: '#' },
    });
    await feed.publish({ id: 'Empty.Deleted', version: '2.0.0' });
    const remove = (version: string) =>
      feed.request('DELETE', `/v3/package/Empty.Deleted/${version}`, {
        headers: { 'x-nuget-apikey': feed.apiKey ?? '' },
      });
    assert.equal((await remove('1.0.0')).statusCode, 204);
    const blobs = path.join(feed.dataDir, 'blobs');
    assert.deepEqual(await emptyFolders(blobs), []);
    assert.deepEqual(await readdir(path.join(blobs, 'feeds', 'default', 'packages', 'empty.deleted')), [
      '2.0.0',
    ]);
    assert.equal((await remove('2.0.0')).statusCode, 204);
    assert.deepEqual(await emptyFolders(blobs), []);
    await assert.rejects(stat(path.join(blobs, 'feeds', 'default', 'packages', 'empty.deleted')), {
      code: 'ENOENT',
    });
  });

  test('gc removes an orphan with its folders, and old empty folders; young ones may be a push about to write', async () => {
    const blobs = path.join(feed.dataDir, 'blobs');
    await feed.feed.blobs.put('packages/empty.orphan/1.0.0/0000-orphan/nuspec', Buffer.from('<package/>'));
    const oldEmpty = path.join(blobs, 'packages', 'empty.crashed', '1.0.0', '1111-no-file-yet');
    const youngEmpty = path.join(blobs, 'packages', 'empty.young', '1.0.0', '2222-in-progress');
    await mkdir(oldEmpty, { recursive: true });
    await mkdir(youngEmpty, { recursive: true });
    const longAgo = new Date(Date.now() - 2 * hour);
    for (let folder = oldEmpty; folder !== path.join(blobs, 'packages'); folder = path.dirname(folder)) {
      await utimes(folder, longAgo, longAgo);
    }
    const later = { now: () => new Date(Date.now() + 2 * hour) };

    const dry = await collectGarbage(feed.gcDeps({ clock: { now: () => new Date() } }), {
      gracePeriodMs: hour,
      dryRun: true,
    });
    assert.equal(dry.emptyFolders, 3, 'the crashed push folder, its version and its id');
    assert.ok((await emptyFolders(blobs)).length > 0, 'a dry run removes nothing');

    const report = await collectGarbage(feed.gcDeps({ clock: later }), {
      gracePeriodMs: hour,
      dryRun: false,
    });
    assert.deepEqual(
      report.removed.map((o) => o.prefix),
      ['packages/empty.orphan/1.0.0/0000-orphan'],
    );
    assert.deepEqual(
      await emptyFolders(blobs),
      [],
      'with the clock past the grace period, nothing empty stays',
    );
    await feed.publish({ id: 'Empty.Young', version: '1.0.0' });
  });

  test('pruning folders never makes a concurrent write fail', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'nugget-prune-race-'));
    try {
      const store = new FileSystemBlobStore(root);
      const future = new Date(Date.now() + hour);
      // Every write lands in a folder that a removal and a sweep are emptying and removing at the same time.
      for (let round = 0; round < 40; round++) {
        const key = `packages/race/1.0.0/p${round}/nuspec`;
        await Promise.all([
          store.put(key, Buffer.from(String(round))),
          round > 0 ? store.deletePrefix(`packages/race/1.0.0/p${round - 1}`) : Promise.resolve(),
          store.removeEmptyFolders('packages', future, false),
          store.removeEmptyFolders('packages', future, false),
        ]);
        const blob = await store.open(key);
        assert.ok(blob, `round ${round}: the write is there`);
        blob.stream.destroy();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
