// UpstreamDocumentStore over Kysely: the upstream_documents table of migration 0009 (docs/upstreams.md). Shared by
// every node on one database, so what one node learnt from the upstream answers on every node while it is away.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { UpstreamDocumentStore } from '../../packages/ports.ts';
import { GenerationMemo, walIndexHeaderOf } from './change-stamps.ts';
import type { Database } from './schema.ts';

export class SqlUpstreamDocumentStore implements UpstreamDocumentStore {
  readonly #db: Kysely<Database>;
  readonly #feed: string;

  readonly sync: { latestChange(): number; changedAt(key: string): number } | undefined;
  /** The same, throwing what the database says (for the awaited reads). */
  readonly #memo: { latestChange(): number; changedAt(key: string): number } | undefined;

  /** With `sqlite` (embedded SQLite), the change times can also be read synchronously (two prepared statements). */
  constructor(db: Kysely<Database>, feed: string, options: { sqlite?: BetterSqlite3.Database } = {}) {
    this.#db = db;
    this.#feed = feed;
    const { sqlite } = options;
    if (sqlite) {
      const latest = sqlite
        .prepare<[string], number | null>(
          // One step down the (feed, changed_at) index.
          'SELECT max(changed_at) FROM upstream_documents WHERE feed = ?',
        )
        .pluck();
      const one = sqlite
        .prepare<[string, string], number | null>(
          'SELECT changed_at FROM upstream_documents WHERE feed = ? AND key = ?',
        )
        .pluck();
      // Read on every request a virtual feed answers from its cache (its change stamps): run again only after a
      // commit, as the feeds' own stamps are (change-stamps.ts).
      const header = walIndexHeaderOf(sqlite);
      const latestMemo = new GenerationMemo(header, () => Number(latest.get(feed) ?? 0));
      const oneMemo = new GenerationMemo(header, (key) => Number(one.get(feed, key) ?? 0));
      this.#memo = { latestChange: () => latestMemo.get(''), changedAt: (key) => oneMemo.get(key) };
      // The raw-HTTP fast path reads these outside any request handler, where an exception would end the process:
      // a change time that cannot be read is NaN, which equals no kept answer's stamp (Fastify then reports it).
      const orNaN = (read: () => number) => {
        try {
          return read();
        } catch {
          return Number.NaN;
        }
      };
      this.sync = {
        latestChange: () => orNaN(() => latestMemo.get('')),
        changedAt: (key) => orNaN(() => oneMemo.get(key)),
      };
    }
  }

  async get(key: string): Promise<{ body: string; fetchedAt: number } | undefined> {
    const row = await this.#db
      .selectFrom('upstream_documents')
      .select(['body', 'fetched_at'])
      .where('feed', '=', this.#feed)
      .where('key', '=', key)
      .executeTakeFirst();
    return row && { body: row.body, fetchedAt: Number(row.fetched_at) };
  }

  async put(key: string, body: string, fetchedAt: number, options: { stamps?: boolean } = {}): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('upstream_documents')
        .select(['body', 'changed_at'])
        .where('feed', '=', this.#feed)
        .where('key', '=', key)
        .executeTakeFirst();
      // Strictly later than before, so that a change is never hidden by a clock that did not move.
      const changedAt =
        options.stamps === false
          ? 0
          : current?.body === body
            ? Number(current.changed_at)
            : Math.max(fetchedAt, Number(current?.changed_at ?? 0) + 1);
      await trx
        .insertInto('upstream_documents')
        .values({ feed: this.#feed, key, body, fetched_at: fetchedAt, changed_at: changedAt })
        .onConflict((oc) =>
          oc.columns(['feed', 'key']).doUpdateSet({ body, fetched_at: fetchedAt, changed_at: changedAt }),
        )
        .execute();
    });
  }

  async latestChange(): Promise<number> {
    if (this.#memo) return this.#memo.latestChange();
    const row = await this.#db
      .selectFrom('upstream_documents')
      .select((eb) => eb.fn.max('changed_at').as('latest'))
      .where('feed', '=', this.#feed)
      .executeTakeFirst();
    return Number(row?.latest ?? 0);
  }

  async changedAt(key: string): Promise<number> {
    if (this.#memo) return this.#memo.changedAt(key);
    const row = await this.#db
      .selectFrom('upstream_documents')
      .select('changed_at')
      .where('feed', '=', this.#feed)
      .where('key', '=', key)
      .executeTakeFirst();
    return Number(row?.changed_at ?? 0);
  }
}
