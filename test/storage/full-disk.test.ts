// A full disk, for real: the data dir, its tmp/ and its blobs/ each on a small tmpfs of their own, filled to the
// last byte in turn. Whichever fills, a push answers 507 Insufficient Storage with a message that names what is
// full (never 400 push_body_incomplete, never 500), leaves nothing behind (no row, no file, no temporary upload),
// and the same push succeeds once there is room again; the feed invariant holds throughout.
// A read-only mount answers 503 naming the path. And PostgreSQL's own disk full (53100), with a database whose
// tablespace is on a full tmpfs, answers 507 the same way.
// Mounting needs root (as the test machines run); test/http/server-faults.test.ts injects the same faults anywhere.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { parseJson, startFeed, type TestFeed } from '../http/feed-fixture.ts';
import { assertFeedInvariant, injectReader } from '../support/feed-invariant.ts';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.ts';

const megabytes = 4;

const requireRoot = () =>
  assert.equal(
    process.getuid?.(),
    0,
    'these tests mount tmpfs file systems and must run as root (test/http/server-faults.test.ts covers the ' +
      'same faults without mounting)',
  );

function mountTmpfs(folder: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', folder]);
}

/** Writes a file until the file system is full; returns its path. */
async function fill(folder: string): Promise<string> {
  const path = join(folder, 'filler');
  const handle = await open(path, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
  return path;
}

describe('a full file system answers 507 and leaves no trace', () => {
  let root: string;
  let dataDir: string;
  const mounts: string[] = [];
  let feed: TestFeed;
  let pushed = 0;

  before(async () => {
    requireRoot();
    root = await mkdtemp(join(tmpdir(), 'nugget-full-disk-'));
    dataDir = join(root, 'data');
    for (const folder of [dataDir, join(dataDir, 'tmp'), join(dataDir, 'blobs')]) {
      await mkdir(folder, { recursive: true });
      mountTmpfs(folder);
      mounts.push(folder);
    }
    feed = await startFeed({ config: { dataDir } });
  });
  after(async () => {
    await feed?.close();
    for (const folder of mounts.reverse()) execFileSync('umount', ['-l', folder]);
    if (root) await rm(root, { recursive: true, force: true });
  });

  /**
   * Fills `folder`, pushes a new package, checks the 507 and the absence of any trace, frees, pushes again. The
   * package is larger than what a push keeps in memory (256 KB: receive-package.ts), so it goes through tmp/.
   */
  const pushOnFull = async (folder: string, code: string, mentions: RegExp) => {
    const id = `Full.Disk${++pushed}`;
    const nupkg = await buildNupkg({
      id,
      version: '1.0.0',
      description: 'd'.repeat(30_000),
      files: [{ path: 'lib/net8.0/data.bin', content: randomBytes(300 * 1024) }],
    });
    const filler = await fill(folder);
    try {
      const response = await feed.push(nupkg);
      assert.equal(response.statusCode, 507, response.body);
      const error = parseJson(response)['error'] as { code: string; message: string };
      assert.equal(error.code, code);
      assert.match(error.message, mentions);
      assert.equal((await feed.get(`/v3/flatcontainer/${id.toLowerCase()}/index.json`)).statusCode, 404);
      assert.deepEqual(await feed.filesUnder(`blobs/packages/${id.toLowerCase()}`), []);
      assert.deepEqual(await feed.filesUnder('tmp'), [], 'no temporary upload is left');
    } finally {
      await rm(filler);
    }
    const again = await feed.push(nupkg);
    assert.equal(again.statusCode, 201, `once there is room: ${again.body}`);
    await assertFeedInvariant([injectReader('node', feed.app)]);
  };

  test('tmp/ full while the upload is received', () =>
    pushOnFull(join(dataDir, 'tmp'), 'insufficient_storage', /uploads in progress/));

  test('a small push needs no room in tmp/: kept in memory, written once under its final name', async () => {
    const id = `Full.Disk${++pushed}`;
    const filler = await fill(join(dataDir, 'tmp'));
    try {
      const response = await feed.push(await buildNupkg({ id, version: '1.0.0' }));
      assert.equal(response.statusCode, 201, response.body);
      const uploads = (await feed.filesUnder('tmp')).filter((name) => !name.endsWith('filler'));
      assert.deepEqual(uploads, [], 'no temporary upload was made');
    } finally {
      await rm(filler);
    }
    await assertFeedInvariant([injectReader('node', feed.app)]);
  });

  test('blobs/ full while the package is stored', () =>
    pushOnFull(join(dataDir, 'blobs'), 'insufficient_storage', /package storage/));

  test("the database's disk full while the row is committed", () =>
    pushOnFull(dataDir, 'database_storage_full', /database/));

  test('a read-only blobs/ (EROFS) -> 503 naming the folder; writable again -> 201', async () => {
    const blobs = join(dataDir, 'blobs');
    const nupkg = await buildNupkg({ id: 'Full.ReadOnly', version: '1.0.0' });
    execFileSync('mount', ['-o', 'remount,ro', blobs]);
    try {
      const response = await feed.push(nupkg);
      assert.equal(response.statusCode, 503, response.body);
      const error = parseJson(response)['error'] as { code: string; message: string };
      assert.equal(error.code, 'storage_not_writable');
      assert.ok(error.message.includes(blobs), error.message);
      assert.match(error.message, /read-only/);
      assert.deepEqual(await feed.filesUnder('tmp'), []);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', blobs]);
    }
    assert.equal((await feed.push(nupkg)).statusCode, 201);
    pushed++;
  });

  test('after all that, every version pushed is there, once', async () => {
    const report = await assertFeedInvariant([injectReader('node', feed.app)]);
    assert.equal(report.versions.size, pushed);
  });
});

describe("PostgreSQL's disk full (53100) answers 507 and leaves no trace", () => {
  let root: string;
  let postgres: PostgresServer;
  let feed: TestFeed;
  let mounted = false;

  before(async () => {
    requireRoot();
    root = await mkdtemp(join(tmpdir(), 'nugget-full-pg-'));
    postgres = await startPostgresServer();
    // A tablespace on a small tmpfs of its own, owned by the cluster's user, and a database that lives in it.
    const space = join(root, 'space');
    await mkdir(space);
    // The cluster's user must reach the folder through its parent (mkdtemp makes it 0700).
    await chmod(root, 0o755);
    mountTmpfs(space);
    mounted = true;
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    await chown(space, uid, gid);
    const admin = new pg.Client({ connectionString: await postgres.createDatabase() });
    await admin.connect();
    try {
      await admin.query(`CREATE TABLESPACE small LOCATION '${space}'`);
      await admin.query('CREATE DATABASE on_small TABLESPACE small');
    } finally {
      await admin.end();
    }
    feed = await startFeed({
      config: { database: `postgres://postgres@127.0.0.1:${postgres.port}/on_small` },
    });
  });
  after(async () => {
    await feed?.close();
    await postgres?.stop();
    if (mounted) execFileSync('umount', ['-l', join(root, 'space')]);
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('a push when the database cannot grow -> 507 database_storage_full; room again -> 201', async () => {
    const space = join(root, 'space');
    // Files the cluster writes as its own user; root can still fill the rest.
    const nupkgs = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        buildNupkg({ id: `Full.Postgres${i}`, version: '1.0.0', description: 'p'.repeat(60_000) }),
      ),
    );
    const filler = await fill(space);
    let refused = 0;
    try {
      for (const nupkg of nupkgs) {
        const response = await feed.push(nupkg);
        if (response.statusCode === 201) continue;
        assert.equal(response.statusCode, 507, response.body);
        const error = parseJson(response)['error'] as { code: string; message: string };
        assert.equal(error.code, 'database_storage_full');
        refused++;
      }
      assert.ok(refused > 0, 'the full tablespace refused at least one push');
      assert.deepEqual(await feed.filesUnder('tmp'), []);
    } finally {
      await rm(filler);
    }
    for (const nupkg of nupkgs) {
      const response = await feed.push(nupkg);
      assert.ok([201, 409].includes(response.statusCode), response.body);
    }
    const report = await assertFeedInvariant([injectReader('node', feed.app)]);
    assert.equal(report.versions.size, nupkgs.length);
  });
});
