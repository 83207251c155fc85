import { type Kysely, type Selectable, sql } from 'kysely';
import type { CatalogStore, ReplicationCursorStore } from '../../packages/ports.ts';
import { type CatalogEntry, type CatalogPageSummary, catalogPageSize } from '../../protocol/catalog.ts';
import type { PackageVersion } from '../../protocol/package-version.ts';
import type { PackageVulnerability } from '../../protocol/vulnerability-info.ts';
import type { CatalogEntriesTable, Database } from './schema.ts';

function toCatalogEntry(row: Selectable<CatalogEntriesTable>): CatalogEntry {
  const snapshot = row.snapshot
    ? (JSON.parse(row.snapshot) as PackageVersion & { vulnerabilities?: PackageVulnerability[] })
    : undefined;
  const { vulnerabilities, ...version } = snapshot ?? {};
  return {
    seq: Number(row.feed_seq),
    commitId: row.commit_id,
    commitTimestamp: row.commit_timestamp,
    type: row.type,
    id: row.id,
    lowerId: row.lower_id,
    version: row.version,
    lowerVersion: row.lower_version,
    snapshot: snapshot ? (version as PackageVersion) : undefined,
    ...(vulnerabilities ? { vulnerabilities } : {}),
  };
}

export class SqlCatalogStore implements CatalogStore {
  readonly #db: Kysely<Database>;
  readonly #feed: string;

  constructor(db: Kysely<Database>, feed: string) {
    this.#db = db;
    this.#feed = feed;
  }

  async pages(): Promise<CatalogPageSummary[]> {
    // Pages are fixed ranges of the feed's entry numbers; a page's commit is the commit of its last entry.
    const pageOf = sql<number>`(feed_seq - 1) / ${sql.lit(catalogPageSize)}`;
    const rows = await this.#db
      .selectFrom('catalog_entries as e')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('catalog_entries')
            .where('feed', '=', this.#feed)
            .select([
              pageOf.as('page'),
              (s) => s.fn.max('feed_seq').as('last'),
              (s) => s.fn.countAll().as('count'),
            ])
            .groupBy(pageOf)
            .as('p'),
        (join) => join.onRef('e.feed_seq', '=', 'p.last'),
      )
      .where('e.feed', '=', this.#feed)
      .select(['p.page', 'p.count', 'e.commit_id', 'e.commit_timestamp'])
      .orderBy('p.page')
      .execute();
    return rows.map((r) => ({
      page: Number(r.page),
      count: Number(r.count),
      commitId: r.commit_id,
      commitTimestamp: r.commit_timestamp,
    }));
  }

  async page(page: number): Promise<CatalogEntry[]> {
    const rows = await this.#db
      .selectFrom('catalog_entries')
      .selectAll()
      .where('feed', '=', this.#feed)
      .where('feed_seq', '>', page * catalogPageSize)
      .where('feed_seq', '<=', (page + 1) * catalogPageSize)
      .orderBy('feed_seq')
      .execute();
    return rows.map(toCatalogEntry);
  }

  async entry(seq: number): Promise<CatalogEntry | undefined> {
    const row = await this.#db
      .selectFrom('catalog_entries')
      .selectAll()
      .where('feed', '=', this.#feed)
      .where('feed_seq', '=', seq)
      .executeTakeFirst();
    return row && toCatalogEntry(row);
  }
}

export class SqlReplicationCursorStore implements ReplicationCursorStore {
  readonly #db: Kysely<Database>;
  readonly #feed: string;

  constructor(db: Kysely<Database>, feed: string) {
    this.#db = db;
    this.#feed = feed;
  }

  async get(source: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('replication_cursors')
      .where('feed', '=', this.#feed)
      .select('cursor')
      .where('source', '=', source)
      .executeTakeFirst();
    return row?.cursor;
  }

  async set(source: string, cursor: string): Promise<void> {
    const updated = new Date().toISOString();
    await this.#db
      .insertInto('replication_cursors')
      .values({ feed: this.#feed, source, cursor, updated })
      .onConflict((oc) => oc.columns(['feed', 'source']).doUpdateSet({ cursor, updated }))
      .execute();
  }
}
