// Group commit on SQLite (src/storage/sql/sqlite-group-sync.ts): a transaction resolves only after a sync of the
// write-ahead log that began after its commit; concurrent transactions share syncs; one that fails fails alone.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { databaseFileOf, openSqlite } from '../../src/storage/sql/sqlite-database.ts';
import { WalSync, withGroupSync } from '../../src/storage/sql/sqlite-group-sync.ts';
import { syncOnceAtTheEnd } from '../../src/storage/sync-scope.ts';

interface Rows {
  pushes: { id: string };
}

/** A sync that takes `ms` and records, for each sync, which rows were committed when it began. */
function slowSync(sqlite: BetterSqlite3.Database, ms: number) {
  const seenAtStart: string[][] = [];
  const count = sqlite.prepare<[], string>('SELECT id FROM pushes ORDER BY id').pluck();
  const fsync = async (file: string) => {
    if (file.endsWith('-wal')) seenAtStart.push(count.all());
    await new Promise((resolve) => setTimeout(resolve, ms));
  };
  return { fsync, seenAtStart };
}

describe('SQLite group commit', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nugget-group-sync-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function open(name: string, ms: number) {
    const file = path.join(dir, name);
    const sqlite = new BetterSqlite3(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.exec('CREATE TABLE pushes (id TEXT PRIMARY KEY)');
    const sync = slowSync(sqlite, ms);
    const wal = new WalSync(file, { fsync: sync.fsync });
    const db = new Kysely<Rows>({
      dialect: withGroupSync(new SqliteDialect({ database: sqlite }), sqlite, wal),
    });
    return { db, wal, sync };
  }

  test('a transaction resolves after a sync that began once it had committed', async () => {
    const { db, sync } = await open('one.db', 5);
    for (const id of ['a', 'b', 'c']) {
      await db.transaction().execute((trx) => trx.insertInto('pushes').values({ id }).execute());
      // The last sync before this point began with the row already committed.
      assert.ok(
        sync.seenAtStart.at(-1)?.includes(id),
        `a sync covered ${id}: ${JSON.stringify(sync.seenAtStart)}`,
      );
    }
    await db.insertInto('pushes').values({ id: 'd' }).execute();
    assert.ok(sync.seenAtStart.at(-1)?.includes('d'), 'an autocommitted statement is synced too');
    const syncs = sync.seenAtStart.length;
    await db.selectFrom('pushes').selectAll().execute();
    assert.equal(sync.seenAtStart.length, syncs, 'a read syncs nothing');
    await db.destroy();
  });

  test('concurrent transactions share syncs, and one that fails fails alone', async () => {
    const { db, wal, sync } = await open('many.db', 30);
    const ids = Array.from({ length: 16 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    const outcomes = await Promise.allSettled(
      ids.map((id, i) =>
        db.transaction().execute(async (trx) => {
          await trx.insertInto('pushes').values({ id }).execute();
          if (i === 5) throw new Error('refused');
          // A second statement, so the transactions interleave with the syncs.
          await sql`SELECT 1`.execute(trx);
        }),
      ),
    );
    assert.equal(outcomes.filter((o) => o.status === 'rejected').length, 1);
    assert.equal((outcomes[5] as PromiseRejectedResult).reason.message, 'refused');
    const stored = (await db.selectFrom('pushes').select('id').execute()).map((r) => r.id);
    assert.deepEqual(
      stored,
      ids.filter((_, i) => i !== 5),
    );
    // Every committed row was covered by a sync that began after its commit...
    for (const id of stored)
      assert.ok(
        sync.seenAtStart.some((rows) => rows.includes(id)),
        id,
      );
    // ... and the 15 commits needed far fewer syncs than that.
    assert.ok(wal.counts.syncs < 8, `${wal.counts.syncs} syncs for 15 commits`);
    await db.destroy();
  });

  test('inside syncOnceAtTheEnd, commits share one sync after the last, before the scope resolves', async () => {
    const { db, sync } = await open('scoped.db', 5);
    const before = sync.seenAtStart.length;
    let background: Promise<unknown> | undefined;
    await syncOnceAtTheEnd(async () => {
      await db.transaction().execute((trx) => trx.insertInto('pushes').values({ id: 'push' }).execute());
      await db.insertInto('pushes').values({ id: 'audit' }).execute();
      assert.equal(sync.seenAtStart.length, before, 'no commit waited for a sync of its own');
      // Work the scope starts that commits only after the scope synced must sync by itself.
      background = new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
        db.insertInto('pushes').values({ id: 'later' }).execute(),
      );
    });
    assert.equal(sync.seenAtStart.length, before + 1, 'one sync for both commits');
    assert.deepEqual(sync.seenAtStart.at(-1), ['audit', 'push'], 'it began after both had committed');
    await background;
    assert.ok(sync.seenAtStart.at(-1)?.includes('later'), 'a commit after the scope synced is synced too');
    await db.destroy();
  });

  test("a scope whose work fails still syncs what it committed, and throws the work's error", async () => {
    const { db, sync } = await open('scoped-failing.db', 5);
    await assert.rejects(
      syncOnceAtTheEnd(async () => {
        await db.insertInto('pushes').values({ id: 'audited-failure' }).execute();
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.ok(sync.seenAtStart.at(-1)?.includes('audited-failure'));
    await db.destroy();
  });

  test('a failed sync fails the transactions waiting on it, with a 503', async () => {
    const file = path.join(dir, 'failing.db');
    const sqlite = new BetterSqlite3(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.exec('CREATE TABLE pushes (id TEXT PRIMARY KEY)');
    const failing = async () => {
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    };
    const db = new Kysely<Rows>({
      dialect: withGroupSync(
        new SqliteDialect({ database: sqlite }),
        sqlite,
        new WalSync(file, { fsync: failing }),
      ),
    });
    await assert.rejects(db.insertInto('pushes').values({ id: 'x' }).execute(), {
      kind: 'Unavailable',
      code: 'database_io_error',
    });
    await db.destroy();
  });

  test('through a symbolic link to the database, the log synced is the one SQLite writes, beside the real file', async () => {
    const real = path.join(dir, 'real-disk');
    const data = path.join(dir, 'linked-data');
    await mkdir(real);
    await mkdir(data);
    const link = path.join(data, 'nugget.db');
    await symlink(path.join(real, 'nugget.db'), link);
    const { db, sqlite } = await openSqlite(link);
    try {
      await db.transaction().execute((trx) => sql`CREATE TABLE pushes (id TEXT)`.execute(trx));
      assert.equal(databaseFileOf(sqlite), path.join(real, 'nugget.db'));
      assert.ok(existsSync(`${databaseFileOf(sqlite)}-wal`), 'SQLite writes its log beside the real file');
      assert.ok(!existsSync(`${link}-wal`), 'and not beside the link');
    } finally {
      await db.destroy();
    }
  });
});
