// FetchLeaseStore over Kysely: the upstream_fetch_leases table (docs/upstreams.md, "Single flight"). A lease is one
// row per package; INSERT ... ON CONFLICT DO NOTHING takes a free one and a conditional UPDATE takes over an expired
// one, both atomic on SQLite and PostgreSQL, so two processes can never both believe they hold it.
import type { Kysely } from 'kysely';
import type { FetchLeaseStore } from '../../packages/ports.ts';
import type { Database } from './schema.ts';

export class SqlFetchLeaseStore implements FetchLeaseStore {
  readonly #db: Kysely<Database>;
  readonly #feed: string;

  constructor(db: Kysely<Database>, feed: string) {
    this.#db = db;
    this.#feed = feed;
  }

  async take(
    lowerId: string,
    lowerVersion: string,
    owner: string,
    now: number,
    expires: number,
  ): Promise<boolean> {
    const inserted = await this.#db
      .insertInto('upstream_fetch_leases')
      .values({ feed: this.#feed, lower_id: lowerId, lower_version: lowerVersion, owner, expires })
      .onConflict((oc) => oc.columns(['feed', 'lower_id', 'lower_version']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true;
    const taken = await this.#db
      .updateTable('upstream_fetch_leases')
      .set({ owner, expires })
      .where('feed', '=', this.#feed)
      .where('lower_id', '=', lowerId)
      .where('lower_version', '=', lowerVersion)
      .where('expires', '<=', now)
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) > 0;
  }

  async state(lowerId: string, lowerVersion: string, now: number): Promise<'held' | 'expired' | 'none'> {
    const row = await this.#db
      .selectFrom('upstream_fetch_leases')
      .select('expires')
      .where('feed', '=', this.#feed)
      .where('lower_id', '=', lowerId)
      .where('lower_version', '=', lowerVersion)
      .executeTakeFirst();
    if (!row) return 'none';
    return Number(row.expires) <= now ? 'expired' : 'held';
  }

  async release(lowerId: string, lowerVersion: string, owner: string): Promise<void> {
    await this.#db
      .deleteFrom('upstream_fetch_leases')
      .where('feed', '=', this.#feed)
      .where('lower_id', '=', lowerId)
      .where('lower_version', '=', lowerVersion)
      .where('owner', '=', owner)
      .execute();
  }
}
