// Queries compiled once per database (src/storage/sql/compiled-once.ts): the SQL of each dialect, the parameters
// of each run in their places, the same SQL string every run (so SQLite's statement cache finds its statement), and
// a refusal of a query whose shape would depend on a parameter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CamelCasePlugin,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  sql,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { compiledOnce } from '../../src/storage/sql/compiled-once.ts';
import type { Database } from '../../src/storage/sql/schema.ts';

/** A database of one dialect that runs nothing and records what it was asked to run. */
function recordingDatabase(dialect: 'sqlite' | 'postgres'): { db: Kysely<Database>; ran: CompiledQuery[] } {
  const ran: CompiledQuery[] = [];
  const connection: DatabaseConnection = {
    executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
      ran.push(query);
      return { rows: [] };
    },
    streamQuery: () => {
      throw new Error('not streamed');
    },
  };
  const postgres = dialect === 'postgres';
  const recording: Dialect = {
    createAdapter: () => (postgres ? new PostgresAdapter() : new SqliteAdapter()),
    createQueryCompiler: () => (postgres ? new PostgresQueryCompiler() : new SqliteQueryCompiler()),
    createIntrospector: (db) => (postgres ? new PostgresIntrospector(db) : new SqliteIntrospector(db)),
    createDriver: () => ({
      init: async () => {},
      acquireConnection: async () => connection,
      beginTransaction: async () => {},
      commitTransaction: async () => {},
      rollbackTransaction: async () => {},
      releaseConnection: async () => {},
      destroy: async () => {},
    }),
  };
  return { db: new Kysely<Database>({ dialect: recording }), ran };
}

const findVersion = compiledOnce((db, p: { feed: string; lowerId: string; lowerVersion: string }) =>
  db
    .selectFrom('package_versions')
    .select('lower_version')
    .where('feed', '=', p.feed)
    .where('lower_version', '=', p.lowerVersion)
    .where('lower_id', '=', p.lowerId)
    .limit(1),
);

test('each dialect gets its own SQL, and every run its own parameters in their places', async () => {
  const sqlite = recordingDatabase('sqlite');
  const postgres = recordingDatabase('postgres');
  await findVersion(sqlite.db, { feed: 'default', lowerId: 'contoso.a', lowerVersion: '1.0.0' });
  await findVersion(postgres.db, { feed: 'main', lowerId: 'contoso.b', lowerVersion: '2.0.0' });
  await findVersion(sqlite.db, { feed: 'other', lowerId: 'contoso.c', lowerVersion: '3.0.0-beta' });

  assert.match(
    sqlite.ran[0]?.sql ?? '',
    /"feed" = \? and "lower_version" = \? and "lower_id" = \? limit \?$/,
  );
  assert.match(
    postgres.ran[0]?.sql ?? '',
    /"feed" = \$1 and "lower_version" = \$2 and "lower_id" = \$3 limit \$4$/,
  );
  assert.deepEqual(sqlite.ran[0]?.parameters, ['default', '1.0.0', 'contoso.a', 1]);
  assert.deepEqual(postgres.ran[0]?.parameters, ['main', '2.0.0', 'contoso.b', 1]);
  assert.deepEqual(sqlite.ran[1]?.parameters, ['other', '3.0.0-beta', 'contoso.c', 1]);
  // The very same string: the statement cache keys on it, and a string built anew would be hashed anew.
  assert.equal(sqlite.ran[1]?.sql, sqlite.ran[0]?.sql);
  assert.notEqual(sqlite.ran[1]?.queryId, sqlite.ran[0]?.queryId);
});

test('inside a transaction the query runs on the transaction, compiled as for its database', async () => {
  const { db, ran } = recordingDatabase('postgres');
  await db
    .transaction()
    .execute((trx) => findVersion(trx, { feed: 'f', lowerId: 'contoso.a', lowerVersion: '1.0.0' }));
  assert.match(ran[0]?.sql ?? '', /\$1/);
  assert.deepEqual(ran[0]?.parameters, ['f', '1.0.0', 'contoso.a', 1]);
});

test('an undefined parameter is bound as NULL; raw SQL compiles once too', async () => {
  const { db, ran } = recordingDatabase('sqlite');
  const touch = compiledOnce((executor, p: { feed: string; deprecation?: string | undefined }) =>
    sql`UPDATE package_versions SET deprecation = ${p.deprecation} WHERE feed = ${p.feed}`.compile(executor),
  );
  await touch(db, { feed: 'default', deprecation: undefined });
  await touch(db, { feed: 'default', deprecation: '{}' });
  assert.equal(ran[0]?.sql, 'UPDATE package_versions SET deprecation = ? WHERE feed = ?');
  assert.deepEqual(ran[0]?.parameters, [null, 'default']);
  assert.deepEqual(ran[1]?.parameters, ['{}', 'default']);
});

test('a query whose shape depends on a parameter is refused when it is first compiled', async () => {
  const { db } = recordingDatabase('sqlite');
  const byColumn = compiledOnce((executor, p: { column: string }) =>
    sql`SELECT ${sql.raw(p.column)} FROM package_versions`.compile(executor),
  );
  await assert.rejects(byColumn(db, { column: 'id' }), /parameter 'column' is not a value of the query/);
});

test('a database with a Kysely plugin is refused: the SQL compiled without it would skip what it rewrites', async () => {
  const { db, ran } = recordingDatabase('sqlite');
  const withPlugin = db.withPlugin(new CamelCasePlugin());
  await assert.rejects(
    findVersion(withPlugin, { feed: 'f', lowerId: 'a', lowerVersion: '1.0.0' }),
    /Kysely plugins is not supported/,
  );
  assert.equal(ran.length, 0);
});
