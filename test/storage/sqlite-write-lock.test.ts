// Two processes writing one SQLite database (a `nugget` command beside the server): a transaction that reads and
// then writes must wait for the other process's write, not fail half-way. With a deferred BEGIN, the reader's
// snapshot goes stale when the other process commits in between, and its first write fails at once with
// SQLITE_BUSY_SNAPSHOT (the busy timeout does not apply to it). Every nugget transaction begins IMMEDIATE, so it
// holds the write lock from its first statement and the other process waits (busy_timeout). A lock held longer
// than the busy timeout is the server's fault for now: 503 with Retry-After, never a 500.
// https://www.sqlite.org/lang_transaction.html, https://www.sqlite.org/wal.html#sometimes_queries_return_sqlite_busy_in_wal_mode
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/storage/sql/schema.ts';
import { openSqliteDatabase } from '../../src/storage/sql/sqlite-database.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { parseJson, startFeed } from '../http/feed-fixture.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
let root: string;
let db: Kysely<Database>;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'nugget-sqlite-lock-'));
  db = await openSqliteDatabase(path.join(root, 'nugget.db'));
  await sql`CREATE TABLE counter (n INTEGER NOT NULL)`.execute(db);
  await sql`INSERT INTO counter VALUES (0)`.execute(db);
});
after(async () => {
  await db?.destroy();
  if (root) await rm(root, { recursive: true, force: true });
});

test('a read-then-write transaction and another process writing meanwhile both succeed, one after the other', async () => {
  const file = path.join(root, 'nugget.db');
  // The other process: opens the database as nugget does, says "ready", and on a line from us adds 10.
  const script = `
    import { openSqliteDatabase } from ${JSON.stringify(path.join(repoRoot, 'src/storage/sql/sqlite-database.ts'))};
    import { sql } from 'kysely';
    const db = await openSqliteDatabase(${JSON.stringify(file)});
    process.stdout.write('ready\\n');
    process.stdin.once('data', async () => {
      await db.transaction().execute((trx) => sql\`UPDATE counter SET n = n + 10\`.execute(trx));
      process.stdout.write('written\\n');
      await db.destroy();
      process.exit(0);
    });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    let output = '';
    const seen = (word: string) =>
      new Promise<void>((resolve) => {
        const check = () => output.includes(word) && resolve();
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          check();
        });
        check();
      });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await seen('ready');

    await db.transaction().execute(async (trx) => {
      const before = await sql<{ n: number }>`SELECT n FROM counter`.execute(trx);
      // Now the other process writes; give it time to commit if it can (it cannot while we hold the lock).
      child.stdin.write('go\n');
      await Promise.race([seen('written'), new Promise((resolve) => setTimeout(resolve, 1000))]);
      await sql`UPDATE counter SET n = ${Number(before.rows[0]?.n) + 1}`.execute(trx);
    });

    assert.equal(await exited, 0, 'the other process wrote too, after waiting for the lock');
    const after = await sql<{ n: number }>`SELECT n FROM counter`.execute(db);
    assert.equal(after.rows[0]?.n, 11, 'no write was lost: 0 + 1, then + 10');
  } finally {
    child.kill('SIGKILL');
  }
});

test('a write lock held by another process past the 5 s busy timeout: 503 database_busy with Retry-After, then 201', async () => {
  const feed = await startFeed();
  const file = path.join(feed.dataDir, 'nugget.db');
  // The other process takes the write lock and keeps it for 7 s.
  const script = `
    import BetterSqlite3 from 'better-sqlite3';
    const db = new BetterSqlite3(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('ROLLBACK'); db.close(); process.exit(0); }, 7000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const nupkg = await buildNupkg({ id: 'Busy.Package', version: '1.0.0' });
    const response = await feed.push(nupkg);
    assert.equal(response.statusCode, 503, response.body);
    assert.equal(parseJson(response)['error'].code, 'database_busy');
    assert.ok(Number(response.headers['retry-after']) > 0);
    assert.deepEqual(await feed.filesUnder('tmp'), []);
    assert.deepEqual(await feed.filesUnder('blobs/packages/busy.package'), []);
    await exited;
    assert.equal((await feed.push(nupkg)).statusCode, 201);
  } finally {
    child.kill('SIGKILL');
    await feed.close();
  }
});
