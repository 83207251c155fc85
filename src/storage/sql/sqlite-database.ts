import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { withFaultTranslation } from './database-faults.ts';
import { migrateToLatest } from './migrations.ts';
import type { Database } from './schema.ts';

/** Opens (creating if needed) the embedded SQLite database and brings its schema up to date. */
export async function openSqlite(
  file: string,
): Promise<{ db: Kysely<Database>; sqlite: BetterSqlite3.Database }> {
  const sqlite = new BetterSqlite3(file);
  // WAL lets readers go on while a push commits; the busy timeout covers a second process (gc, migrate) briefly
  // holding the lock. synchronous=FULL syncs the WAL at every commit: a push answered 201 survives a power loss
  // (with NORMAL its commit could be rolled back; docs/decisions/0006-faults-write-order-and-durability.md).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({
    dialect: withFaultTranslation(new SqliteDialect({ database: sqlite }), { begin: 'begin immediate' }),
  });
  await migrateToLatest(db as Kysely<unknown>);
  return { db, sqlite };
}

export async function openSqliteDatabase(file: string): Promise<Kysely<Database>> {
  return (await openSqlite(file)).db;
}
