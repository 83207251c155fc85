// The change stamps of the embedded database (src/storage/sql/change-stamps.ts) are remembered while the WAL-index
// header shows no commit since they were read. Every commit must move them at once, whoever made it: this
// connection, another connection of this process (a second node in one process), or another process (a worker, a
// node on the same data dir). Docs: docs/decisions/0003-read-caches-and-change-stamps.md.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { SqliteChangeStamps } from '../../src/storage/sql/change-stamps.ts';
import type { Database } from '../../src/storage/sql/schema.ts';
import { SqlUpstreamDocumentStore } from '../../src/storage/sql/sql-upstream-document-store.ts';
import { openSqlite } from '../../src/storage/sql/sqlite-database.ts';

describe('SQLite change stamps, remembered between commits', () => {
  let dir: string;
  let file: string;
  let first: BetterSqlite3.Database;
  let second: BetterSqlite3.Database;
  let secondDb: Kysely<Database>;
  let stamps: SqliteChangeStamps;

  const bump = (sqlite: BetterSqlite3.Database, column: 'stamp' | 'settings_stamp') =>
    sqlite.prepare(`UPDATE feeds SET ${column} = ${column} + 1 WHERE name = 'default'`).run();
  const stored = (column: 'stamp' | 'settings_stamp') =>
    second.prepare(`SELECT ${column} FROM feeds WHERE name = 'default'`).pluck().get() as number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nugget-stamps-'));
    file = join(dir, 'nugget.db');
    const opened = await openSqlite(file);
    first = opened.sqlite;
    ({ sqlite: second, db: secondDb } = await openSqlite(file));
    first.prepare("INSERT OR IGNORE INTO feeds (name, stamp, settings_stamp) VALUES ('default', 1, 1)").run();
    stamps = new SqliteChangeStamps(first, 'default');
  });

  after(async () => {
    first.close();
    second.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a commit through the same connection moves the stamp at the next read', async () => {
    const before = stamps.sync!.latest();
    assert.equal(stamps.sync!.latest(), before, 'nothing committed: the same stamp');
    bump(first, 'stamp');
    assert.equal(stamps.sync!.latest(), stored('stamp'));
    assert.notEqual(stamps.sync!.latest(), before);
    assert.equal(await stamps.latest(), stored('stamp'));
  });

  test('a commit through another connection moves the stamp and the settings stamp at once', () => {
    for (let i = 0; i < 20; i++) {
      stamps.sync!.latest();
      stamps.sync!.settings();
      bump(second, i % 2 ? 'stamp' : 'settings_stamp');
      assert.equal(stamps.sync!.latest(), stored('stamp'), `round ${i}`);
      assert.equal(stamps.sync!.settings(), stored('settings_stamp'), `round ${i}`);
    }
  });

  test('a commit by another process moves the stamp at the next read', () => {
    const before = stamps.sync!.latest();
    // A worker or a second node: its own process and connection, its commit finished before this read.
    execFileSync(
      process.execPath,
      [
        '-e',
        `const D = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
         const db = new D(${JSON.stringify(file)});
         db.prepare("UPDATE feeds SET stamp = stamp + 7 WHERE name = 'default'").run();
         db.close();`,
      ],
      { stdio: 'pipe' },
    );
    assert.equal(stamps.sync!.latest(), before + 7);
  });

  test('through a symbolic link, with a stale -shm beside the link: commits still move the stamp', async () => {
    const real = join(dir, 'disk');
    await mkdir(real);
    const link = join(dir, 'linked.db');
    await symlink(join(real, 'nugget.db'), link);
    // What a crash could have left beside the link: a -shm SQLite does not use, which never changes.
    await writeFile(`${link}-shm`, Buffer.alloc(32_768, 7));
    const linked = (await openSqlite(link)).sqlite;
    const writer = (await openSqlite(join(real, 'nugget.db'))).sqlite;
    try {
      linked
        .prepare("INSERT OR IGNORE INTO feeds (name, stamp, settings_stamp) VALUES ('default', 1, 1)")
        .run();
      const linkedStamps = new SqliteChangeStamps(linked, 'default');
      const before = linkedStamps.sync!.latest();
      writer.prepare("UPDATE feeds SET stamp = stamp + 3 WHERE name = 'default'").run();
      assert.equal(linkedStamps.sync!.latest(), before + 3);
    } finally {
      linked.close();
      writer.close();
    }
  });

  test("an id's latest catalog entry is remembered per id, and any commit makes every id read again", () => {
    let seq = 0;
    const addEntry = (sqlite: BetterSqlite3.Database, lowerId: string) => {
      seq += 1;
      sqlite
        .prepare(
          `INSERT INTO catalog_entries (feed, feed_seq, commit_id, commit_timestamp, type, lower_id, lower_version, id, version, snapshot)
           VALUES ('default', ?, 'c', '2026-12-02T00:00:00Z', 'PackageDetails', ?, '1.0.0', ?, '1.0.0', NULL)`,
        )
        .run(seq, lowerId, lowerId);
    };
    const storedFor = (lowerId: string) =>
      (second
        .prepare("SELECT max(seq) FROM catalog_entries WHERE feed = 'default' AND lower_id = ?")
        .pluck()
        .get(lowerId) as number | null) ?? 0;
    assert.equal(stamps.sync!.latestFor('memo.a'), 0, 'an id never pushed');
    for (let i = 0; i < 20; i++) {
      // Read both ids (remembered), then a commit by another connection touches one of them.
      stamps.sync!.latestFor('memo.a');
      stamps.sync!.latestFor('memo.b');
      addEntry(second, i % 2 ? 'memo.a' : 'memo.b');
      assert.equal(stamps.sync!.latestFor('memo.a'), storedFor('memo.a'), `round ${i}`);
      assert.equal(stamps.sync!.latestFor('memo.b'), storedFor('memo.b'), `round ${i}`);
    }
    assert.ok(storedFor('memo.a') > 0 && storedFor('memo.b') > 0);
  });

  test("an upstream feed's document change times move at the next read after another connection's put", async () => {
    const reader = new SqlUpstreamDocumentStore((await openSqlite(file)).db, 'public', { sqlite: first });
    const writer = new SqlUpstreamDocumentStore(secondDb, 'public');
    assert.equal(reader.sync!.latestChange(), 0);
    assert.equal(reader.sync!.changedAt('registration/a'), 0);
    for (let i = 1; i <= 10; i++) {
      const key = i % 2 ? 'registration/a' : 'registration/b';
      reader.sync!.latestChange();
      reader.sync!.changedAt('registration/a');
      reader.sync!.changedAt('registration/b');
      await writer.put(key, `body ${i}`, 1000 * i);
      assert.equal(reader.sync!.latestChange(), await writer.latestChange(), `round ${i}`);
      assert.equal(reader.sync!.changedAt(key), await writer.changedAt(key), `round ${i}`);
      assert.equal(await reader.changedAt(key), await writer.changedAt(key), `round ${i}`);
      assert.equal(reader.sync!.latestChange(), 1000 * i, `round ${i}`);
    }
  });
});
