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
    seq: Number(row.seq),
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

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async pages(): Promise<CatalogPageSummary[]> {
    // Pages are fixed ranges of entry numbers; a page's commit is the commit of its last entry.
    const pageOf = sql<number>`(seq - 1) / ${sql.lit(catalogPageSize)}`;
    const rows = await this.#db
      .selectFrom('catalog_entries as e')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('catalog_entries')
            .select([
              pageOf.as('page'),
              (s) => s.fn.max('seq').as('last'),
              (s) => s.fn.countAll().as('count'),
            ])
            .groupBy(pageOf)
            .as('p'),
        (join) => join.onRef('e.seq', '=', 'p.last'),
      )
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
      .where('seq', '>', page * catalogPageSize)
      .where('seq', '<=', (page + 1) * catalogPageSize)
      .orderBy('seq')
      .execute();
    return rows.map(toCatalogEntry);
  }

  async entry(seq: number): Promise<CatalogEntry | undefined> {
    const row = await this.#db
      .selectFrom('catalog_entries')
      .selectAll()
      .where('seq', '=', seq)
      .executeTakeFirst();
    return row && toCatalogEntry(row);
  }
}

export class SqlReplicationCursorStore implements ReplicationCursorStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(source: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('replication_cursors')
      .select('cursor')
      .where('source', '=', source)
      .executeTakeFirst();
    return row?.cursor;
  }

  async set(source: string, cursor: string): Promise<void> {
    const updated = new Date().toISOString();
    await this.#db
      .insertInto('replication_cursors')
      .values({ source, cursor, updated })
      .onConflict((oc) => oc.column('source').doUpdateSet({ cursor, updated }))
      .execute();
  }
}
