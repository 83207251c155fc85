// Change stamps on PostgreSQL are read by queries that concurrent callers share (src/storage/sql/shared-stamp-reads.ts,
// docs/decisions/0029-perf-postgres-shared-stamp-reads.md). A caller may only share a query sent after its call
// began: a stamp moved by another node (another pool on the same database) before a read is asked must be seen by
// that read, however many reads are in flight at that moment.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { moment } from '../../src/storage/coalesced.ts';
import { SqlChangeStamps } from '../../src/storage/sql/change-stamps.ts';
import { openPostgresDatabase } from '../../src/storage/sql/postgres-database.ts';
import type { Database } from '../../src/storage/sql/schema.ts';
import { SharedStampReads } from '../../src/storage/sql/shared-stamp-reads.ts';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.ts';

describe('PostgreSQL change stamps, shared between concurrent readers', () => {
  let server: PostgresServer;
  let reader: Kysely<Database>;
  let writer: Kysely<Database>;

  /** Moves a stamp through the other node; the new value. */
  const bump = async (column: 'stamp' | 'settings_stamp') =>
    Number(
      (
        await sql<{
          n: number;
        }>`UPDATE feeds SET ${sql.ref(column)} = ${sql.ref(column)} + 1 WHERE name = 'default' RETURNING ${sql.ref(column)} AS n`.execute(
          writer,
        )
      ).rows[0]!.n,
    );
  const stored = async () =>
    (
      await sql<{
        stamp: number;
        settings_stamp: number;
      }>`SELECT stamp, settings_stamp FROM feeds WHERE name = 'default'`.execute(writer)
    ).rows[0]!;

  before(async () => {
    server = await startPostgresServer();
    const url = await server.createDatabase();
    reader = await openPostgresDatabase(url);
    writer = await openPostgresDatabase(url);
    await sql`INSERT INTO feeds (name, description, settings, created, stamp, settings_stamp)
      VALUES ('default', '', '{}', '2026-12-02T00:00:00Z', 1, 1) ON CONFLICT DO NOTHING`.execute(writer);
  });
  after(async () => {
    await reader?.destroy();
    await writer?.destroy();
    await server?.stop();
  });

  test('a commit made on another node before a read is asked is seen by it, while reads are in flight', async () => {
    const stamps = new SqlChangeStamps(reader, 'default');
    let stop = false;
    // Readers that keep a shared query of the feed's row in flight all the time.
    const background = Array.from({ length: 20 }, async () => {
      while (!stop) await stamps.latest();
    });
    try {
      for (let i = 0; i < 100; i++) {
        const expected = await bump('stamp');
        assert.equal(await stamps.latest(), expected, `read ${i} right after the commit`);
      }
    } finally {
      stop = true;
      await Promise.all(background);
    }
  });

  test('a caller that read the row since a moment reads it again for free; one asked later queries', async () => {
    const reads = new SharedStampReads(reader);
    const arrived = moment();
    const first = await reads.feedRow('default');
    const queries = reads.counts.queries;
    assert.deepEqual(await reads.feedRow('default', arrived), first, 'the row read since the caller arrived');
    assert.equal(reads.counts.queries, queries, 'no second query');
    await bump('settings_stamp');
    const later = moment();
    const current = await reads.feedRow('default', later);
    assert.equal(reads.counts.queries, queries + 1);
    assert.equal(current?.settings, Number((await stored()).settings_stamp), 'the commit before the moment');
    assert.equal(await reads.feedRow('no-such-feed'), undefined);
  });

  test("an id's latest entry is read by a query of its own, shared by concurrent callers", async () => {
    const reads = new SharedStampReads(reader);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => reads.latestFor('default', 'no.such.id')),
    );
    assert.deepEqual(answers, Array(10).fill(0));
    assert.ok(reads.counts.queries <= 2, `${reads.counts.queries} queries for 10 callers`);
  });
});
