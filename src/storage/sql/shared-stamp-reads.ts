// Change-stamp reads shared between concurrent requests on a database that answers over a round trip (PostgreSQL;
// issue 17, docs/decisions/0029-perf-postgres-shared-stamp-reads.md). Every cached read checks its feed's stamp
// (0003), and on PostgreSQL each check was a query of its own: under 50 connections, 50 queries in flight for the
// same row, each costing the server more CPU than the cached answer it guarded. Here the callers asking for the same
// feed's row (or the same id's latest entry) at the same time share one query (coalesced.ts), and a caller only ever
// shares a query SENT AFTER ITS CALL BEGAN: a push acknowledged before a read arrived committed before that query
// began, so the read sees it, on any node or worker process, as when every request ran its own query.
import type { Kysely } from 'kysely';
import { Coalesced, moment } from '../coalesced.ts';
import { compiledOnce } from './compiled-once.ts';
import type { Database } from './schema.ts';

/** A feed's two stamps (FeedsTable): every change of the feed, and changes of its settings alone. */
export interface FeedStampRow {
  readonly stamp: number;
  readonly settings: number;
}

const selectFeedRow = compiledOnce((db, p: { name: string }) =>
  db.selectFrom('feeds').select(['stamp', 'settings_stamp']).where('name', '=', p.name),
);
const selectLatestFor = compiledOnce((db, p: { feed: string; lowerId: string }) =>
  db
    .selectFrom('catalog_entries')
    .select((eb) => eb.fn.max('seq').as('n'))
    .where('feed', '=', p.feed)
    .where('lower_id', '=', p.lowerId),
);

export class SharedStampReads {
  readonly #feedRows: Coalesced<FeedStampRow | undefined>;
  readonly #latestFor: Coalesced<number>;
  /** Each feed's row as last read, with the moment its query was sent (feeds are few: one entry each). */
  readonly #lastRows = new Map<string, { sent: number; row: FeedStampRow | undefined }>();

  constructor(db: Kysely<Database>) {
    this.#feedRows = new Coalesced(async (name) => {
      const sent = moment();
      const { rows } = await selectFeedRow(db, { name });
      const found = rows[0];
      const row = found && { stamp: Number(found.stamp), settings: Number(found.settings_stamp) };
      const last = this.#lastRows.get(name);
      if (!last || last.sent < sent) this.#lastRows.set(name, { sent, row });
      return row;
    });
    this.#latestFor = new Coalesced(async (key) => {
      const split = key.indexOf('\n');
      const { rows } = await selectLatestFor(db, {
        feed: key.slice(0, split),
        lowerId: key.slice(split + 1),
      });
      return Number(rows[0]?.n ?? 0);
    });
  }

  /** Queries sent, and callers served, for the benchmarks and the tests. */
  get counts(): { queries: number; callers: number } {
    const rows = this.#feedRows.counts;
    const ids = this.#latestFor.counts;
    return { queries: rows.operations + ids.operations, callers: rows.callers + ids.callers };
  }

  /**
   * The feed's row (undefined: no such feed) as a query sent after this call read it, or, given `since` (a
   * {@link moment} taken earlier by the same caller), as a query sent after that moment read it: a request
   * that already read the row since it arrived reads it again for free.
   */
  feedRow(name: string, since?: number): Promise<FeedStampRow | undefined> {
    if (since !== undefined) {
      const last = this.#lastRows.get(name);
      if (last && last.sent > since) return Promise.resolve(last.row);
    }
    return this.#feedRows.run(name);
  }

  /** The latest catalog entry of an id in a feed (0: none), as a query sent after this call read it. */
  latestFor(feed: string, lowerId: string): Promise<number> {
    return this.#latestFor.run(`${feed}\n${lowerId}`);
  }
}

const byDatabase = new WeakMap<Kysely<Database>, SharedStampReads>();

/** One set of shared reads per database: every feed's stamps and the feed lookups of requests use it. */
export function sharedStampReadsOf(db: Kysely<Database>): SharedStampReads {
  let reads = byDatabase.get(db);
  if (!reads) byDatabase.set(db, (reads = new SharedStampReads(db)));
  return reads;
}
