// The one place that builds adapters and wires services (docs/architecture.md rule 1).
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import pino, { type Logger } from 'pino';
import type { Config } from './config/config.ts';
import { buildApp } from './http/app.ts';
import type { Feed } from './http/feed.ts';
import { DownloadCounter } from './packages/download-counter.ts';
import type { BlobStore, ReplicationCursorStore, SearchIndex } from './packages/ports.ts';
import { FileSystemBlobStore } from './storage/blobs/file-system-blob-store.ts';
import { type CatalogLock, noCatalogLock, postgresCatalogLock } from './storage/sql/catalog-log.ts';
import type { Database } from './storage/sql/schema.ts';
import { SqlAdvisoryStore } from './storage/sql/sql-advisory-store.ts';
import { SqlCatalogStore, SqlReplicationCursorStore } from './storage/sql/sql-catalog-store.ts';
import { SqlPackageStore, type SearchDocumentsRefresher } from './storage/sql/sql-package-store.ts';
import { SqlSymbolStore } from './storage/sql/sql-symbol-store.ts';
import { openSqliteDatabase } from './storage/sql/sqlite-database.ts';
import { refreshSearchDocuments, SqliteSearchIndex } from './storage/sql/sqlite-search-index.ts';

interface Metadata {
  readonly db: Kysely<Database>;
  readonly refreshSearch: SearchDocumentsRefresher;
  readonly search: SearchIndex;
  readonly catalogLock: CatalogLock;
}

/** The embedded default loads neither pg nor the S3 SDK: the scale-out adapters are imported only when configured. */
async function openMetadata(config: Config, dataDir: string): Promise<Metadata> {
  if (config.database) {
    const { openPostgresDatabase } = await import('./storage/sql/postgres-database.ts');
    const { PostgresSearchIndex, refreshPostgresSearchDocuments } =
      await import('./storage/sql/postgres-search-index.ts');
    const db = await openPostgresDatabase(config.database);
    return {
      db,
      refreshSearch: refreshPostgresSearchDocuments,
      search: new PostgresSearchIndex(db),
      catalogLock: postgresCatalogLock,
    };
  }
  const db = await openSqliteDatabase(join(dataDir, 'nugget.db'));
  return {
    db,
    refreshSearch: refreshSearchDocuments,
    search: new SqliteSearchIndex(db),
    catalogLock: noCatalogLock,
  };
}

async function openBlobs(config: Config, dataDir: string): Promise<BlobStore> {
  if (config.storage) {
    const { parseS3StorageUrl } = await import('./storage/blobs/s3-storage-url.ts');
    const { S3BlobStore } = await import('./storage/blobs/s3-blob-store.ts');
    return new S3BlobStore(parseS3StorageUrl(config.storage));
  }
  return new FileSystemBlobStore(join(dataDir, 'blobs'));
}

export interface Nugget {
  readonly app: FastifyInstance;
  readonly feed: Feed;
  readonly db: Kysely<Database>;
  readonly replicationCursors: ReplicationCursorStore;
  close(): Promise<void>;
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel });
}

export async function composeNugget(
  config: Config,
  options: { logger?: Logger; downloadFlushMs?: number } = {},
): Promise<Nugget> {
  const logger = options.logger ?? createLogger(config);
  const dataDir = resolve(config.dataDir);
  const tempDir = join(dataDir, 'tmp');
  await mkdir(dataDir, { recursive: true });
  // Uploads still in tmp/ belong to a previous process that stopped mid-push: nothing refers to them.
  await rm(tempDir, { recursive: true, force: true });
  await mkdir(tempDir, { recursive: true });

  const { db, refreshSearch, search, catalogLock } = await openMetadata(config, dataDir);
  const packages = new SqlPackageStore(db, refreshSearch, { catalogLock });
  const downloads = new DownloadCounter(packages, {
    intervalMs: options.downloadFlushMs ?? 1000,
    onError: (error) => logger.error({ err: error }, 'could not record download counts'),
  });
  const feed: Feed = {
    packages,
    search,
    blobs: await openBlobs(config, dataDir),
    catalog: new SqlCatalogStore(db),
    advisories: new SqlAdvisoryStore(db, { catalogLock }),
    symbols: new SqlSymbolStore(db),
    clock: { now: () => new Date() },
    downloads,
    options: {
      apiKey: config.apiKey,
      publicUrl: config.publicUrl,
      trustProxy: config.trustProxy,
      maxPackageSize: config.maxPackageSize,
      deleteBehavior: config.deleteBehavior,
      tempDir,
      packageDetailsUrl: config.packageDetailsUrl,
      reportAbuseUrl: config.reportAbuseUrl,
    },
  };
  const app = await buildApp(feed, { logger });
  return {
    app,
    feed,
    db,
    replicationCursors: new SqlReplicationCursorStore(db),
    async close() {
      await app.close();
      await downloads.close();
      await db.destroy();
    },
  };
}
