import { isDeepStrictEqual } from 'node:util';
import type { Kysely, Transaction } from 'kysely';
import type {
  Clock,
  DailyDownloads,
  EventOption,
  FeedUsage,
  PackageStore,
  VersionKey,
  SymbolPackage,
} from '../../packages/ports.ts';
import { describePackageEvent } from '../../packages/webhook-event.ts';
import type {
  EmbeddedFileKind,
  PackageDeprecation,
  PackageMetadata,
  PackageVersion,
} from '../../protocol/package-version.ts';
import { appendCatalogEntry } from './catalog-log.ts';
import { compiledOnce, valuesOf } from './compiled-once.ts';
import type { Database, PackageVersionsTable } from './schema.ts';
import { insertSymbolRows } from './sql-symbol-store.ts';
import { defaultWebhookOutbox, type WebhookOutbox } from './sql-webhook-store.ts';
import { sqliteWriteLocks, type WriteLocks } from './write-locks.ts';

/**
 * Rebuilds an id's search documents in the change's transaction. `inserted`: the change only added this version,
 * so a refresher may update the documents from it instead of from every version of the id.
 */
export type SearchDocumentsRefresher = (
  trx: Transaction<Database>,
  feed: string,
  lowerId: string,
  inserted?: PackageVersion,
) => Promise<void>;

interface VersionParams {
  feed: string;
  lowerId: string;
  lowerVersion: string;
}

// A push's own statements, compiled once (compiled-once.ts).
const selectVersion = compiledOnce((db, p: VersionParams) =>
  db
    .selectFrom('package_versions')
    .selectAll()
    .where('feed', '=', p.feed)
    .where('lower_id', '=', p.lowerId)
    .where('lower_version', '=', p.lowerVersion),
);
const selectAnyVersion = compiledOnce((db, p: { feed: string; lowerId: string }) =>
  db
    .selectFrom('package_versions')
    .select('lower_version')
    .where('feed', '=', p.feed)
    .where('lower_id', '=', p.lowerId)
    .limit(1),
);
const selectDeletion = compiledOnce((db, p: VersionParams) =>
  db
    .selectFrom('catalog_entries')
    .select('seq')
    .where('feed', '=', p.feed)
    .where('lower_id', '=', p.lowerId)
    .where('lower_version', '=', p.lowerVersion)
    .where('type', '=', 'PackageDelete')
    .limit(1),
);
const insertVersion = compiledOnce((db, p: PackageVersionsTable) =>
  db
    .insertInto('package_versions')
    .values(
      valuesOf(p, [
        'feed',
        'lower_id',
        'lower_version',
        'id',
        'version',
        'full_version',
        'is_prerelease',
        'is_semver2',
        'listed',
        'published',
        'downloads',
        'package_size',
        'package_hash',
        'blob_prefix',
        'embedded_files',
        'metadata',
        'deprecation',
      ]),
    )
    .onConflict((oc) => oc.columns(['feed', 'lower_id', 'lower_version']).doNothing()),
);

// A download-count flush's statements (DownloadCounter, once a second, three per version downloaded in it),
// compiled once: built anew they cost a flush some 100 µs of JavaScript per version, a few microseconds per download
// answered at this machine's request rates (bench/README.md, "Reads against the ceiling").
const addVersionDownloads = compiledOnce((db, p: VersionParams & { count: number; flushedAt: string }) =>
  db
    .updateTable('package_versions')
    .set((eb) => ({ downloads: eb('downloads', '+', p.count), last_downloaded: p.flushedAt }))
    .where('feed', '=', p.feed)
    .where('lower_id', '=', p.lowerId)
    .where('lower_version', '=', p.lowerVersion),
);
const addDailyDownloads = compiledOnce((db, p: VersionParams & { count: number; day: string }) =>
  db
    .insertInto('package_downloads_daily')
    .values({
      feed: p.feed,
      lower_id: p.lowerId,
      lower_version: p.lowerVersion,
      day: p.day,
      downloads: p.count,
    })
    .onConflict((oc) =>
      oc.columns(['feed', 'lower_id', 'day', 'lower_version']).doUpdateSet((eb) => ({
        downloads: eb('package_downloads_daily.downloads', '+', eb.ref('excluded.downloads')),
      })),
    ),
);
const sumIdDownloads = compiledOnce((db, p: { feed: string; lowerId: string }) =>
  db
    .updateTable('search_documents')
    .where('feed', '=', p.feed)
    .set((eb) => ({
      total_downloads: eb
        .selectFrom('package_versions')
        .where('feed', '=', p.feed)
        .select((s) => s.fn.coalesce(s.fn.sum<number>('downloads'), s.lit(0)).as('total'))
        .where('lower_id', '=', p.lowerId),
    }))
    .where('lower_id', '=', p.lowerId),
);

