// The metadata database on PostgreSQL: the same Kysely code as SQLite, over a pg pool.
// The only module that imports `pg`, so the embedded default never loads it (compose.ts imports this lazily).
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool, types } from 'pg';
import { withFaultTranslation } from './database-faults.ts';
import { migrateToLatest } from './migrations.ts';
import type { Database } from './schema.ts';

export interface PostgresDatabaseOptions {
  /** Largest number of pooled connections; default 10, at least 2 (see the migration lock below). */
  readonly maxConnections?: number;
  /**
   * Called when an idle pooled connection fails (the server restarted, a network cut). pg drops that connection
   * and opens a new one on the next query; without a listener the pool's 'error' event would end the process.
   */
  readonly onIdleConnectionError?: (error: Error) => void;
  /** Refuse a database that holds no nugget schema yet instead of creating one (admin commands, docs/cli). */
  readonly requireFeed?: boolean;
  /** Receives the pool, whose connection counts the metrics read (docs/operations.md, "Metrics"). */
  readonly onPool?: (pool: {
    readonly totalCount: number;
    readonly idleCount: number;
    readonly waitingCount: number;
  }) => void;
}

// int8 (count(*), bigint columns) and numeric (sum()) come back as strings by default, because they can exceed
// 2^53. Counts and byte sizes of packages stay far below that, and the SQLite dialect answers with numbers, so
// parse them as numbers here: the store code then reads alike on both databases.
const int8Oid = 20;
const numericOid = 1700;
const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
  (oid === int8Oid || oid === numericOid) && format !== 'binary'
    ? Number
    : types.getTypeParser(oid, format ?? 'text')) as typeof types.getTypeParser;

/**
 * Any fixed 64-bit number; every nugget node takes this session-level advisory lock around migrating, so when
 * several nodes start at once one migrates and the others wait, then find nothing left to do.
 * https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS
 */
export const migrationAdvisoryLock = 7_464_845_801_911_276_151n;

/** Connects to `url` (postgres://user:password@host:port/database) and brings the schema up to date. */
export async function openPostgresDatabase(
  url: string,
  options: PostgresDatabaseOptions = {},
): Promise<Kysely<Database>> {
  const pool = new Pool({
    connectionString: url,
    max: Math.max(2, options.maxConnections ?? 10),
    // A database that does not answer (stopped, a network cut) fails a request with 503 after this long,
    // instead of holding it until the operating system gives up on the TCP connection minutes later; at start,
    // one attempt of --startup-wait's retries.
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
    types: { getTypeParser },
  });
  pool.on('error', options.onIdleConnectionError ?? (() => {}));
  // The pool listens for errors only on idle clients; a client checked out (a transaction holding a per-id lock
  // while a push streams its blob) that the server terminates (57P01, a stopped or restarted PostgreSQL) would
  // raise an unhandled 'error' event and end the process. Its next query fails on its own and becomes a 503, and
  // the pool reports the idle ones above, so this listener only keeps the process alive.
  // https://node-postgres.com/apis/pool#error
  pool.on('connect', (client) => client.on('error', () => {}));
  options.onPool?.(pool);
  const db = new Kysely<Database>({ dialect: withFaultTranslation(new PostgresDialect({ pool })) });
  try {
    // The lock lives on one connection while the migrator works on others: the pool always has two or more.
    await db.connection().execute(async (connection) => {
      if (options.requireFeed) {
        // Kysely's migrator records every applied migration in this table: no table, no feed.
        const { rows } = await sql<{
          found: string | null;
        }>`SELECT to_regclass('kysely_migration')::text AS found`.execute(connection);
        if (!rows[0]?.found) {
          throw new Error('this database holds no nugget feed; add --create to start a new feed there');
        }
      }
      await sql`SELECT pg_advisory_lock(${migrationAdvisoryLock})`.execute(connection);
      try {
        await migrateToLatest(db as Kysely<unknown>, 'postgres');
      } finally {
        await sql`SELECT pg_advisory_unlock(${migrationAdvisoryLock})`.execute(connection);
      }
    });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}
