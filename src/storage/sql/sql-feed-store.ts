// FeedStore over Kysely: the feeds table of migration 0007. A feed's settings are JSON overrides of the server's
// defaults. Every change moves the feed's stamp (catalog-log.ts, bumpFeedStamp), so cached reads of the feed, on
// every node, are checked against the new settings at once (a feed made private stops being served from caches).
import { type Kysely, type Selectable, sql } from 'kysely';
import type { FeedOverrides, FeedRecord, KindRecord } from '../../packages/feed.ts';
import type { FeedStore } from '../../packages/ports.ts';
import { bumpFeedStamp } from './catalog-log.ts';
import type { Database, FeedsTable } from './schema.ts';
import { sharedStampReadsOf } from './shared-stamp-reads.ts';

const toFeedRecord = (row: Selectable<FeedsTable>): FeedRecord => ({
  name: row.name,
  description: row.description,
  overrides: JSON.parse(row.settings) as FeedOverrides,
  created: row.created,
  kind: JSON.parse(row.kind) as KindRecord,
});

/** The kind as stored: settings left at their default are not written. */
const storedKind = (kind: KindRecord | undefined): string => {
  if (!kind || kind.kind === 'hosted') return JSON.stringify({ kind: 'hosted' });
  const overrides = Object.fromEntries(
    Object.entries(kind.overrides).filter(([, value]) => value !== undefined),
  );
  return JSON.stringify({ ...kind, overrides });
};

/** The overrides as stored: only the settings a feed sets. */
const storedOverrides = (overrides: FeedOverrides): string =>
  JSON.stringify(Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)));

/** The tables whose rows belong to a feed and go with it (audit_log keeps its history). */
const feedTables = [
  'package_versions',
  'package_downloads_daily',
  'search_documents',
  'catalog_entries',
  'vulnerability_advisories',
  'symbol_packages',
  'symbol_files',
  'replication_cursors',
  // Trust policies go with their feed; keys they issued are valid for that feed name only, for at most an hour.
  'trust_policies',
  // What an upstream feed learnt from its upstream.
  'upstream_documents',
  'retention_policies',
  // Its first downloads under way (a lease left by a crashed process would otherwise outlive the feed).
  'upstream_fetch_leases',
] as const;

export class SqlFeedStore implements FeedStore {
  readonly #db: Kysely<Database>;
  /** SQLite keeps each search document's words in search_fts, keyed by doc_id. */
  readonly #fts: boolean;

  constructor(db: Kysely<Database>, options: { dialect: 'sqlite' | 'postgres' }) {
    this.#db = db;
    this.#fts = options.dialect === 'sqlite';
  }

  async list(): Promise<FeedRecord[]> {
    const rows = await this.#db.selectFrom('feeds').selectAll().orderBy('name').execute();
    return rows.map(toFeedRecord);
  }

  // Every request's feed lookup reads this: shared with the requests asking at the same time (shared-stamp-reads.ts).
  async stampOf(name: string): Promise<number | undefined> {
    return (await sharedStampReadsOf(this.#db).feedRow(name))?.stamp;
  }

  async find(name: string): Promise<FeedRecord | undefined> {
    const row = await this.#db.selectFrom('feeds').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toFeedRecord(row);
  }

  async create(feed: FeedRecord): Promise<'created' | 'duplicate'> {
    const result = await this.#db
      .insertInto('feeds')
      .values({
        name: feed.name,
        description: feed.description,
        settings: storedOverrides(feed.overrides),
        kind: storedKind(feed.kind),
        created: feed.created,
        // A time in ms: later than any stamp an earlier feed of the same name had (bumpFeedStamp).
        stamp: Date.parse(feed.created) + 1,
        settings_stamp: Date.parse(feed.created) + 1,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 0 ? 'duplicate' : 'created';
  }

  async update(
    name: string,
    change: {
      description?: string | undefined;
      overrides?: FeedOverrides | undefined;
      kind?: ((current: KindRecord | undefined) => KindRecord) | undefined;
    },
  ): Promise<FeedRecord | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('feeds').selectAll().where('name', '=', name).executeTakeFirst();
      if (!row) return undefined;
      const current = toFeedRecord(row);
      const overrides = change.overrides ? { ...current.overrides, ...change.overrides } : current.overrides;
      const kind = change.kind ? change.kind(current.kind) : current.kind;
      await trx
        .updateTable('feeds')
        .set({
          description: change.description ?? current.description,
          settings: storedOverrides(overrides),
          kind: storedKind(kind),
        })
        .where('name', '=', name)
        .execute();
      await bumpFeedStamp(trx, name, new Date());
      await trx
        .updateTable('feeds')
        .set((eb) => ({ settings_stamp: eb.ref('stamp') }))
        .where('name', '=', name)
        .execute();
      return {
        ...current,
        description: change.description ?? current.description,
        overrides,
        kind: JSON.parse(storedKind(kind)) as KindRecord,
      };
    });
  }

  async countVersions(name: string): Promise<number> {
    const row = await this.#db
      .selectFrom('package_versions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('feed', '=', name)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async remove(name: string): Promise<{ versions: number; blobPrefixes: string[] } | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const deleted = await trx.deleteFrom('feeds').where('name', '=', name).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return undefined;
      const versions = await trx
        .selectFrom('package_versions')
        .select('blob_prefix')
        .where('feed', '=', name)
        .execute();
      const symbols = await trx
        .selectFrom('symbol_packages')
        .select('blob_prefix')
        .where('feed', '=', name)
        .execute();
      if (this.#fts) {
        await sql`DELETE FROM search_fts
          WHERE rowid IN (SELECT doc_id FROM search_documents WHERE feed = ${name})`.execute(trx);
      }
      for (const table of feedTables) await trx.deleteFrom(table).where('feed', '=', name).execute();
      return {
        versions: versions.length,
        blobPrefixes: [...versions, ...symbols].map((row) => row.blob_prefix),
      };
    });
  }
}
