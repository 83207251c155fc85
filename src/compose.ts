// The one place that builds adapters and wires services (docs/architecture.md rule 1).
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type Config, ConfigError } from './config/config.ts';
import { buildApp } from './http/app.ts';
import { defaultServerTimeouts, type ServerTimeouts } from './http/server-timeouts.ts';
import { createReadCaches, type Feed } from './http/feed.ts';
import { Metrics } from './http/metrics.ts';
import { clientAddressOf, requestLogLine } from './http/request-log.ts';
import { createLogger } from './logger.ts';
import { FailedAuthLimiter } from './auth/failed-auth-limiter.ts';
import { DownloadCounter } from './packages/download-counter.ts';
import { claimTempFolder, type TempFolder } from './packages/temp-folders.ts';
import type {
  BlobStore,
  ChangeStamps,
  FeedCopier,
  ReplicationCursorStore,
  SearchIndex,
} from './packages/ports.ts';
import { FileSystemBlobStore } from './storage/blobs/file-system-blob-store.ts';
import type { Database } from './storage/sql/schema.ts';
import { SqlAdvisoryStore } from './storage/sql/sql-advisory-store.ts';
import { SqlCatalogStore, SqlReplicationCursorStore } from './storage/sql/sql-catalog-store.ts';
import { SqlPackageStore, type SearchDocumentsRefresher } from './storage/sql/sql-package-store.ts';
import { SqlSymbolStore } from './storage/sql/sql-symbol-store.ts';
import { SqlApiKeyStore } from './storage/sql/sql-api-key-store.ts';
import { SqlAuditLog } from './storage/sql/sql-audit-log.ts';
import { openSqlite } from './storage/sql/sqlite-database.ts';
import { SqlChangeStamps, SqliteChangeStamps } from './storage/sql/change-stamps.ts';
import { refreshSearchDocuments, SqliteSearchIndex } from './storage/sql/sqlite-search-index.ts';
import { postgresWriteLocks, sqliteWriteLocks, type WriteLocks } from './storage/sql/write-locks.ts';

interface Metadata {
  readonly db: Kysely<Database>;
  readonly refreshSearch: SearchDocumentsRefresher;
  readonly search: SearchIndex;
  readonly locks: WriteLocks;
  readonly stamps: ChangeStamps;
}

/**
 * The embedded default loads neither pg nor the S3 SDK: the scale-out adapters are imported only when configured.
 * `metrics`, when given, reads the database's state at each scrape: PostgreSQL's pool, SQLite's file size.
 */
