import type { Kysely, Selectable, Transaction } from 'kysely';
import type { EmbeddedFileKind, PackageMetadata, PackageVersion } from '../../protocol/package-version.ts';
import type { PackageStore } from '../../packages/ports.ts';
import type { Database, PackageVersionsTable } from './schema.ts';

export type SearchDocumentsRefresher = (trx: Transaction<Database>, lowerId: string) => Promise<void>;

/** PackageStore over Kysely; the dialect-specific search documents are refreshed in the same transaction. */
export class SqlPackageStore implements PackageStore {
  readonly #db: Kysely<Database>;
  readonly #refreshSearch: SearchDocumentsRefresher;

  constructor(db: Kysely<Database>, refreshSearch: SearchDocumentsRefresher) {
    this.#db = db;
    this.#refreshSearch = refreshSearch;
  }

  async findVersions(lowerId: string): Promise<PackageVersion[]> {
    const rows = await this.#db
      .selectFrom('package_versions')
      .selectAll()
      .where('lower_id', '=', lowerId)
      .execute();
    return rows.map(toPackageVersion);
  }

  async findVersion(lowerId: string, lowerVersion: string): Promise<PackageVersion | undefined> {
    const row = await this.#db
      .selectFrom('package_versions')
      .selectAll()
      .where('lower_id', '=', lowerId)
      .where('lower_version', '=', lowerVersion)
      .executeTakeFirst();
    return row && toPackageVersion(row);
  }

  async insert(version: PackageVersion): Promise<'inserted' | 'duplicate'> {
    return this.#db.transaction().execute(async (trx) => {
      const result = await trx
        .insertInto('package_versions')
        .values(toRow(version))
        .onConflict((oc) => oc.columns(['lower_id', 'lower_version']).doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) return 'duplicate';
      await this.#refreshSearch(trx, version.lowerId);
      return 'inserted';
    });
  }

  async setListed(lowerId: string, lowerVersion: string, listed: boolean): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('package_versions')
        .set({ listed: listed ? 1 : 0 })
        .where('lower_id', '=', lowerId)
        .where('lower_version', '=', lowerVersion)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await this.#refreshSearch(trx, lowerId);
      return true;
    });
  }

  async remove(lowerId: string, lowerVersion: string): Promise<PackageVersion | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .deleteFrom('package_versions')
        .where('lower_id', '=', lowerId)
        .where('lower_version', '=', lowerVersion)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await this.#refreshSearch(trx, lowerId);
      return toPackageVersion(row);
    });
  }

  async addDownloads(
    counts: ReadonlyMap<string, { lowerId: string; lowerVersion: string; count: number }>,
  ): Promise<void> {
    if (counts.size === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      const ids = new Set<string>();
      for (const { lowerId, lowerVersion, count } of counts.values()) {
        ids.add(lowerId);
        await trx
          .updateTable('package_versions')
          .set((eb) => ({ downloads: eb('downloads', '+', count) }))
          .where('lower_id', '=', lowerId)
          .where('lower_version', '=', lowerVersion)
          .execute();
      }
      for (const lowerId of ids) {
        await trx
          .updateTable('search_documents')
          .set((eb) => ({
            total_downloads: eb
              .selectFrom('package_versions')
              .select((s) => s.fn.coalesce(s.fn.sum<number>('downloads'), s.lit(0)).as('total'))
              .where('lower_id', '=', lowerId),
          }))
          .where('lower_id', '=', lowerId)
          .execute();
      }
    });
  }
}

export function toPackageVersion(row: Selectable<PackageVersionsTable>): PackageVersion {
  return {
    id: row.id,
    lowerId: row.lower_id,
    version: row.version,
    lowerVersion: row.lower_version,
    fullVersion: row.full_version,
    isPrerelease: row.is_prerelease === 1,
    isSemVer2: row.is_semver2 === 1,
    listed: row.listed === 1,
    published: row.published,
    downloads: Number(row.downloads),
    packageSize: Number(row.package_size),
    packageHash: row.package_hash,
    blobPrefix: row.blob_prefix,
    embeddedFiles: JSON.parse(row.embedded_files) as EmbeddedFileKind[],
    metadata: JSON.parse(row.metadata) as PackageMetadata,
  };
}

function toRow(v: PackageVersion): PackageVersionsTable {
  return {
    lower_id: v.lowerId,
    lower_version: v.lowerVersion,
    id: v.id,
    version: v.version,
    full_version: v.fullVersion,
    is_prerelease: v.isPrerelease ? 1 : 0,
    is_semver2: v.isSemVer2 ? 1 : 0,
    listed: v.listed ? 1 : 0,
    published: v.published,
    downloads: v.downloads,
    package_size: v.packageSize,
    package_hash: v.packageHash,
    blob_prefix: v.blobPrefix,
    embedded_files: JSON.stringify(v.embeddedFiles),
    metadata: JSON.stringify(v.metadata),
  };
}
