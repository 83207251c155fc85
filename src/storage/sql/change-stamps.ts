// ChangeStamps of one feed: the feed's stamp (FeedsTable.stamp, moved by every catalog entry and settings change
// of the feed) and the latest catalog entry of one id in it. Read on every cached read, so each is one
// primary-key or index-only lookup.
import type BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import type { ChangeStamps } from '../../packages/ports.ts';
import { databaseFault } from './database-faults.ts';
import type { Database } from './schema.ts';

/** A feed that no longer exists: matches no stamp a cache holds (stamps are times in ms, or catalog numbers). */
const gone = -1;

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
  readonly #latest: BetterSqlite3.Statement<[string], number | null>;
  readonly #latestFor: BetterSqlite3.Statement<[string, string], number | null>;
  readonly #settings: BetterSqlite3.Statement<[string], number | null>;
  readonly #feed: string;

  constructor(sqlite: BetterSqlite3.Database, feed: string) {
    this.#feed = feed;
    this.#latest = sqlite.prepare<[string], number | null>('SELECT stamp FROM feeds WHERE name = ?').pluck();
    this.#settings = sqlite
      .prepare<[string], number | null>('SELECT settings_stamp FROM feeds WHERE name = ?')
      .pluck();
    this.#latestFor = sqlite
      .prepare<[string, string], number | null>(
        'SELECT max(seq) FROM catalog_entries WHERE feed = ? AND lower_id = ?',
      )
      .pluck();
  }

  // The raw-HTTP fast path reads these outside any request handler, where an exception would end the process:
  // a stamp that cannot be read is NaN, which equals no kept answer's stamp, so the request goes on to Fastify,
  // whose (async) read of the same stamp reports the fault as 503 or 507.
  readonly sync = {
    latest: (): number => {
      try {
        return this.#latest.get(this.#feed) ?? gone;
      } catch {
        return Number.NaN;
      }
    },
    latestFor: (lowerId: string): number => {
      try {
        return this.#latestFor.get(this.#feed, lowerId) ?? 0;
      } catch {
        return Number.NaN;
      }
    },
    settings: (): number => {
      try {
        return this.#settings.get(this.#feed) ?? gone;
      } catch {
        return Number.NaN;
      }
    },
  };

  // Read on every request, never remembered across requests: a client that writes through one node and then
  // reads through another must see its write, even when the reading node is mid-way through a busy turn.
  async latest(): Promise<number> {
    return faults(() => this.#latest.get(this.#feed) ?? gone);
  }

  async latestFor(lowerId: string): Promise<number> {
    return faults(() => this.#latestFor.get(this.#feed, lowerId) ?? 0);
  }
}

/** Any Kysely dialect (PostgreSQL): the same two lookups. */
export class SqlChangeStamps implements ChangeStamps {
  readonly #db: Kysely<Database>;
  readonly #feed: string;

  constructor(db: Kysely<Database>, feed: string) {
    this.#db = db;
    this.#feed = feed;
  }

  async latest(): Promise<number> {
    const row = await sql<{
      n: number | null;
    }>`SELECT stamp AS n FROM feeds WHERE name = ${this.#feed}`.execute(this.#db);
    const n = row.rows[0]?.n;
    return n === undefined || n === null ? gone : Number(n);
  }

  async latestFor(lowerId: string): Promise<number> {
    const row = await sql<{
      n: number | null;
    }>`SELECT max(seq) AS n FROM catalog_entries WHERE feed = ${this.#feed} AND lower_id = ${lowerId}`.execute(
      this.#db,
    );
    return Number(row.rows[0]?.n ?? 0);
  }
}