/** Ids per download-count transaction: few enough locks per transaction, few enough transactions per flush. */
const downloadIdsPerTransaction = 100;

/**
 * PackageStore over Kysely. Every change refreshes the dialect-specific search documents and appends to the
 * catalog in the same transaction, so search, catalog and packages never disagree; and every change of an id
 * takes that id's write lock first (write-locks.ts), so concurrent changes of one id happen one after the other.
 */
export class SqlPackageStore implements PackageStore {
  readonly #db: Kysely<Database>;
  readonly #refreshSearch: SearchDocumentsRefresher;
  readonly #locks: WriteLocks;
  readonly #feed: string;
  readonly #clock: Clock;
  readonly #outbox: WebhookOutbox;

  constructor(
    db: Kysely<Database>,
    feed: string,
    refreshSearch: SearchDocumentsRefresher,
    options: { locks?: WriteLocks; clock?: Clock; outbox?: WebhookOutbox } = {},
  ) {
    this.#db = db;
    this.#refreshSearch = refreshSearch;
    this.#locks = options.locks ?? sqliteWriteLocks;
    this.#feed = feed;
    this.#clock = options.clock ?? { now: () => new Date() };
    this.#outbox = options.outbox ?? defaultWebhookOutbox;
  }

  /** The change's webhook event, in its transaction (docs/webhooks.md): both commit, or neither. */
  async #recordEvent(
    trx: Transaction<Database>,
    { event }: EventOption,
    pkg: { id: string; version: string; lowerId: string; lowerVersion: string },
  ): Promise<void> {
    if (event)
      await this.#outbox.record(trx, describePackageEvent(this.#feed, event, pkg, this.#clock.now()));
  }

  /** One transaction that changes `lowerId`, after every other change of it that has begun. */
  #changeOf<T>(lowerId: string, change: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(async (trx) => {
      await this.#locks.packageIds(trx, [lowerId]);
      return change(trx);
    });
  }

  /**
   * Records a version in the catalog as PackageDetails: as it is stored, re-read inside the transaction, or the row
   * this transaction just inserted (`inserted`), read back as a reader would.
   */
  async #catalogDetails(
    trx: Transaction<Database>,
    lowerId: string,
    lowerVersion: string,
    inserted?: PackageVersionsTable,
  ): Promise<PackageVersion> {
    const row = inserted ?? (await selectVersion(trx, { feed: this.#feed, lowerId, lowerVersion })).rows[0];
    if (!row) throw new Error(`${lowerId} ${lowerVersion} is not in feed '${this.#feed}'`);
    const version = toPackageVersion(row);
    await appendCatalogEntry(trx, this.#locks, this.#clock.now(), this.#feed, {
      type: 'PackageDetails',
      version,
    });
    return version;
  }

  async findVersions(lowerId: string): Promise<PackageVersion[]> {
    const rows = await this.#db
      .selectFrom('package_versions')
      .where('feed', '=', this.#feed)
      .selectAll()
      .where('lower_id', '=', lowerId)
      .execute();
    return rows.map(toPackageVersion);
  }

  async hasVersions(lowerId: string): Promise<boolean> {
    return (await selectAnyVersion(this.#db, { feed: this.#feed, lowerId })).rows.length > 0;
  }

  async findVersionKeys(lowerId: string): Promise<VersionKey[]> {
    const rows = await this.#db
      .selectFrom('package_versions')
      .where('feed', '=', this.#feed)
      .where('lower_id', '=', lowerId)
      .select(['lower_version', 'version', 'full_version', 'is_semver2'])
      .execute();
    return rows.map((row) => ({
      lowerVersion: row.lower_version,
      version: row.version,
      fullVersion: row.full_version,
      isSemVer2: row.is_semver2 === 1,
    }));
  }

  async findVersionsIn(lowerId: string, lowerVersions: readonly string[]): Promise<PackageVersion[]> {
    if (lowerVersions.length === 0) return [];
    const rows = await this.#db
      .selectFrom('package_versions')
      .where('feed', '=', this.#feed)
      .selectAll()
      .where('lower_id', '=', lowerId)
      .where('lower_version', 'in', [...lowerVersions])
      .execute();
    return rows.map(toPackageVersion);
  }

  async findVersion(lowerId: string, lowerVersion: string): Promise<PackageVersion | undefined> {
    const [row] = (await selectVersion(this.#db, { feed: this.#feed, lowerId, lowerVersion })).rows;
    return row && toPackageVersion(row);
  }

  async insert(
    version: PackageVersion,
    options: {
      symbols?: SymbolPackage | undefined;
      admit?: ((usage: FeedUsage) => void) | undefined;
    } & EventOption = {},
  ): Promise<'inserted' | 'duplicate'> {
    return this.#changeOf(version.lowerId, async (trx) => {
      if (options.admit) await this.#locks.feed(trx, this.#feed);
      const row = toPackageVersionRow(this.#feed, version);
      const result = await insertVersion(trx, row);
      if (Number(result.numAffectedRows ?? 0n) === 0) return 'duplicate';
      if (options.admit) {
        // Counted with the new row, which a refusal rolls back: a duplicate stays a 409, never a quota error.
        const usage = await this.#usage(trx, version.lowerId);
        options.admit({
          totalBytes: usage.totalBytes - version.packageSize,
          idVersions: usage.idVersions - 1,
        });
      }
      if (options.symbols) await insertSymbolRows(trx, this.#feed, options.symbols);
      await this.#refreshSearch(trx, this.#feed, version.lowerId, version);
      await this.#catalogDetails(trx, version.lowerId, version.lowerVersion, row);
      await this.#recordEvent(trx, options, version);
      return 'inserted';
    });
  }

  async #usage(trx: Transaction<Database>, lowerId: string): Promise<FeedUsage> {
    const row = await trx
      .selectFrom('package_versions')
      .where('feed', '=', this.#feed)
      .select((eb) => [
        eb.fn.coalesce(eb.fn.sum<number>('package_size'), eb.lit(0)).as('bytes'),
        eb.fn.sum<number>(eb.case().when('lower_id', '=', lowerId).then(1).else(0).end()).as('versions'),
      ])
      .executeTakeFirst();
    return { totalBytes: Number(row?.bytes ?? 0), idVersions: Number(row?.versions ?? 0) };
  }

  async setListed(
    lowerId: string,
    lowerVersion: string,
    listed: boolean,
    options: EventOption = {},
  ): Promise<boolean> {
    return this.#changeOf(lowerId, async (trx) => {
      const result = await trx
        .updateTable('package_versions')
        .where('feed', '=', this.#feed)
        .set({ listed: listed ? 1 : 0 })
        .where('lower_id', '=', lowerId)
        .where('lower_version', '=', lowerVersion)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await this.#refreshSearch(trx, this.#feed, lowerId);
      const row = await this.#catalogDetails(trx, lowerId, lowerVersion);
      await this.#recordEvent(trx, options, row);
      return true;
    });
  }

  async setDeprecation(
    lowerId: string,
    lowerVersion: string,
    deprecation: PackageDeprecation | undefined,
    options: EventOption = {},
  ): Promise<'changed' | 'unchanged' | 'not-found'> {
    const stored = deprecation ? JSON.stringify(deprecation) : null;
    return this.#changeOf(lowerId, async (trx) => {
      // Read and compared under the id's lock: of two identical deprecations at once, one changes the version
      // and appends to the catalog, the other finds it already done.
      const row = await trx
        .selectFrom('package_versions')
        .where('feed', '=', this.#feed)
        .select('deprecation')
        .where('lower_id', '=', lowerId)
        .where('lower_version', '=', lowerVersion)
        .executeTakeFirst();
      if (!row) return 'not-found';
      if (sameDeprecation(row.deprecation, stored)) return 'unchanged';
      await trx
        .updateTable('package_versions')
        .where('feed', '=', this.#feed)
        .set({ deprecation: stored })
        .where('lower_id', '=', lowerId)
        .where('lower_version', '=', lowerVersion)
        .execute();
      const changed = await this.#catalogDetails(trx, lowerId, lowerVersion);
      await this.#recordEvent(trx, options, changed);
      return 'changed';
    });
  }

  async remove(
    lowerId: string,
    lowerVersion: string,
    options: EventOption = {},
  ): Promise<PackageVersion | undefined> {
    return this.#changeOf(lowerId, async (trx) => {
      const row = await trx
        .deleteFrom('package_versions')
        .where('feed', '=', this.#feed)
        .where('lower_id', '=', lowerId)
        .where('lower_version', '=', lowerVersion)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await trx
        .deleteFrom('package_downloads_daily')
        .where('feed', '=', this.#feed)
        .where('lower_id', '=', lowerId)
        .where('lower_version', '=', lowerVersion)
        .execute();
      await this.#refreshSearch(trx, this.#feed, lowerId);
      const removed = toPackageVersion(row);
      await appendCatalogEntry(trx, this.#locks, this.#clock.now(), this.#feed, {
        type: 'PackageDelete',
        version: removed,
      });
      await this.#recordEvent(trx, options, removed);
      return removed;
    });
  }

  async addDownloads(
    counts: ReadonlyMap<string, { lowerId: string; lowerVersion: string; count: number }>,
    at: Date = this.#clock.now(),
  ): Promise<void> {
    const byId = new Map<string, { lowerVersion: string; count: number }[]>();
    for (const { lowerId, lowerVersion, count } of counts.values()) {
      const versions = byId.get(lowerId) ?? [];
      versions.push({ lowerVersion, count });
      byId.set(lowerId, versions);
    }
    // In id order, a bounded number of ids per transaction, each id under its write lock: two nodes flushing at
    // once never wait for each other in a cycle, and a push that rebuilds an id's search documents never
    // overwrites the total of a flush that committed meanwhile.
    const ids = [...byId.keys()].sort();
    // The day of the flush: the counter flushes every second, so a count lands on the day it happened (but for
    // the last second before midnight).
    const day = this.#clock.now().toISOString().slice(0, 10);
    const flushedAt = at.toISOString();
    for (let i = 0; i < ids.length; i += downloadIdsPerTransaction) {
      const part = ids.slice(i, i + downloadIdsPerTransaction);
      await this.#db.transaction().execute(async (trx) => {
        await this.#locks.packageIds(trx, part);
        for (const lowerId of part) {
          for (const { lowerVersion, count } of byId.get(lowerId) ?? []) {
            const version = { feed: this.#feed, lowerId, lowerVersion, count };
            await addVersionDownloads(trx, { ...version, flushedAt });
            await addDailyDownloads(trx, { ...version, day });
          }
          await sumIdDownloads(trx, { feed: this.#feed, lowerId });
        }
      });
    }
  }

  async downloadsPerDay(lowerId: string, since: string): Promise<DailyDownloads[]> {
    const rows = await this.#db
      .selectFrom('package_downloads_daily')
      .select(['lower_version', 'day', 'downloads'])
      .where('feed', '=', this.#feed)
      .where('lower_id', '=', lowerId)
      .where('day', '>=', since)
      .execute();
    return rows.map((row) => ({
      lowerVersion: row.lower_version,
      day: row.day,
      downloads: Number(row.downloads),
    }));
  }

  async publishedAfter(published: string): Promise<PackageVersion[]> {
    const rows = await this.#db
      .selectFrom('package_versions')
      .where('feed', '=', this.#feed)
      .where('published', '>', published)
      .selectAll()
      .execute();
    return rows.map(toPackageVersion);
  }

  async listWithActivity(): Promise<{ version: PackageVersion; lastDownloaded: string | undefined }[]> {
    const rows = await this.#db
      .selectFrom('package_versions')
      .where('feed', '=', this.#feed)
      .selectAll()
      .execute();
    return rows.map((row) => ({
      version: toPackageVersion(row),
      lastDownloaded: row.last_downloaded ?? undefined,
    }));
  }

  async wasDeleted(lowerId: string, lowerVersion: string): Promise<boolean> {
    const { rows } = await selectDeletion(this.#db, { feed: this.#feed, lowerId, lowerVersion });
    return rows.length > 0;
  }

  async referencedBlobPrefixes(): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('package_versions')
      .where('feed', '=', this.#feed)
      .select('blob_prefix')
      .execute();
    return rows.map((row) => row.blob_prefix);
  }
}

/** Deprecations are stored as JSON written by this store; compared as values, whatever the key order. */
function sameDeprecation(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return isDeepStrictEqual(JSON.parse(a), JSON.parse(b));
}

export function toPackageVersion(row: PackageVersionsTable): PackageVersion {
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
    ...(row.deprecation ? { deprecation: JSON.parse(row.deprecation) as PackageDeprecation } : {}),
  };
}

/** The row of a version, as every writer of package_versions stores it. */
export function toPackageVersionRow(feed: string, v: PackageVersion): PackageVersionsTable {
  return {
    feed,
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
    deprecation: v.deprecation ? JSON.stringify(v.deprecation) : null,
  };
}
