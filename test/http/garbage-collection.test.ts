// `nugget gc` (docs/architecture.md rule 12, docs/decisions/0002-safe-writes.md): a crash between storing a push's
// files and committing its row leaves nothing visible, and gc removes exactly those files, never a referenced one
// and never one younger than the grace period.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { collectGarbage, pushPrefixOf } from '../../src/packages/collect-garbage.ts';
import type { PackageStore } from '../../src/packages/ports.ts';
import { publishPackage } from '../../src/packages/publish-package.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { startFeed, type TestFeed } from './feed-fixture.ts';

const hour = 60 * 60 * 1000;
const repoRoot = path.resolve(import.meta.dirname, '..', '..');

describe('pushPrefixOf', () => {
  const rows: [string, string | undefined][] = [
    ['packages/a/1.0.0/0f8fad5b/a.1.0.0.nupkg', 'packages/a/1.0.0/0f8fad5b'],
    ['packages/a/1.0.0/0f8fad5b/nuspec', 'packages/a/1.0.0/0f8fad5b'],
    ['symbols/a/1.0.0/7c9e6679/a.pdb/abc/a.pdb', 'symbols/a/1.0.0/7c9e6679'],
    ['packages/a/1.0.0/0f8fad5b', undefined],
    ['other/a/1.0.0/0f8fad5b/nuspec', undefined],
  ];
  for (const [key, prefix] of rows) {
    test(`'${key}' -> ${prefix ?? 'not a push'}`, () => assert.equal(pushPrefixOf(key), prefix));
  }
});

