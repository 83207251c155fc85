// The one place that builds adapters and wires services (docs/architecture.md rule 1).
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import pino, { type Logger } from 'pino';
import { type Config, ConfigError } from './config/config.ts';
import { buildApp } from './http/app.ts';
import { defaultServerTimeouts, type ServerTimeouts } from './http/server-timeouts.ts';
import { createReadCaches, type Feed } from './http/feed.ts';
import { FailedAuthLimiter } from './auth/failed-auth-limiter.ts';
import { DownloadCounter } from './packages/download-counter.ts';
import type {
  BlobStore,
  ChangeStamps,
  FeedCopier,
  ReplicationCursorStore,
  SearchIndex,
} from './packages/ports.ts';
import { FileSystemBlobStore } from './storage/blobs/file-system-blob-store.ts';
import { type CatalogLock, noCatalogLock, postgresCatalogLock } from './storage/sql/catalog-log.ts';
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

interface Metadata {
  readonly db: Kysely<Database>;
  readonly refreshSearch: SearchDocumentsRefresher;
  readonly search: SearchIndex;
  readonly catalogLock: CatalogLock;
  readonly stamps: ChangeStamps;
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
      stamps: new SqlChangeStamps(db),
    };
  }
  const { db, sqlite } = await openSqlite(join(dataDir, 'nugget.db'));
  return {
    db,
    refreshSearch: refreshSearchDocuments,
    search: new SqliteSearchIndex(db),
    catalogLock: noCatalogLock,
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
  close(): Promise<void>;
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel });
}

export async function composeNugget(
  config: Config,
  options: {
    logger?: Logger;
    downloadFlushMs?: number;
    /** Admin commands that may run beside a live server (nugget apikey) must not empty its tmp/ of uploads. */
    keepTempFiles?: boolean;
    /** Tests shorten the connection timeouts; a body's stall timeout is --upload-timeout. */
    serverTimeouts?: Partial<Omit<ServerTimeouts, 'bodyIdleMs'>>;
  } = {},
): Promise<Nugget> {
  const logger = options.logger ?? createLogger(config);
  const https = await readTlsFiles(config);
  const dataDir = resolve(config.dataDir);
  const tempDir = join(dataDir, 'tmp');
  await mkdir(dataDir, { recursive: true });
  // Uploads still in tmp/ belong to a previous process that stopped mid-push: nothing refers to them.
  if (!options.keepTempFiles) await rm(tempDir, { recursive: true, force: true });
  await mkdir(tempDir, { recursive: true });

  const { db, refreshSearch, search, catalogLock, stamps } = await openMetadata(config, dataDir);
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
    apiKeys: new SqlApiKeyStore(db),
    audit: new SqlAuditLog(db),
    authFailures: new FailedAuthLimiter({
      limit: config.authFailureLimit,
      windowMs: config.authFailureWindow,
    }),
    stamps,
    caches: createReadCaches(
      // A private feed authenticates every request in Fastify: no raw-HTTP fast path there.
      config.private
        ? {}
        : {
            front: {
              stamps,
              trustProxy: config.trustProxy,
              // The request line Fastify's hook writes for the answers it gives (app.ts), for these ones too.
              onServed: logger.isLevelEnabled('info')
                ? (request, status, startedAt) =>
                    logger.info(
                      {
                        method: request.method,
                        url: request.url,
                        status,
                        ms: Number(process.hrtime.bigint() - startedAt) / 1e6,
                        sessionId: request.headers['x-nuget-session-id'],
                        protocolVersion: request.headers['x-nuget-protocol-version'],
                        client: request.headers['user-agent'],
                        cached: true,
                      },
                      'request',
                    )
                : undefined,
            },
          },
    ),
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
    async close() {
      await app.close();
      await downloads.close();
      await db.destroy();
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
  const tempDir = join(dataDir, 'tmp');
  await mkdir(tempDir, { recursive: true });
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
  const copier = new SqlFeedCopier(from.db, to.db, {
    destinationDialect: 'postgres',
    refreshSearch: to.refreshSearch,
    close: async () => {
      await from.db.destroy();
      await to.db.destroy();
      for (const blobs of new Set([sourceBlobs, destinationBlobs]))
        (blobs as { close?: () => void }).close?.();
    },
  });
  return { copier, sourceBlobs, destinationBlobs, sameBlobStore, tempDir };
}
