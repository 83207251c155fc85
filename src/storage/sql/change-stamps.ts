// ChangeStamps of one feed: the feed's stamp (FeedsTable.stamp, moved by every catalog entry and settings change
// of the feed) and the latest catalog entry of one id in it. Read on every cached read, so each is one
// primary-key or index-only lookup, and on SQLite not even that while nothing was committed (WalIndexHeader).
import { closeSync, openSync, readSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { fnvSeed, foldStamps, hashText } from '../../packages/fold-stamps.ts';
import type { ChangeStamps } from '../../packages/ports.ts';
import { databaseFault } from './database-faults.ts';
import { databaseFileOf } from './sqlite-database.ts';
import type { Database } from './schema.ts';
import { type SharedStampReads, sharedStampReadsOf } from './shared-stamp-reads.ts';

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

// A header whose database handle was collected without a read after its close gives its file back here.
const unclosed = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

/** The first copy of the WAL-index header (https://www.sqlite.org/walformat.html#the_wal_index_header). */
const headerBytes = 48;

/**
 * Tells whether anything may have been committed to a SQLite database in WAL mode since it was last asked, for
 * the price of one read of 48 bytes. A stamp lookup is cheap as SQL goes, but each one opens a read transaction:
 * two locks on the WAL index (fcntl) and a size check of the file, three system calls that cost about 4 µs here,
 * about a tenth of a cached answer's CPU. Every commit, by any connection of any process on this database (other
 * worker processes, other nodes on the same data dir), rewrites the WAL-index header in the `-shm` file and
 * increments its change counter (iChange) before the commit returns; so while those bytes are what they were when
 * a stamp was read, the stamp is still what the database would say. Read with pread, the bytes are the same memory
 * SQLite's own connections map. Where the file cannot be read (no WAL, a database in memory) every call reports a
 * possible change, and the stamps are read every time as before.
 */
export class WalIndexHeader {
  #fd: number | undefined;
  readonly #seen = Buffer.alloc(headerBytes);
  readonly #read = Buffer.alloc(headerBytes);
  #generation = 0;

  constructor(sqlite: BetterSqlite3.Database) {
    let fd: number | undefined;
    if (!sqlite.memory) {
      try {
        // The `-shm` file exists from the first read of a WAL database, which opening it (migrations) has done.
        // Beside the file SQLite really opened, not beside a link to it (a stale `-shm` there would never change).
        fd = openSync(`${databaseFileOf(sqlite)}-shm`, 'r');
      } catch {
        fd = undefined;
      }
    }
    this.#fd = fd;
    if (fd === undefined) return;
    unclosed.register(this, fd, this);
    // A closed handle must read as a fault, as it always did, and asking the handle whether it is open on every
    // read costs a call into C++ (about 1 µs, 2% of a cached answer): closing it closes the header instead.
    const close = sqlite.close.bind(sqlite);
    sqlite.close = () => {
      this.close();
      return close();
    };
  }

  /**
   * A number that stays the same while nothing was committed since the previous call, on any connection; NaN
   * when that cannot be told. Read it before the stamps it guards, so a commit racing the read moves it next time.
   */
  generation(): number {
    if (this.#fd === undefined) return Number.NaN;
    try {
      if (readSync(this.#fd, this.#read, 0, headerBytes, 0) !== headerBytes) return Number.NaN;
    } catch {
      return Number.NaN;
    }
    if (!this.#read.equals(this.#seen)) {
      this.#read.copy(this.#seen);
      this.#generation++;
    }
    return this.#generation;
  }

  close(): void {
    if (this.#fd === undefined) return;
    unclosed.unregister(this);
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

// One header per database: every feed's stamps share it.
const headers = new WeakMap<BetterSqlite3.Database, WalIndexHeader>();

export function walIndexHeaderOf(sqlite: BetterSqlite3.Database): WalIndexHeader {
  let header = headers.get(sqlite);
  if (!header) headers.set(sqlite, (header = new WalIndexHeader(sqlite)));
  return header;
}

/** Keys remembered between two commits at most; a reader of more distinct ids than this reads the rest again. */
const memoLimit = 4096;

/**
 * Values read from the database by key (an id's latest catalog entry, an upstream document's change time),
 * remembered until the WAL-index header shows a commit on any connection: then all are forgotten at once. The
 * generation is read before a value is, so a commit racing the read empties the memo at the next call.
 */
export class GenerationMemo<T> {
  readonly #header: WalIndexHeader;
  readonly #read: (key: string) => T;
  readonly #values = new Map<string, T>();
  #generation = Number.NaN;

  constructor(header: WalIndexHeader, read: (key: string) => T) {
    this.#header = header;
    this.#read = read;
  }

  get(key: string): T {
    const generation = this.#header.generation();
    if (generation !== this.#generation || Number.isNaN(generation)) {
      this.#values.clear();
      this.#generation = generation;
      // Not knowable (no WAL index): read every time, remember nothing.
      if (Number.isNaN(generation)) return this.#read(key);
    }
    let value = this.#values.get(key);
    if (value === undefined && !this.#values.has(key)) {
      value = this.#read(key);
      if (this.#values.size >= memoLimit) this.#values.clear();
      this.#values.set(key, value);
    }
    return value as T;
  }
}

/**
 * SQLite: three statements prepared once and run synchronously (index-only lookups, a few microseconds each); each
 * is run again only once the WAL index shows a commit since it was read.
 */
export class SqliteChangeStamps implements ChangeStamps {
  // pluck(): the one value, without building a row object.
  readonly #latest: BetterSqlite3.Statement<[string], number | null>;
  /** The latest catalog entry of an id, remembered until the next commit. */
  readonly #latestFor: GenerationMemo<number>;
  readonly #settings: BetterSqlite3.Statement<[string], number | null>;
  readonly #feed: string;
  readonly #header: WalIndexHeader;
  /** The feed's stamp and settings stamp, each with the header generation it was read at. */
  readonly #known = {
    latest: { generation: Number.NaN, value: 0 },
    settings: { generation: Number.NaN, value: 0 },
  };

  constructor(sqlite: BetterSqlite3.Database, feed: string) {
    this.#feed = feed;
    this.#header = walIndexHeaderOf(sqlite);
    this.#latest = sqlite.prepare<[string], number | null>('SELECT stamp FROM feeds WHERE name = ?').pluck();
    this.#settings = sqlite
      .prepare<[string], number | null>('SELECT settings_stamp FROM feeds WHERE name = ?')
      .pluck();
    const latestFor = sqlite
      .prepare<[string, string], number | null>(
        'SELECT max(seq) FROM catalog_entries WHERE feed = ? AND lower_id = ?',
      )
      .pluck();
    this.#latestFor = new GenerationMemo(this.#header, (lowerId) => latestFor.get(feed, lowerId) ?? 0);
  }

  /**
   * The feed's stamp or settings stamp as the database has it now: remembered while the WAL index shows no commit
   * since it was read (the header is read first, so a commit racing the statement shows at the next call).
   */
  #current(which: 'latest' | 'settings'): number {
    const generation = this.#header.generation();
    const known = this.#known[which];
    if (generation !== known.generation) {
      known.value = (which === 'latest' ? this.#latest : this.#settings).get(this.#feed) ?? gone;
      known.generation = generation;
    }
    return known.value;
  }

  // The raw-HTTP fast path reads these outside any request handler, where an exception would end the process:
  // a stamp that cannot be read is NaN, which equals no kept answer's stamp, so the request goes on to Fastify,
  // whose (async) read of the same stamp reports the fault as 503 or 507.
  readonly sync = {
    latest: (): number => {
      try {
        return this.#current('latest');
      } catch {
        return Number.NaN;
      }
    },
    latestFor: (lowerId: string): number => {
      try {
        return this.#latestFor.get(lowerId);
      } catch {
        return Number.NaN;
      }
    },
    settings: (): number => {
      try {
        return this.#current('settings');
      } catch {
        return Number.NaN;
      }
    },
  };

  // Checked on every request, never remembered across commits: a client that writes through one node and then
  // reads through another must see its write, even when the reading node is mid-way through a busy turn.
  async latest(): Promise<number> {
    return faults(() => this.#current('latest'));
  }

  async latestFor(lowerId: string): Promise<number> {
    return faults(() => this.#latestFor.get(lowerId));
  }
}

/**
 * Every feed's name and stamp as one number, per database, read again only once the WAL index shows a commit. What
 * SQLite's text search ranks by depends on it: bm25 weighs a word by how many documents of the whole FTS5 index
 * (every feed's) hold it and divides by the index's average field lengths, so a push to another feed can reorder
 * this one's matches (decision 0024).
 */
class EveryFeedStamp {
  readonly #header: WalIndexHeader;
  readonly #rows: BetterSqlite3.Statement<[], [string, number]>;
  #generation = Number.NaN;
  #value = 0;

  constructor(sqlite: BetterSqlite3.Database) {
    this.#header = walIndexHeaderOf(sqlite);
    this.#rows = sqlite.prepare<[], [string, number]>('SELECT name, stamp FROM feeds ORDER BY name').raw();
  }

  get(): number {
    const generation = this.#header.generation();
    if (generation !== this.#generation || Number.isNaN(generation)) {
      const rows = this.#rows.all();
      // The names in the prefix: a feed removed and another made in its place is a change too.
      const names = hashText(fnvSeed, rows.map(([name]) => name).join('\n'));
      this.#value = foldStamps(
        names,
        rows.map(([, stamp]) => Number(stamp)),
      );
      this.#generation = generation;
    }
    return this.#value;
  }
}

const everyFeedStamps = new WeakMap<BetterSqlite3.Database, EveryFeedStamp>();

/**
 * What a text search's answer of one feed is checked against on SQLite: every feed's stamp (EveryFeedStamp), so
 * that no answer outlives a change to the statistics its order came from. An id's stamp is the same number (search
 * answers name no id). The settings stamp stays the feed's own: it is what the fast path checks access by.
 */
export class SqliteSearchStamps implements ChangeStamps {
  readonly #every: EveryFeedStamp;
  readonly sync: NonNullable<ChangeStamps['sync']>;

  constructor(sqlite: BetterSqlite3.Database, feed: string) {
    let every = everyFeedStamps.get(sqlite);
    if (!every) everyFeedStamps.set(sqlite, (every = new EveryFeedStamp(sqlite)));
    this.#every = every;
    // As SqliteChangeStamps.sync: NaN (equal to nothing) where the stamp cannot be read.
    const current = (): number => {
      try {
        return this.#every.get();
      } catch {
        return Number.NaN;
      }
    };
    this.sync = {
      latest: current,
      latestFor: current,
      settings: new SqliteChangeStamps(sqlite, feed).sync.settings,
    };
  }

  async latest(): Promise<number> {
    return faults(() => this.#every.get());
  }

  async latestFor(): Promise<number> {
    return faults(() => this.#every.get());
  }
}

/**
 * Any Kysely dialect (PostgreSQL): the same lookups, each a query that concurrent callers share, and that was sent
 * after the caller asked (shared-stamp-reads.ts).
 */
export class SqlChangeStamps implements ChangeStamps {
  readonly #reads: SharedStampReads;
  readonly #feed: string;

  constructor(db: Kysely<Database>, feed: string) {
    this.#reads = sharedStampReadsOf(db);
    this.#feed = feed;
  }

  async latest(): Promise<number> {
    return (await this.#reads.feedRow(this.#feed))?.stamp ?? gone;
  }

  async latestFor(lowerId: string): Promise<number> {
    return this.#reads.latestFor(this.#feed, lowerId);
  }

  // The raw-HTTP fast path, with a round trip (front-cache.ts): the settings stamp besides the two above.
  readonly async = {
    latest: (): Promise<number> => this.latest(),
    latestFor: (lowerId: string): Promise<number> => this.latestFor(lowerId),
    settings: async (since?: number): Promise<number> =>
      (await this.#reads.feedRow(this.#feed, since))?.settings ?? gone,
  };
}