async function openMetadata(config: Config, dataDir: string, metrics?: Metrics): Promise<Metadata> {
  if (config.database) {
    const { openPostgresDatabase } = await import('./storage/sql/postgres-database.ts');
    const { PostgresSearchIndex, refreshPostgresSearchDocuments } =
      await import('./storage/sql/postgres-search-index.ts');
    const db = await openPostgresDatabase(config.database, {
      onPool: (pool) => metrics?.watchPool(pool),
    });
    return {
      db,
      refreshSearch: refreshPostgresSearchDocuments,
      search: new PostgresSearchIndex(db),
      locks: postgresWriteLocks,
      stamps: new SqlChangeStamps(db),
    };
  }
  const { db, sqlite } = await openSqlite(join(dataDir, 'nugget.db'));
  // An embedded database has no pool to watch; how big it has grown is worth a graph (page_count * page_size).
  const pageSize = Number(sqlite.pragma('page_size', { simple: true }));
  metrics?.gauge('nugget_sqlite_database_bytes', 'Size of the SQLite database file (without its WAL).', () =>
    sqlite.open ? Number(sqlite.pragma('page_count', { simple: true })) * pageSize : 0,
  );
  return {
    db,
    refreshSearch: refreshSearchDocuments,
    search: new SqliteSearchIndex(db),
    locks: sqliteWriteLocks,
    stamps: new SqliteChangeStamps(sqlite),
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

/**
 * The --tls-cert / --tls-key PEM files, read and checked to be a certificate and its key before anything
 * starts: a wrong path or a mismatched pair is a start-up error that names the flag, not a failed handshake later.
 */
async function readTlsFiles(config: Config): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  const read = async (file: string, flag: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new ConfigError(`Cannot read ${flag} ${file}: ${(error as Error).message}`, { cause: error });
    }
  };
  const cert = await read(config.tlsCert, '--tls-cert');
  const key = await read(config.tlsKey, '--tls-key');
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(
      `--tls-cert ${config.tlsCert} and --tls-key ${config.tlsKey} are not a PEM certificate and its ` +
        `private key: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { cert, key };
}

export interface Nugget {
  readonly app: FastifyInstance;
  readonly feed: Feed;
  readonly db: Kysely<Database>;
  readonly replicationCursors: ReplicationCursorStore;
  /** `<data dir>/tmp`: the folders for uploads in progress, one per process (`feed.options.tempDir` is ours). */
  readonly tempRoot: string;
  close(): Promise<void>;
}

export interface ComposeOptions {
  logger?: Logger;
  downloadFlushMs?: number;
  /**
   * Leave what stopped processes left in tmp/ for `nugget gc`. Each process has its own folder there and only
   * stale folders are ever removed, so this is never needed for safety; admin commands use it to start faster.
   */
  keepTempFiles?: boolean;
  /** Tests shorten the connection timeouts; a body's stall timeout is --upload-timeout. */
  serverTimeouts?: Partial<Omit<ServerTimeouts, 'bodyIdleMs'>>;
}

export async function composeNugget(config: Config, options: ComposeOptions = {}): Promise<Nugget> {
  const logger = options.logger ?? (await createLogger(config));
  const https = await readTlsFiles(config);
  const dataDir = resolve(config.dataDir);
  const tempRoot = join(dataDir, 'tmp');
  await mkdir(dataDir, { recursive: true });
  // Uploads go to a folder of this process's own: a node sharing the data dir keeps its uploads in progress.
  const temp = await claimTempFolder(tempRoot, { sweep: !options.keepTempFiles });
  try {
    return await composeWithTempFolder(config, options, logger, https, dataDir, tempRoot, temp);
  } catch (error) {
    await temp.release();
    throw error;
  }
}

async function composeWithTempFolder(
  config: Config,
  options: ComposeOptions,
  logger: Logger,
  https: { cert: Buffer; key: Buffer } | undefined,
  dataDir: string,
  tempRoot: string,
  temp: TempFolder,
): Promise<Nugget> {
  const tempDir = temp.path;
  const metrics = new Metrics();
  const { db, refreshSearch, search, locks, stamps } = await openMetadata(config, dataDir, metrics);
  const packages = new SqlPackageStore(db, refreshSearch, { locks });
  const downloads = new DownloadCounter(packages, {
    intervalMs: options.downloadFlushMs ?? 1000,
    onError: (error) => logger.error({ err: error }, 'could not record download counts'),
  });
  const feed: Feed = {
    packages,
    search,
    blobs: await openBlobs(config, dataDir),
    catalog: new SqlCatalogStore(db),
    advisories: new SqlAdvisoryStore(db, { locks }),
    symbols: new SqlSymbolStore(db, { locks }),
    clock: { now: () => new Date() },
    downloads,
    apiKeys: new SqlApiKeyStore(db),
    audit: new SqlAuditLog(db),
    authFailures: new FailedAuthLimiter({
      limit: config.authFailureLimit,
      windowMs: config.authFailureWindow,
    }),
    stamps,
    caches: createReadCaches({
      metrics,
      // A private feed authenticates every request in Fastify: no raw-HTTP fast path there.
      ...(config.private
        ? {}
        : {
            front: {
              stamps,
              trustProxy: config.trustProxy,
              // The request line Fastify's hook writes for the answers it gives (app.ts), for these ones too.
              onServed: logger.isLevelEnabled('info')
                ? ({ request, status, ms }) =>
                    logger.info(
                      requestLogLine(request, {
                        status,
                        ms,
                        address: clientAddressOf(request, config.trustProxy),
                        cached: true,
                      }),
                      'request',
                    )
                : undefined,
            },
          }),
    }),
    metrics,
    options: {
      apiKey: config.apiKey,
      private: config.private,
      publicUrl: config.publicUrl,
      trustProxy: config.trustProxy,
      maxPackageSize: config.maxPackageSize,
      uploadTimeoutMs: config.uploadTimeout,
      deleteBehavior: config.deleteBehavior,
      tempDir,
      packageDetailsUrl: config.packageDetailsUrl,
      reportAbuseUrl: config.reportAbuseUrl,
      redirectDownloads: config.redirectDownloads,
      metricsToken: config.metricsToken,
    },
  };
  const timeouts: ServerTimeouts = {
    ...defaultServerTimeouts,
    ...options.serverTimeouts,
    bodyIdleMs: config.uploadTimeout,
  };
  const app = await buildApp(feed, { logger, https, timeouts });
  return {
    app,
    feed,
    db,
    replicationCursors: new SqlReplicationCursorStore(db),
    tempRoot,
    async close() {
      await app.close();
      await downloads.close();
      await db.destroy();
      await temp.release();
      // The S3 client's keep-alive sockets would hold a CLI command's process open.
      (feed.blobs as { close?: () => void }).close?.();
    },
  };
}

/**
 * `nugget migrate-data`: the source feed as `source` configures it, and a destination on PostgreSQL (`database`)
 * with its blobs in `storage`, or where the source keeps them when `storage` is not given.
 */
export async function composeFeedMigration(
  source: Config,
  destination: { database: string; storage?: string | undefined },
): Promise<{
  copier: FeedCopier;
  sourceBlobs: BlobStore;
  destinationBlobs: BlobStore;
  sameBlobStore: boolean;
  tempDir: string;
}> {
  const dataDir = resolve(source.dataDir);
  if (destination.database === source.database) {
    throw new ConfigError('--to names the database the feed is already in: give another database to copy to');
  }
  const { SqlFeedCopier } = await import('./storage/sql/sql-feed-copier.ts');
  const from = await openMetadata(source, dataDir);
  const to = await openMetadata({ ...source, database: destination.database }, dataDir).catch(
    async (error: unknown) => {
      await from.db.destroy();
      throw error;
    },
  );
  const sourceBlobs = await openBlobs(source, dataDir);
  const sameBlobStore = destination.storage === undefined || destination.storage === source.storage;
  const destinationBlobs = sameBlobStore
    ? sourceBlobs
    : await openBlobs({ ...source, storage: destination.storage }, dataDir);
  // Staged copies go to a folder of this process's own, like uploads: a server on the same data dir leaves it be.
  const temp = await claimTempFolder(join(dataDir, 'tmp'));
  const tempDir = temp.path;
  const copier = new SqlFeedCopier(from.db, to.db, {
    destinationDialect: 'postgres',
    refreshSearch: to.refreshSearch,
    close: async () => {
      await from.db.destroy();
      await to.db.destroy();
      for (const blobs of new Set([sourceBlobs, destinationBlobs]))
        (blobs as { close?: () => void }).close?.();
      await temp.release();
    },
  });
  return { copier, sourceBlobs, destinationBlobs, sameBlobStore, tempDir };
}
