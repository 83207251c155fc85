// ChangeStamps: the latest catalog entry number, read on every cached read, so it must cost next to nothing.
import type BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import type { ChangeStamps } from '../../packages/ports.ts';
import { databaseFault } from './database-faults.ts';
import type { Database } from './schema.ts';

/** Runs a stamp read with its server faults (a disk error, a database gone) as error kinds. */
function faults<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw databaseFault(error) ?? error;
  }
}

/** SQLite: two statements prepared once and run synchronously (index-only lookups, a few microseconds each). */
export class SqliteChangeStamps implements ChangeStamps {
  // pluck(): the one value, without building a row object.
  readonly #latest: BetterSqlite3.Statement<[], number | null>;
  readonly #latestFor: BetterSqlite3.Statement<[string], number | null>;

  constructor(sqlite: BetterSqlite3.Database) {
    this.#latest = sqlite.prepare<[], number | null>('SELECT max(seq) FROM catalog_entries').pluck();
    this.#latestFor = sqlite
      .prepare<[string], number | null>('SELECT max(seq) FROM catalog_entries WHERE lower_id = ?')
      .pluck();
  }

  // The raw-HTTP fast path reads these outside any request handler, where an exception would end the process:
  // a stamp that cannot be read is NaN, which equals no kept answer's stamp, so the request goes on to Fastify,
  // whose (async) read of the same stamp reports the fault as 503 or 507.
  readonly sync = {
    latest: (): number => {
      try {
        return this.#latest.get() ?? 0;
      } catch {
        return Number.NaN;
      }
    },
    latestFor: (lowerId: string): number => {
      try {
        return this.#latestFor.get(lowerId) ?? 0;
      } catch {
        return Number.NaN;
      }
    },
  };

  // Read on every request, never remembered across requests: a client that writes through one node and then
  // reads through another must see its write, even when the reading node is mid-way through a busy turn.
  async latest(): Promise<number> {
    return faults(() => this.#latest.get() ?? 0);
  }

  async latestFor(lowerId: string): Promise<number> {
    return faults(() => this.#latestFor.get(lowerId) ?? 0);
  }
}

/** Any Kysely dialect (PostgreSQL): the same two index-only queries. */
export class SqlChangeStamps implements ChangeStamps {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async latest(): Promise<number> {
    const row = await sql<{ n: number | null }>`SELECT max(seq) AS n FROM catalog_entries`.execute(this.#db);
    return Number(row.rows[0]?.n ?? 0);
  }

  async latestFor(lowerId: string): Promise<number> {
    const row = await sql<{
      n: number | null;
    }>`SELECT max(seq) AS n FROM catalog_entries WHERE lower_id = ${lowerId}`.execute(this.#db);
    return Number(row.rows[0]?.n ?? 0);
  }
}
