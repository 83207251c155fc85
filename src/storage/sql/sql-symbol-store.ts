// SymbolStore over Kysely: the symbol_packages and symbol_files tables of migration 0002. A symbol package and
// its files are written and removed in one transaction, so a symbol server never serves half a push.
import type { Kysely, Selectable } from 'kysely';
import type { SymbolFile, SymbolPackage, SymbolStore } from '../../packages/ports.ts';
import type { Database, SymbolFilesTable } from './schema.ts';
import { sqliteWriteLocks, type WriteLocks } from './write-locks.ts';

const toSymbolFile = (row: Selectable<SymbolFilesTable>): SymbolFile => ({
  fileName: row.file_name,
  symbolKey: row.symbol_key,
  lowerId: row.lower_id,
  lowerVersion: row.lower_version,
  blobKey: row.blob_key,
  size: Number(row.size),
});

/** Thrown inside the transaction to roll it back when a file is already served by another package. */
class FileTaken extends Error {}

export class SqlSymbolStore implements SymbolStore {
  readonly #db: Kysely<Database>;
  readonly #locks: WriteLocks;

  constructor(db: Kysely<Database>, options: { locks?: WriteLocks } = {}) {
    this.#db = db;
    this.#locks = options.locks ?? sqliteWriteLocks;
  }

  async findPackage(lowerId: string, lowerVersion: string): Promise<SymbolPackage | undefined> {
    const row = await this.#db
      .selectFrom('symbol_packages')
      .selectAll()
      .where('lower_id', '=', lowerId)
      .where('lower_version', '=', lowerVersion)
      .executeTakeFirst();
    if (!row) return undefined;
    const files = await this.#db
      .selectFrom('symbol_files')
      .selectAll()
      .where('lower_id', '=', lowerId)
      .where('lower_version', '=', lowerVersion)
      .orderBy('file_name')
      .execute();
    return {
      lowerId: row.lower_id,
      lowerVersion: row.lower_version,
      blobPrefix: row.blob_prefix,
      packageSize: Number(row.package_size),
      packageHash: row.package_hash,
      published: row.published,
      files: files.map(toSymbolFile),
    };
  }

  async findFile(fileName: string, symbolKey: string): Promise<SymbolFile | undefined> {
    const row = await this.#db
      .selectFrom('symbol_files')
      .selectAll()
      .where('file_name', '=', fileName.toLowerCase())
      .where('symbol_key', '=', symbolKey.toLowerCase())
      .executeTakeFirst();
    return row && toSymbolFile(row);
  }

  async insert(symbols: SymbolPackage): Promise<'inserted' | 'duplicate-package' | 'duplicate-file'> {
    try {
      return await this.#db.transaction().execute(async (trx) => {
        await this.#locks.packageIds(trx, [symbols.lowerId]);
        const inserted = await trx
          .insertInto('symbol_packages')
          .values({
            lower_id: symbols.lowerId,
            lower_version: symbols.lowerVersion,
            blob_prefix: symbols.blobPrefix,
            package_size: symbols.packageSize,
            package_hash: symbols.packageHash,
            published: symbols.published,
          })
          .onConflict((oc) => oc.columns(['lower_id', 'lower_version']).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return 'duplicate-package' as const;
        for (const file of symbols.files) {
          const result = await trx
            .insertInto('symbol_files')
            .values({
              file_name: file.fileName.toLowerCase(),
              symbol_key: file.symbolKey.toLowerCase(),
              lower_id: symbols.lowerId,
              lower_version: symbols.lowerVersion,
              blob_key: file.blobKey,
              size: file.size,
            })
            .onConflict((oc) => oc.columns(['file_name', 'symbol_key']).doNothing())
            .executeTakeFirst();
          if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) throw new FileTaken();
        }
        return 'inserted' as const;
      });
    } catch (error) {
      if (error instanceof FileTaken) return 'duplicate-file';
      throw error;
    }
  }

  async remove(lowerId: string, lowerVersion: string): Promise<SymbolPackage | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      await this.#locks.packageIds(trx, [lowerId]);
      const row = await trx
        .deleteFrom('symbol_packages')
        .where('lower_id', '=', lowerId)
        .where('lower_version', '=', lowerVersion)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      const files = await trx
        .deleteFrom('symbol_files')
        .where('lower_id', '=', lowerId)
        .where('lower_version', '=', lowerVersion)
        .returningAll()
        .execute();
      return {
        lowerId: row.lower_id,
        lowerVersion: row.lower_version,
        blobPrefix: row.blob_prefix,
        packageSize: Number(row.package_size),
        packageHash: row.package_hash,
        published: row.published,
        files: files.map(toSymbolFile),
      };
    });
  }

  async referencedBlobPrefixes(): Promise<string[]> {
    const rows = await this.#db.selectFrom('symbol_packages').select('blob_prefix').execute();
    return rows.map((row) => row.blob_prefix);
  }
}
