// UpstreamDocumentStore over Kysely: the upstream_documents table of migration 0009 (docs/upstreams.md). Shared by
// every node on one database, so what one node learnt from the upstream answers on every node while it is away.
import type { Kysely } from 'kysely';
import type { UpstreamDocumentStore } from '../../packages/ports.ts';
import type { Database } from './schema.ts';

export class SqlUpstreamDocumentStore implements UpstreamDocumentStore {
  readonly #db: Kysely<Database>;
  readonly #feed: string;

  constructor(db: Kysely<Database>, feed: string) {
    this.#db = db;
    this.#feed = feed;
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

  async put(key: string, body: string, fetchedAt: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('upstream_documents')
        .select(['body', 'changed_at'])
        .where('feed', '=', this.#feed)
        .where('key', '=', key)
        .executeTakeFirst();
      // Strictly later than before, so that a change is never hidden by a clock that did not move.
      const changedAt =
        current?.body === body
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
    const row = await this.#db
      .selectFrom('upstream_documents')
      .select((eb) => eb.fn.max('changed_at').as('latest'))
      .where('feed', '=', this.#feed)
      // The upstream's status is not what any answer is built from: it moves no change stamp.
      .where('key', 'not like', 'status/%')
      .executeTakeFirst();
    return Number(row?.latest ?? 0);
  }

  async changedAt(key: string): Promise<number> {
    const row = await this.#db
      .selectFrom('upstream_documents')
      .select('changed_at')
      .where('feed', '=', this.#feed)
      .where('key', '=', key)
      .executeTakeFirst();
    return Number(row?.changed_at ?? 0);
  }
}
