// SymbolStore over Kysely: the symbol_packages and symbol_files tables (migrations 0002 and 0006), per feed. A
// symbol package and its files are written, replaced and removed in one transaction, so a symbol server never serves
// half a push. A file row belongs to one package: the same PDB brought by two packages has two rows, each with its
// own blob.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { EventOption, SymbolFile, SymbolPackage, SymbolStore } from '../../packages/ports.ts';
import { describePackageEvent } from '../../packages/webhook-event.ts';
import type { Database, SymbolFilesTable } from './schema.ts';
import { defaultWebhookOutbox, type WebhookOutbox } from './sql-webhook-store.ts';
import { sqliteWriteLocks, type WriteLocks } from './write-locks.ts';

const toSymbolFile = (row: Selectable<SymbolFilesTable>): SymbolFile => ({
  fileName: row.file_name,
  symbolKey: row.symbol_key,
  lowerId: row.lower_id,
  lowerVersion: row.lower_version,
  blobKey: row.blob_key,
  size: Number(row.size),
});

/**
 * Writes a symbol package's rows inside a transaction (which holds the id's write lock): 'duplicate-package' when
 * the version already has symbols in the feed. Promotion writes them with the version (sql-package-store.ts).
 */
export async function insertSymbolRows(
  trx: Transaction<Database>,
  feed: string,
  symbols: SymbolPackage,
): Promise<'inserted' | 'duplicate-package'> {
  const inserted = await trx
    .insertInto('symbol_packages')
    .values({
      feed,
      lower_id: symbols.lowerId,
      lower_version: symbols.lowerVersion,
      blob_prefix: symbols.blobPrefix,
      package_size: symbols.packageSize,
      package_hash: symbols.packageHash,
      published: symbols.published,
    })
    .onConflict((oc) => oc.columns(['feed', 'lower_id', 'lower_version']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return 'duplicate-package';
  for (const file of symbols.files) {
    await trx
      .insertInto('symbol_files')
      .values({
        feed,
        lower_id: symbols.lowerId,
        lower_version: symbols.lowerVersion,
        file_name: file.fileName.toLowerCase(),
        symbol_key: file.symbolKey.toLowerCase(),
        blob_key: file.blobKey,
        size: file.size,
      })
      .onConflict((oc) =>
        oc.columns(['feed', 'lower_id', 'lower_version', 'file_name', 'symbol_key']).doNothing(),
      )
      .execute();
  }
  return 'inserted';
}

export class SqlSymbolStore implements SymbolStore {
  readonly #db: Kysely<Database>;
  readonly #locks: WriteLocks;
  readonly #feed: string;
  readonly #outbox: WebhookOutbox;

  constructor(
    db: Kysely<Database>,
    feed: string,
    options: { locks?: WriteLocks; outbox?: WebhookOutbox } = {},
  ) {
    this.#db = db;
    this.#feed = feed;
    this.#locks = options.locks ?? sqliteWriteLocks;
    this.#outbox = options.outbox ?? defaultWebhookOutbox;
  }

  async findPackage(lowerId: string, lowerVersion: string): Promise<SymbolPackage | undefined> {
    const row = await this.#db
      .selectFrom('symbol_packages')
      .where('feed', '=', this.#feed)
      .selectAll()
      .where('lower_id', '=', lowerId)
      .where('lower_version', '=', lowerVersion)
      .executeTakeFirst();
    if (!row) return undefined;
    const files = await this.#db
      .selectFrom('symbol_files')
      .where('feed', '=', this.#feed)
      .selectAll()
      .where('lower_id', '=', lowerId)
      .where('lower_version', '=', lowerVersion)
      .orderBy('file_name')
      .orderBy('symbol_key')
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
      .where('feed', '=', this.#feed)
      .selectAll()
      .where('file_name', '=', fileName.toLowerCase())
      .where('symbol_key', '=', symbolKey.toLowerCase())
      .orderBy('lower_id')
      .orderBy('lower_version')
      .limit(1)
      .executeTakeFirst();
    return row && toSymbolFile(row);
  }

  async insert(
    symbols: SymbolPackage,
    options: { replacing?: string | undefined } & EventOption = {},
  ): Promise<'inserted' | 'duplicate-package'> {
    return this.#db.transaction().execute(async (trx) => {
      await this.#locks.packageIds(trx, [symbols.lowerId]);
      const { replacing } = options;
      if (replacing !== undefined) {
        // Only the symbols the caller saw: a push that replaced them meanwhile wins, this one is a duplicate.
        const removed = await trx
          .deleteFrom('symbol_packages')
          .where('feed', '=', this.#feed)
          .where('lower_id', '=', symbols.lowerId)
          .where('lower_version', '=', symbols.lowerVersion)
          .where('blob_prefix', '=', replacing)
          .executeTakeFirst();
        if (Number(removed.numDeletedRows) === 0) return 'duplicate-package' as const;
        await trx
          .deleteFrom('symbol_files')
          .where('feed', '=', this.#feed)
          .where('lower_id', '=', symbols.lowerId)
          .where('lower_version', '=', symbols.lowerVersion)
          .execute();
      }
      const result = await insertSymbolRows(trx, this.#feed, symbols);
      const { event } = options;
      if (result === 'inserted' && event) {
        // The event names the package as pushed: its id and version as the version's row has them.
        const pkg = await trx
          .selectFrom('package_versions')
          .select(['id', 'version', 'lower_id as lowerId', 'lower_version as lowerVersion'])
          .where('feed', '=', this.#feed)
          .where('lower_id', '=', symbols.lowerId)
          .where('lower_version', '=', symbols.lowerVersion)
          .executeTakeFirst();
        const names = pkg ?? { id: symbols.lowerId, version: symbols.lowerVersion, ...symbols };
        await this.#outbox.record(
          trx,
          describePackageEvent(this.#feed, event, names, new Date(symbols.published)),
        );
      }
      return result;
    });
  }

  async remove(lowerId: string, lowerVersion: string): Promise<SymbolPackage | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      await this.#locks.packageIds(trx, [lowerId]);
      const row = await trx
        .deleteFrom('symbol_packages')
        .where('feed', '=', this.#feed)
        .where('lower_id', '=', lowerId)
        .where('lower_version', '=', lowerVersion)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      const files = await trx
        .deleteFrom('symbol_files')
        .where('feed', '=', this.#feed)
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
    const rows = await this.#db
      .selectFrom('symbol_packages')
      .where('feed', '=', this.#feed)
      .select('blob_prefix')
      .execute();
    return rows.map((row) => row.blob_prefix);
  }
}