describe('nugget gc', () => {
  let feed: TestFeed;
  let crashedPrefix: string;
  const keptNupkg: Buffer[] = [];

  before(async () => {
    feed = await startFeed();
    keptNupkg.push(await feed.publish({ id: 'Gc.Kept', version: '1.0.0' }));
    keptNupkg.push(
      await feed.publish({ id: 'Gc.Kept', version: '2.0.0', readme: { path: 'README.md', content: '# r' } }),
    );
    // Unlisted versions keep their files: a restore by exact version still downloads them.
    await feed.publish({ id: 'Gc.Unlisted', version: '1.0.0' });
    const unlist = await feed.request('DELETE', '/v3/package/Gc.Unlisted/1.0.0', {
      headers: { 'x-nuget-apikey': feed.apiKey ?? '' },
    });
    assert.equal(unlist.statusCode, 204, unlist.body);

    // The crash: publishPackage stores the blobs, then the process dies before the row is committed. A dead
    // process runs no clean-up, so deletePrefix does nothing here.
    const nupkg = await buildNupkg({
      id: 'Gc.Crashed',
      version: '1.0.0',
      readme: { path: 'README.md', content: '#' },
    });
    const upload = path.join(feed.dataDir, 'tmp', 'crashed-upload');
    await writeFile(upload, nupkg);
    const dying = {
      findVersion: async () => undefined,
      insert: async () => {
        throw new Error('the process died here');
      },
    } as unknown as PackageStore;
    const blobs = feed.feed.blobs;
    await assert.rejects(
      publishPackage(
        {
          packages: dying,
          blobs: {
            put: (key, bytes) => blobs.put(key, bytes),
            putFile: (key, file) => blobs.putFile(key, file),
            open: (key) => blobs.open(key),
            list: (prefix) => blobs.list(prefix),
            deletePrefix: async () => {},
          },
          clock: feed.feed.clock,
        },
        { path: upload, size: nupkg.length, sha512: createHash('sha512').update(nupkg).digest('base64') },
      ),
      /the process died here/,
    );
    const crashed = await feed.filesUnder('blobs/packages/gc.crashed/1.0.0');
    assert.ok(crashed.length >= 2, `the crashed push stored its files: ${crashed.join(', ')}`);
    crashedPrefix = `packages/gc.crashed/1.0.0/${path.dirname(crashed[0] as string)}`;
  });
  after(() => feed.close());

  test('the crashed push is not visible: flat container, registration and search know nothing of it', async () => {
    assert.equal((await feed.get('/v3/flatcontainer/gc.crashed/index.json')).statusCode, 404);
    assert.equal(
      (await feed.get('/v3/flatcontainer/gc.crashed/1.0.0/gc.crashed.1.0.0.nupkg')).statusCode,
      404,
    );
    assert.equal((await feed.get('/v3/registration/gc.crashed/index.json')).statusCode, 404);
    const search = await feed.json('/v3/search?q=Gc.Crashed');
    assert.equal(search['totalHits'], 0);
  });

  test('within the grace period nothing is removed: the files may belong to a push in progress', async () => {
    const report = await collectGarbage(
      { ...feed.feed, tempDir: feed.nugget.tempRoot },
      { gracePeriodMs: hour, dryRun: false },
    );
    assert.deepEqual(report.removed, []);
    assert.deepEqual(
      report.tooRecent.map((o) => o.prefix),
      [crashedPrefix],
    );
    assert.ok((await feed.filesUnder('blobs/packages/gc.crashed')).length >= 2);
  });

  test('--dry-run reports the orphan with its files and bytes, and removes nothing', async () => {
    const later = { now: () => new Date(Date.now() + 2 * hour) };
    const report = await collectGarbage(
      { ...feed.feed, clock: later },
      { gracePeriodMs: hour, dryRun: true },
    );
    assert.equal(report.dryRun, true);
    assert.deepEqual(
      report.removed.map((o) => o.prefix),
      [crashedPrefix],
    );
    const [orphan] = report.removed;
    assert.ok(orphan);
    assert.deepEqual(orphan.keys.map((key) => path.posix.basename(key)).sort(), [
      'gc.crashed.1.0.0.nupkg',
      'nuspec',
      'readme',
    ]);
    assert.ok(orphan.bytes > 0);
    assert.equal(report.removedBytes, orphan.bytes);
    assert.equal(report.referencedPrefixes, 3);
    assert.ok((await feed.filesUnder('blobs/packages/gc.crashed')).length >= 2, 'still there');
  });

  test('after the grace period gc removes the orphan and the stale upload, and keeps every referenced file', async () => {
    const stale = path.join(feed.feed.options.tempDir, 'stale-upload');
    const fresh = path.join(feed.feed.options.tempDir, 'upload-in-progress');
    await mkdir(feed.feed.options.tempDir, { recursive: true });
    await writeFile(stale, Buffer.alloc(100));
    await writeFile(fresh, Buffer.alloc(10));
    const twoHoursAgo = new Date(Date.now() - 2 * hour);
    await utimes(stale, twoHoursAgo, twoHoursAgo);

    const report = await collectGarbage(
      { ...feed.feed, tempDir: feed.nugget.tempRoot },
      { gracePeriodMs: hour, dryRun: false },
    );
    // The upload folder is this (live) process's: only its stale file goes.
    const own = path.basename(feed.feed.options.tempDir);
    assert.deepEqual(report.tempFiles, [{ name: `${own}/stale-upload`, bytes: 100 }]);
    await assert.rejects(stat(stale), { code: 'ENOENT' });
    await stat(fresh);

    const later = { now: () => new Date(Date.now() + 2 * hour) };
    const second = await collectGarbage(
      { ...feed.feed, clock: later },
      { gracePeriodMs: hour, dryRun: false },
    );
    assert.deepEqual(
      second.removed.map((o) => o.prefix),
      [crashedPrefix],
    );
    assert.deepEqual(await feed.filesUnder('blobs/packages/gc.crashed'), []);

    for (const [version, bytes] of [
      ['1.0.0', keptNupkg[0]],
      ['2.0.0', keptNupkg[1]],
    ] as const) {
      const download = await feed.get(`/v3/flatcontainer/gc.kept/${version}/gc.kept.${version}.nupkg`);
      assert.equal(download.statusCode, 200);
      assert.deepEqual(download.rawPayload, bytes);
    }
    assert.equal((await feed.get('/v3/flatcontainer/gc.kept/2.0.0/readme')).statusCode, 200);
    assert.equal(
      (await feed.get('/v3/flatcontainer/gc.unlisted/1.0.0/gc.unlisted.1.0.0.nupkg')).statusCode,
      200,
    );

    const third = await collectGarbage(
      { ...feed.feed, clock: later },
      { gracePeriodMs: hour, dryRun: false },
    );
    assert.deepEqual(third.removed, [], 'a second run finds nothing left');
  });

  test('the command line: `nugget gc --grace 0s` removes an orphan and prints it', async () => {
    const orphanKey = 'packages/gc.cli/1.0.0/11111111-2222-3333-4444-555555555555/nuspec';
    await feed.feed.blobs.put(orphanKey, Buffer.from('<package/>'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['src/cli/main.ts', 'gc', '--data-dir', feed.dataDir, '--grace', '0s'],
      { cwd: repoRoot, env: { ...process.env, NUGGET_LOG_LEVEL: 'silent' } },
    );
    assert.match(
      stdout,
      /Removed packages\/gc\.cli\/1\.0\.0\/11111111-2222-3333-4444-555555555555\/ \(1 files, 10 bytes\)/,
    );
    assert.match(stdout, new RegExp(`  ${orphanKey}`));
    assert.match(
      stdout,
      /Removed 1 orphaned prefixes \(1 files, 10 bytes\) and 1 stale temp files; 3 referenced prefixes kept\./,
    );
    assert.equal(await feed.feed.blobs.open(orphanKey), undefined);
    assert.equal((await feed.get('/v3/flatcontainer/gc.kept/1.0.0/gc.kept.1.0.0.nupkg')).statusCode, 200);
  });
});
