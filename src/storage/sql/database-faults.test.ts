// Which database errors are the server's fault: SQLite result codes, PostgreSQL SQLSTATEs, lost connections.
// https://www.sqlite.org/rescode.html, https://www.postgresql.org/docs/current/errcodes-appendix.html
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { ErrorKind } from '../../errors.ts';
import { databaseFault, withFaultTranslation } from './database-faults.ts';

const sqlite = (code: string) => Object.assign(new Error(code), { name: 'SqliteError', code });
// pg's DatabaseError carries the SQLSTATE in `code` and a `severity`.
const postgres = (code: string) => Object.assign(new Error(code), { code, severity: 'ERROR' });
const network = (code: string) => Object.assign(new Error(code), { code, syscall: 'connect' });

describe('databaseFault', () => {
  const rows: [string, Error, ErrorKind | undefined, string | undefined][] = [
    [
      'SQLite: database or disk is full',
      sqlite('SQLITE_FULL'),
      'InsufficientStorage',
      'database_storage_full',
    ],
    ['SQLite: busy after the busy timeout', sqlite('SQLITE_BUSY'), 'Unavailable', 'database_busy'],
    ['SQLite: busy snapshot', sqlite('SQLITE_BUSY_SNAPSHOT'), 'Unavailable', 'database_busy'],
    ['SQLite: read-only file', sqlite('SQLITE_READONLY'), 'Unavailable', 'database_not_writable'],
    ['SQLite: cannot open', sqlite('SQLITE_CANTOPEN'), 'Unavailable', 'database_not_writable'],
    ['SQLite: disk I/O error', sqlite('SQLITE_IOERR_WRITE'), 'Unavailable', 'database_io_error'],
    ['SQLite: corrupt', sqlite('SQLITE_CORRUPT'), 'Unavailable', 'database_corrupt'],
    ['SQLite: a unique key', sqlite('SQLITE_CONSTRAINT_PRIMARYKEY'), undefined, undefined],
    ['SQLite: a syntax error', sqlite('SQLITE_ERROR'), undefined, undefined],
    ['PostgreSQL: disk full', postgres('53100'), 'InsufficientStorage', 'database_storage_full'],
    ['PostgreSQL: too many connections', postgres('53300'), 'Unavailable', 'database_unavailable'],
    ['PostgreSQL: admin shutdown', postgres('57P01'), 'Unavailable', 'database_unavailable'],
    ['PostgreSQL: crash shutdown', postgres('57P02'), 'Unavailable', 'database_unavailable'],
    ['PostgreSQL: starting up', postgres('57P03'), 'Unavailable', 'database_unavailable'],
    ['PostgreSQL: connection failure', postgres('08006'), 'Unavailable', 'database_unavailable'],
    ['PostgreSQL: deadlock', postgres('40P01'), 'Unavailable', 'database_busy'],
    ['PostgreSQL: serialization failure', postgres('40001'), 'Unavailable', 'database_busy'],
    ['PostgreSQL: read-only standby', postgres('25006'), 'Unavailable', 'database_read_only'],
    ['PostgreSQL: a unique key', postgres('23505'), undefined, undefined],
    ['PostgreSQL: an undefined column', postgres('42703'), undefined, undefined],
    ['refused connection', network('ECONNREFUSED'), 'Unavailable', 'database_unavailable'],
    ['unknown host', network('ENOTFOUND'), 'Unavailable', 'database_unavailable'],
    [
      'pg: connection terminated',
      new Error('Connection terminated unexpectedly'),
      'Unavailable',
      'database_unavailable',
    ],
    [
      'pg: connect timeout',
      new Error('timeout exceeded when trying to connect'),
      'Unavailable',
      'database_unavailable',
    ],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')"), undefined, undefined],
  ];
  for (const [what, error, kind, code] of rows) {
    test(`${what} -> ${code ?? 'not a server fault'}`, () => {
      const fault = databaseFault(error);
      assert.equal(fault?.kind, kind);
      assert.equal(fault?.code, code);
      if (fault) assert.equal(fault.cause, error, 'the real cause is kept for the log');
    });
  }

  test('busy and unreachable say when to retry; a full disk waits for an operator', () => {
    assert.ok((databaseFault(sqlite('SQLITE_BUSY'))?.retryAfterSeconds ?? 0) > 0);
    assert.ok((databaseFault(network('ECONNREFUSED'))?.retryAfterSeconds ?? 0) > 0);
    assert.equal(databaseFault(sqlite('SQLITE_FULL'))?.retryAfterSeconds, undefined);
  });
});

describe('withFaultTranslation', () => {
  const open = () =>
    new Kysely<Record<string, never>>({
      dialect: withFaultTranslation(new SqliteDialect({ database: new BetterSqlite3(':memory:') }), {
        begin: 'begin immediate',
      }),
    });

  test('a ROLLBACK that fails (the transaction is already gone) does not replace the error that caused it', async () => {
    const db = open();
    try {
      // SQLite ends a transaction by itself after SQLITE_FULL or SQLITE_IOERR; ending it by hand does the same.
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await sql`ROLLBACK`.execute(trx);
          throw new Error('the first error');
        }),
        /the first error/,
      );
      // The connection is usable afterwards.
      assert.deepEqual((await sql<{ n: number }>`SELECT 1 AS n`.execute(db)).rows, [{ n: 1 }]);
    } finally {
      await db.destroy();
    }
  });

  test("a driver's server fault comes out as its kind; other errors as they were", async () => {
    const db = open();
    try {
      await sql`CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)`.execute(db);
      await sql`INSERT INTO t VALUES (1, '')`.execute(db);
      await assert.rejects(sql`INSERT INTO t VALUES (1, '')`.execute(db), {
        code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
      });
      await sql.raw('PRAGMA max_page_count = 1').execute(db);
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          for (let i = 2; i < 50; i++)
            await sql`INSERT INTO t VALUES (${i}, ${'x'.repeat(1000)})`.execute(trx);
        }),
        { kind: 'InsufficientStorage', code: 'database_storage_full' },
      );
    } finally {
      await db.destroy();
    }
  });
});
