import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { withFaultTranslation } from './database-faults.ts';
import { migrateToLatest } from './migrations.ts';
import type { Database } from './schema.ts';
import { WalSync, withGroupSync } from './sqlite-group-sync.ts';
import { withStatementCache } from './sqlite-statement-cache.ts';

/** Opens (creating if needed) the embedded SQLite database and brings its schema up to date. */
/**
 * The file SQLite really opened, with symbolic links resolved: SQLite keeps its -wal and -shm files beside that file,
 * not beside a link to it (a data directory whose nugget.db links to another disk). Whatever works on those files
 * (the group sync of the -wal, the change stamps' read of the -shm) must take their names from here: a name
 * beside the link would find no file (no sync at all) or a stale one left there.
 */
export function databaseFileOf(sqlite: BetterSqlite3.Database): string {
  const main = (sqlite.pragma('database_list') as { name: string; file: string }[]).find(
    (entry) => entry.name === 'main',
  );
  return main?.file || sqlite.name;
}

export async function openSqlite(
  file: string,
): Promise<{ db: Kysely<Database>; sqlite: BetterSqlite3.Database }> {
  const sqlite = new BetterSqlite3(file);
  // WAL lets readers go on while a push commits; the busy timeout covers a second process (gc, migrate) briefly
  // holding the lock. A commit is synced before it returns, so a push answered 201 survives a power loss
  // (docs/decisions/0006-faults-write-order-and-durability.md): not by synchronous=FULL, which syncs inside the
  // commit and holds up every request meanwhile, but by the group sync after it, which concurrent commits share
  // (sqlite-group-sync.ts, docs/decisions/0019-perf-writes-group-commit-and-memory.md).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  const faultTranslating = withFaultTranslation(new SqliteDialect({ database: withStatementCache(sqlite) }), {
    begin: 'begin immediate',
  });
  const db = new Kysely<Database>({
    dialect: withGroupSync(faultTranslating, sqlite, new WalSync(databaseFileOf(sqlite))),
  });
  await migrateToLatest(db as Kysely<unknown>);
  return { db, sqlite };
}

export async function openSqliteDatabase(file: string): Promise<Kysely<Database>> {
  return (await openSqlite(file)).db;
}
