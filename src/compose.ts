// The one place that builds adapters and wires services (docs/architecture.md rule 1).
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { connectAtStart, describeFailure } from './backends-at-start.ts';
import { type Config, ConfigError, StartupError } from './config/config.ts';
import { buildApp } from './http/app.ts';
import { redactSecrets } from './redact.ts';
import { defaultServerTimeouts, type ServerTimeouts } from './http/server-timeouts.ts';
import { createReadCaches, type HttpServices } from './http/http-services.ts';
import type { JSONWebKeySet } from 'jose';
import { Metrics } from './http/metrics.ts';
import { clientAddressOf, requestLogLine } from './http/request-log.ts';
import { createLogger } from './logger.ts';
import { FailedAuthLimiter } from './auth/failed-auth-limiter.ts';
import { lifetimeCapFor } from './auth/key-lifetime.ts';
import { OidcTokenVerifier } from './auth/oidc-token-verifier.ts';
import { DownloadCounter } from './packages/download-counter.ts';
import { claimTempFolder, type TempFolder } from './packages/temp-folders.ts';
import {
  defaultFeedName,
  type Feed,
  type FeedSettings,
  kindOf,
  upstreamSettingsOf,
  virtualSettingsOf,
} from './packages/feed.ts';
import { FeedDirectory, type OpenFeed } from './packages/feed-directory.ts';
import type {
  BlobStore,
  ChangeStamps,
  Clock,
  FeedCopier,
  FeedStore,
  FeedStores,
  SearchIndex,
  UpstreamDocumentStore,
} from './packages/ports.ts';
import {
  UpstreamMember,
  type UpstreamReport,
  type UpstreamStatus,
  upstreamStatusKey,
} from './packages/upstream-member.ts';
import { VirtualFeed, type VirtualMember } from './packages/virtual-feed.ts';
import type { AuditLog } from './auth/ports.ts';
import { readUpstreamCredentials } from './config/upstream-credentials.ts';
import { HttpUpstreamSource } from './storage/remote/http-upstream-source.ts';
import { SqlFetchLeaseStore } from './storage/sql/sql-fetch-lease-store.ts';
import { SqlUpstreamDocumentStore } from './storage/sql/sql-upstream-document-store.ts';
import { issuerKeyFetch } from './storage/remote/issuer-key-fetch.ts';
import { SqlTrustPolicyStore, SqlUsedTokenStore } from './storage/sql/sql-trust-policy-store.ts';
import { SqlFeedStore } from './storage/sql/sql-feed-store.ts';
import { FileSystemBlobStore } from './storage/blobs/file-system-blob-store.ts';
import type { Database } from './storage/sql/schema.ts';
import { SqlAdvisoryStore } from './storage/sql/sql-advisory-store.ts';
import { SqlCatalogStore, SqlReplicationCursorStore } from './storage/sql/sql-catalog-store.ts';
import { SqlPackageStore, type SearchDocumentsRefresher } from './storage/sql/sql-package-store.ts';
import { SqlSymbolStore } from './storage/sql/sql-symbol-store.ts';
import { SqlApiKeyStore } from './storage/sql/sql-api-key-store.ts';
import { SqlAuditLog } from './storage/sql/sql-audit-log.ts';
import { SqlWebSessionStore } from './storage/sql/sql-web-session-store.ts';
import { parseSsoRoleRules, type SsoRoleRule } from './auth/sso-roles.ts';
import type { SsoSettings } from './auth/web-sessions.ts';
import { openSqlite } from './storage/sql/sqlite-database.ts';
import { SqlChangeStamps, SqliteChangeStamps, SqliteSearchStamps } from './storage/sql/change-stamps.ts';
import { refreshSearchDocuments, SqliteSearchIndex } from './storage/sql/sqlite-search-index.ts';
import { postgresWriteLocks, sqliteWriteLocks, type WriteLocks } from './storage/sql/write-locks.ts';
import type { RetentionLock } from './packages/run-retention.ts';
import {
  postgresRetentionLock,
  SqlRetentionPolicyStore,
  sqliteRetentionLock,
} from './storage/sql/sql-retention-store.ts';
import { SqlWebhookStore, WebhookOutbox } from './storage/sql/sql-webhook-store.ts';
import { HttpWebhookSender } from './storage/remote/http-webhook-sender.ts';
import { WebhookDestinations } from './packages/webhook-destinations.ts';
import { WebhookDeliveryWorker } from './packages/deliver-webhooks.ts';
import { version } from './cli/version.ts';

interface Metadata {
  readonly db: Kysely<Database>;
  readonly dialect: 'sqlite' | 'postgres';
  readonly refreshSearch: SearchDocumentsRefresher;
  readonly searchFor: (feed: string) => SearchIndex;
  readonly locks: WriteLocks;
  readonly stampsFor: (feed: string) => ChangeStamps;
  /** FeedStores.searchStamps of a feed; undefined: its own stamps. */
  readonly searchStampsFor?: ((feed: string) => ChangeStamps) | undefined;
  /** One retention run per feed at a time, on every node. */
  readonly retentionLock: RetentionLock;
  /** A synchronous feed stamp lookup, where the database allows one (embedded SQLite). */
  readonly feedStampOf?: ((name: string) => number | undefined) | undefined;
  /** What upstream feeds learnt from their upstream (with synchronous stamps on embedded SQLite). */
  readonly upstreamDocumentsFor: (feed: string) => UpstreamDocumentStore;
}

interface OpenOptions {
  /** false: refuse a data directory or database that holds no feed yet (admin commands without --create). */
  readonly create: boolean;
  readonly logger: Logger;
  /** Reads the database's state at each scrape: PostgreSQL's pool, SQLite's file size. */
  readonly metrics?: Metrics | undefined;
}

const dataDirOption = '--data-dir / NUGGET_DATA_DIR';

/** The embedded default loads neither pg nor the S3 SDK: the scale-out adapters are imported only when configured. */
async function openMetadata(config: Config, dataDir: string, options: OpenOptions): Promise<Metadata> {
  const { metrics } = options;
  if (config.database) {
    const url = config.database;
    const { openPostgresDatabase } = await import('./storage/sql/postgres-database.ts');
    const { PostgresSearchIndex, refreshPostgresSearchDocuments } =
      await import('./storage/sql/postgres-search-index.ts');
    const db = await connectAtStart(
      { name: `PostgreSQL at ${redactSecrets(url)}`, option: '--database / NUGGET_DATABASE_URL' },
      () =>
        openPostgresDatabase(url, {
          requireFeed: !options.create,
          onPool: (pool) => metrics?.watchPool(pool),
        }),
      { waitMs: config.startupWait, logger: options.logger },
    );
    return {
      db,
      refreshSearch: refreshPostgresSearchDocuments,
      dialect: 'postgres',
      searchFor: (feed) => new PostgresSearchIndex(db, feed),
      locks: postgresWriteLocks,
      stampsFor: (feed) => new SqlChangeStamps(db, feed),
      retentionLock: postgresRetentionLock(db),
      upstreamDocumentsFor: (feed) => new SqlUpstreamDocumentStore(db, feed),
    };
  }
  let opened;
  try {
    opened = await openSqlite(join(dataDir, 'nugget.db'));
  } catch (error) {
    throw new StartupError(
      `cannot open the SQLite database in ${dataDir}: ${describeFailure(error)}; check ${dataDirOption}`,
      { cause: error },
    );
  }
  const { db, sqlite } = opened;
  const feedStamp = sqlite.prepare<[string], number | null>('SELECT stamp FROM feeds WHERE name = ?').pluck();
  // An embedded database has no pool to watch; how big it has grown is worth a graph (page_count * page_size).
  const pageSize = Number(sqlite.pragma('page_size', { simple: true }));
  metrics?.gauge('nugget_sqlite_database_bytes', 'Size of the SQLite database file (without its WAL).', () =>
    sqlite.open ? Number(sqlite.pragma('page_count', { simple: true })) * pageSize : 0,
  );
  return {
    db,
    refreshSearch: refreshSearchDocuments,
    dialect: 'sqlite',
    searchFor: (feed) => new SqliteSearchIndex(db, feed),
    locks: sqliteWriteLocks,
    stampsFor: (feed) => new SqliteChangeStamps(sqlite, feed),
    searchStampsFor: (feed) => new SqliteSearchStamps(sqlite, feed),
    retentionLock: sqliteRetentionLock(db),
    feedStampOf: (name) => feedStamp.get(name) ?? undefined,
    upstreamDocumentsFor: (feed) => new SqlUpstreamDocumentStore(db, feed, { sqlite }),
  };
}

/** A missing feed is refused before anything is created, so a mistyped --data-dir leaves nothing behind. */
function requireFeed(config: Config, dataDir: string): void {
  if (config.database === undefined && !existsSync(join(dataDir, 'nugget.db'))) {
    throw new StartupError(
      `no feed in ${dataDir} (it has no nugget.db): check ${dataDirOption}, ` +
        'or add --create to start a new feed there',
    );
  }
}

/**
 * The data directory, and this process's own folder for uploads under its tmp/; a path nugget cannot write stops
 * it here, naming the flag.
 */
async function claimDataDir(dataDir: string, sweep: boolean): Promise<TempFolder> {
  try {
    await mkdir(dataDir, { recursive: true });
    return await claimTempFolder(join(dataDir, 'tmp'), { sweep });
  } catch (error) {
    throw new StartupError(
      `cannot use ${dataDir} as the data directory: ${describeFailure(error)}; check ${dataDirOption} ` +
        '(a directory nugget may write)',
      { cause: error },
    );
  }
}

/** Gives up on one attempt that hangs (a host that drops packets) so the next one can start. */
function withinMs<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms / 1000} s`), { code: 'ETIMEDOUT' })),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function openBlobs(config: Config, dataDir: string, logger: Logger): Promise<BlobStore> {
  if (config.storage) {
    const { parseS3StorageUrl } = await import('./storage/blobs/s3-storage-url.ts');
    const { S3BlobStore } = await import('./storage/blobs/s3-blob-store.ts');
    let location;
    try {
      location = parseS3StorageUrl(config.storage);
    } catch (error) {
      throw new ConfigError(`--storage / NUGGET_STORAGE: ${(error as Error).message}`, { cause: error });
    }
    const blobs = new S3BlobStore(location);
    // One read of a key that is never written: answers "not there" when the bucket is reachable with these
    // credentials, and fails like every later request would otherwise.
    await connectAtStart(
      {
        name: `the S3 store ${config.storage}`,
        option: '--storage / NUGGET_STORAGE (and the AWS_* credentials)',
      },
      () => withinMs(10_000, blobs.open('nugget-start-check')),
      { waitMs: config.startupWait, logger },
    ).catch((error: unknown) => {
      blobs.close();
      throw error;
    });
    return blobs;
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

/**
 * The verifier of trusted publishing's CI tokens, when an audience is configured: the issuers, their keys given by
 * hand (read now, so a wrong path stops the start), and the CA bundle to fetch the others' with.
 */
/** Single sign-on for the web UI (docs/web-ui.md): all of issuer, client id and role rules, or none. */
function webSingleSignOn(config: Config): { sso: SsoSettings | undefined; ssoRules: SsoRoleRule[] } {
  let ssoRules: SsoRoleRule[];
  try {
    ssoRules = config.ssoRoles === undefined ? [] : parseSsoRoleRules(config.ssoRoles);
  } catch (error) {
    throw new ConfigError(`--sso-roles / NUGGET_SSO_ROLES: ${(error as Error).message}`, { cause: error });
  }
  if (config.ssoIssuer === undefined) {
    if (config.ssoClientId !== undefined) {
      throw new ConfigError(
        '--sso-client-id is set but --sso-issuer is not: give the OpenID Connect issuer too',
      );
    }
    return { sso: undefined, ssoRules };
  }
  if (config.ssoClientId === undefined) {
    throw new ConfigError(
      '--sso-issuer is set but --sso-client-id is not: give the client id registered at the provider',
    );
  }
  if (ssoRules.length === 0) {
    throw new ConfigError(
      '--sso-issuer is set but --sso-roles is not: without role rules nobody could sign in; e.g. --sso-roles "groups:nuget-admins=admin"',
    );
  }
  return {
    sso: {
      issuer: config.ssoIssuer,
      clientId: config.ssoClientId,
      clientSecret: config.ssoClientSecret,
      nameClaim: config.ssoNameClaim,
    },
    ssoRules,
  };
}

async function trustedPublishingVerifier(config: Config): Promise<OidcTokenVerifier | undefined> {
  const audiences =
    config.trustedPublishingAudience ?? (config.publicUrl === undefined ? [] : [config.publicUrl]);
  if (audiences.length === 0) return undefined;
  const read = async (file: string, flag: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`Cannot read ${flag} ${file}: ${(error as Error).message}`, { cause: error });
    }
  };
  const keys = new Map<string, JSONWebKeySet>();
  for (const { issuer, file } of config.trustedPublishingKeys ?? []) {
    if (!config.trustedPublishingIssuers.some((trusted) => trusted.url === issuer)) {
      throw new ConfigError(
        `--trusted-publishing-keys names ${issuer}, which is not in --trusted-publishing-issuers: add it there too`,
      );
    }
    const text = await read(file, '--trusted-publishing-keys');
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(text) as JSONWebKeySet;
      if (!Array.isArray(jwks.keys)) throw new Error('it has no "keys" array');
    } catch (error) {
      throw new ConfigError(
        `--trusted-publishing-keys ${file} is not a JSON Web Key Set: ${(error as Error).message}`,
        { cause: error },
      );
    }
    keys.set(issuer, jwks);
  }
  const extraCa =
    config.trustedPublishingCa === undefined
      ? undefined
      : await read(config.trustedPublishingCa, '--trusted-publishing-ca');
  return new OidcTokenVerifier({
    issuers: config.trustedPublishingIssuers.map((issuer) => ({ ...issuer, jwks: keys.get(issuer.url) })),
    audiences,
    fetch: issuerKeyFetch({ extraCa }),
  });
}

export interface Nugget {
  readonly app: FastifyInstance;
  readonly services: HttpServices;
  readonly feeds: FeedDirectory;
  readonly db: Kysely<Database>;
  /** The feed named `name` (default: the default feed), with its stores; 404 naming it when there is none. */
  openFeed(name?: string): Promise<OpenFeed>;
  /** `<data dir>/tmp`: the folders for uploads in progress, one per process (`services.options.tempDir` is ours). */
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
  /** The server's clock (tests move it to see keys expire); default the system clock. */
  clock?: Clock;
  /**
   * Start a new feed when the data directory or database holds none (the default, as `serve` does); false
   * refuses, for admin commands, so a mistyped --data-dir does not quietly make a new empty feed.
   */
  create?: boolean;
  /** Tests shorten the connection timeouts; a body's stall timeout is --upload-timeout. */
  serverTimeouts?: Partial<Omit<ServerTimeouts, 'bodyIdleMs'>>;
  /**
   * Run this process's webhook delivery worker (`serve` does, with --webhook-delivery on; admin commands do
   * not). `pollMs` is the longest wait between two looks at the queue (default 1 s).
   */
  deliverWebhooks?: boolean | { pollMs: number };
}

/** The destination rules of --webhook-allowed-hosts and --webhook-allowed-networks; a bad entry names its flag. */
function webhookDestinations(config: Config): WebhookDestinations {
  try {
    return new WebhookDestinations({
      allowedHosts: config.webhookAllowedHosts,
      allowedNetworks: config.webhookAllowedNetworks,
    });
  } catch (error) {
    throw new ConfigError(
      `--webhook-allowed-hosts / --webhook-allowed-networks: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

export async function composeNugget(config: Config, options: ComposeOptions = {}): Promise<Nugget> {
  const logger = options.logger ?? (await createLogger(config));
  const https = await readTlsFiles(config);
  const dataDir = resolve(config.dataDir);
  const tempRoot = join(dataDir, 'tmp');
  if (options.create === false) requireFeed(config, dataDir);
  // Uploads go to a folder of this process's own: a node sharing the data dir keeps its uploads in progress.
  const temp = await claimDataDir(dataDir, !options.keepTempFiles);
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
  const metadata = await openMetadata(config, dataDir, {
    create: options.create ?? true,
    logger,
    metrics,
  });
  const { db, refreshSearch, locks } = metadata;
  const destinations = webhookDestinations(config);
  // Every write that reports an event records it through this, in the write's own transaction.
  const outbox = new WebhookOutbox({ queueLimit: config.webhookQueueLimit });
  const webhookStore = new SqlWebhookStore(db, { dialect: metadata.dialect });
  const webhookSender = new HttpWebhookSender({ destinations, timeoutMs: config.webhookTimeout });
  metrics.watchWebhookQueue(() => webhookStore.stats(new Date()));
  const feedStore = new SqlFeedStore(db, { dialect: metadata.dialect });
  const defaults: FeedSettings = {
    private: config.private,
    deleteBehavior: config.deleteBehavior,
    maxPackageSize: config.maxPackageSize,
    allowRepushAfterDelete: config.allowRepushAfterDelete,
    maxApiKeyLifetime: config.maxApiKeyLifetime,
  };
  const clock: Clock = options.clock ?? { now: () => new Date() };
  const audit = new SqlAuditLog(db);
  // Upstream feeds store what they fetch in the blob store, which is opened below (after the database).
  const opened: { blobs?: BlobStore } = {};
  const upstreams = new UpstreamMembers({
    db,
    publicUrl: config.publicUrl,
    documentsFor: metadata.upstreamDocumentsFor,
    headers: config.upstreamCredentials
      ? readUpstreamCredentials(config.upstreamCredentials)
      : new Map<string, Record<string, string>>(),
    tempDir,
    blobs: () => {
      if (!opened.blobs) throw new Error('upstream used before the blob store was opened');
      return opened.blobs;
    },
    clock,
    audit,
    metrics,
    logger,
  });
  metrics.watchBreakers(() =>
    upstreams.statuses().map((status) => ({ upstream: status.feed, state: status.breaker })),
  );
  const feeds = new FeedDirectory({
    feeds: feedStore,
    defaults,
    stampOf: metadata.feedStampOf,
    viewFor: (feed, own, directory) => upstreams.viewFor(feed, own.stores, directory),
    storesFor: (name) => {
      const packages = new SqlPackageStore(db, name, refreshSearch, { locks, outbox });
      return {
        stores: {
          packages,
          search: metadata.searchFor(name),
          catalog: new SqlCatalogStore(db, name),
          advisories: new SqlAdvisoryStore(db, name, { locks }),
          symbols: new SqlSymbolStore(db, name, { locks, outbox }),
          stamps: metadata.stampsFor(name),
          searchStamps: metadata.searchStampsFor?.(name),
          replicationCursors: new SqlReplicationCursorStore(db, name),
        },
        downloads: new DownloadCounter(packages, {
          intervalMs: options.downloadFlushMs ?? 1000,
          clock: options.clock,
          onError: (error) => logger.error({ err: error, feed: name }, 'could not record download counts'),
        }),
      };
    },
  });
  let openedBlobs: BlobStore;
  try {
    openedBlobs = await openBlobs(config, dataDir, logger);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  opened.blobs = openedBlobs;
  const userAgent = `nugget-webhooks/${version}`;
  const worker = options.deliverWebhooks
    ? new WebhookDeliveryWorker(
        {
          queue: webhookStore,
          sender: webhookSender,
          clock,
          onOutcome: (outcome) => metrics.webhookOutcome(outcome),
          onError: (error) => logger.warn({ err: error }, 'webhook delivery: the queue could not be read'),
        },
        {
          retryForMs: config.webhookRetryFor,
          retryMinMs: config.webhookRetryMin,
          retryMaxMs: config.webhookRetryMax,
          pollMs: typeof options.deliverWebhooks === 'object' ? options.deliverWebhooks.pollMs : 1000,
          batch: 20,
          leaseMs: config.webhookTimeout * 2 + 30_000,
          keepDeliveredMs: 7 * 24 * 3_600_000,
          userAgent,
        },
      )
    : undefined;
  const services: HttpServices = {
    feeds,
    feedStore,
    blobs: openedBlobs,
    clock,
    upstreams: () => upstreams.statuses(),
    upstreamReport: () => upstreams.report(feedStore),
    webhooks: { store: webhookStore, destinations, sender: webhookSender, userAgent },
    trust: {
      policies: new SqlTrustPolicyStore(db),
      usedTokens: new SqlUsedTokenStore(db),
      issuers: config.trustedPublishingIssuers,
      verifier: await trustedPublishingVerifier(config),
    },
    lifetimeCap: (names) => lifetimeCapFor(feeds, names),
    retention: { policies: new SqlRetentionPolicyStore(db), lock: metadata.retentionLock },
    apiKeys: new SqlApiKeyStore(db),
    audit,
    webSignIn: {
      sessions: new SqlWebSessionStore(db),
      lifetimeMs: config.sessionLifetime,
      ...webSingleSignOn(config),
    },
    authFailures: new FailedAuthLimiter({
      limit: config.authFailureLimit,
      windowMs: config.authFailureWindow,
    }),
    caches: createReadCaches({
      metrics,
      maxBytes: config.cacheMemory,
      // The raw-HTTP fast path keeps only public feeds' answers; on PostgreSQL its stamp check is a shared query.
      front: {
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
    metrics,
    options: {
      apiKey: config.apiKey,
      publicUrl: config.publicUrl,
      trustProxy: config.trustProxy,
      uploadTimeoutMs: config.uploadTimeout,
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
  const app = await buildApp(services, { logger, https, timeouts });
  worker?.start();
  return {
    app,
    services,
    feeds,
    db,
    openFeed: (name = defaultFeedName) => feeds.get(name),
    tempRoot,
    async close() {
      await app.close();
      // Attempts in progress end first (each within --webhook-timeout): their outcome is written before the
      // database closes. One cut short stays claimed until its lease ends, and is then sent again.
      await worker?.stop();
      await webhookSender.close();
      await feeds.close();
      await upstreams.close();
      await db.destroy();
      await temp.release();
      // The S3 client's keep-alive sockets would hold a CLI command's process open.
      (openedBlobs as { close?: () => void }).close?.();
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
  // The source must be a feed; the destination is made one.
  requireFeed(source, dataDir);
  const logger = await createLogger(source);
  const { SqlFeedCopier } = await import('./storage/sql/sql-feed-copier.ts');
  const from = await openMetadata(source, dataDir, { create: false, logger });
  const to = await openMetadata({ ...source, database: destination.database }, dataDir, {
    create: true,
    logger,
  }).catch(async (error: unknown) => {
    await from.db.destroy();
    throw error;
  });
  const sourceBlobs = await openBlobs(source, dataDir, logger);
  const sameBlobStore = destination.storage === undefined || destination.storage === source.storage;
  const destinationBlobs = sameBlobStore
    ? sourceBlobs
    : await openBlobs({ ...source, storage: destination.storage }, dataDir, logger);
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

export interface BackupReport {
  readonly packageVersions: number;
  /** Package and symbol prefixes the copied database refers to, and how many of them the copied files lack. */
  readonly referencedPrefixes: number;
  readonly missingPrefixes: readonly string[];
  /** Where the package files are when the backup holds none (S3 storage). */
  readonly filesElsewhere: string | undefined;
}

const postgresBackup =
  'the feed is in PostgreSQL: back it up with pg_dump --format=custom and restore it with pg_restore ' +
  '(docs/deployment.md, "Backup and restore")';

/** Opens a copied feed's database and checks that every package and symbol file it refers to is there. */
async function checkCopiedFeed(dir: string, filesElsewhere: string | undefined): Promise<BackupReport> {
  const { db } = await openSqlite(join(dir, 'nugget.db'));
  try {
    const prefixes: string[] = [];
    for (const { name } of await db.selectFrom('feeds').select('name').execute()) {
      const packages = new SqlPackageStore(db, name, refreshSearchDocuments, { locks: sqliteWriteLocks });
      prefixes.push(
        ...(await packages.referencedBlobPrefixes()),
        ...(await new SqlSymbolStore(db, name, { locks: sqliteWriteLocks }).referencedBlobPrefixes()),
      );
    }
    const missingPrefixes: string[] = [];
    if (filesElsewhere === undefined) {
      const blobs = new FileSystemBlobStore(join(dir, 'blobs'));
      for (const prefix of prefixes) {
        const first = await blobs.list(prefix)[Symbol.asyncIterator]().next();
        if (first.done) missingPrefixes.push(prefix);
      }
    }
    const { count } = await db
      .selectFrom('package_versions')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return {
      packageVersions: Number(count),
      referencedPrefixes: prefixes.length,
      missingPrefixes,
      filesElsewhere,
    };
  } finally {
    await db.destroy();
  }
}

/**
 * `nugget backup <dir>`: a consistent copy of a running or stopped embedded feed. The database first (SQLite's
 * online backup), then the package files: a push stores its files before its row, so every file a copied row
 * refers to already exists. Only a package deleted for good (--delete-behavior delete) while the copy runs can
 * leave a row without its files; the check at the end reports that.
 */
export async function backupFeed(config: Config, target: string): Promise<BackupReport> {
  if (config.database) throw new ConfigError(`nugget backup cannot copy this feed: ${postgresBackup}`);
  const dataDir = resolve(config.dataDir);
  requireFeed(config, dataDir);
  const { backupSqliteDatabase, copyTree, isEmptyOrMissing } = await import('./storage/feed-backup.ts');
  const dir = resolve(target);
  if (!(await isEmptyOrMissing(dir))) {
    throw new ConfigError(`${dir} is not empty: back up into a new or empty directory`);
  }
  try {
    await mkdir(dir, { recursive: true });
    await backupSqliteDatabase(join(dataDir, 'nugget.db'), join(dir, 'nugget.db'));
    if (!config.storage && existsSync(join(dataDir, 'blobs'))) {
      await copyTree(join(dataDir, 'blobs'), join(dir, 'blobs'));
    }
  } catch (error) {
    throw new StartupError(`cannot back up into ${dir}: ${describeFailure(error)}`, { cause: error });
  }
  return checkCopiedFeed(dir, config.storage);
}

/** `nugget restore <dir>`: a backup made by backupFeed becomes the feed in the (new, empty) data directory. */
export async function restoreFeed(source: string, config: Config): Promise<BackupReport> {
  if (config.database) throw new ConfigError(`nugget restore cannot write this feed: ${postgresBackup}`);
  const { copyTree, isEmptyOrMissing } = await import('./storage/feed-backup.ts');
  const from = resolve(source);
  if (!existsSync(join(from, 'nugget.db'))) {
    throw new ConfigError(`${from} holds no backup (no nugget.db): give the directory nugget backup wrote`);
  }
  const dataDir = resolve(config.dataDir);
  if (!(await isEmptyOrMissing(dataDir))) {
    throw new ConfigError(
      `${dataDir} is not empty: restore into a new or empty data directory (--data-dir / NUGGET_DATA_DIR), ` +
        'so no feed is overwritten',
    );
  }
  try {
    await mkdir(dataDir, { recursive: true });
    await copyFile(join(from, 'nugget.db'), join(dataDir, 'nugget.db'));
    if (!config.storage && existsSync(join(from, 'blobs'))) {
      await copyTree(join(from, 'blobs'), join(dataDir, 'blobs'));
    }
  } catch (error) {
    throw new StartupError(
      `cannot restore into ${dataDir}: ${describeFailure(error)}; check ${dataDirOption}`,
      {
        cause: error,
      },
    );
  }
  return checkCopiedFeed(dataDir, config.storage);
}

/**
 * The upstream feeds of a server (docs/upstreams.md): one UpstreamMember per upstream feed, kept across requests
 * (its breaker, its connections and its downloads under way are per process) and built again only when the feed's
 * upstream settings change; and the read side of every upstream and virtual feed (packages/virtual-feed.ts).
 */
interface UpstreamMembersDeps {
  readonly db: Kysely<Database>;
  readonly documentsFor: (feed: string) => UpstreamDocumentStore;
  readonly headers: ReadonlyMap<string, Record<string, string>>;
  readonly tempDir: string;
  readonly blobs: () => BlobStore;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** --public-url: the URLs of the package.ingested webhook payloads (none without it). */
  readonly publicUrl: string | undefined;
}

class UpstreamMembers {
  readonly #deps: UpstreamMembersDeps;
  readonly #members = new Map<string, { key: string; member: UpstreamMember }>();

  constructor(deps: UpstreamMembersDeps) {
    this.#deps = deps;
  }

  memberOf(feed: Feed, stores: FeedStores): UpstreamMember {
    const settings = upstreamSettingsOf(feed.kind);
    if (!settings) throw new Error(`feed '${feed.name}' is not an upstream feed`);
    const key = JSON.stringify([settings, feed.settings.maxPackageSize]);
    const known = this.#members.get(feed.name);
    if (known?.key === key) return known.member;
    if (known) void known.member.source.close();
    const { metrics, logger } = this.#deps;
    const source = new HttpUpstreamSource({
      settings,
      headers: this.#deps.headers.get(feed.name),
      tempDir: this.#deps.tempDir,
      maxPackageBytes: feed.settings.maxPackageSize,
      onCall: (call) => metrics.upstreamLatency(feed.name, call.kind, call.ms / 1000),
    });
    const member = new UpstreamMember({
      feed,
      settings,
      source,
      documents: this.#deps.documentsFor(feed.name),
      leases: new SqlFetchLeaseStore(this.#deps.db, feed.name),
      stores,
      blobs: this.#deps.blobs(),
      clock: this.#deps.clock,
      audit: this.#deps.audit,
      publicUrl: this.#deps.publicUrl,
      onOutcome: (kind, outcome) => metrics.upstream(feed.name, kind, outcome),
      onError: (message) => logger.warn({ upstream: feed.name }, `upstream failed: ${message}`),
    });
    this.#members.set(feed.name, { key, member });
    return member;
  }

  viewFor(feed: Feed, own: FeedStores, directory: FeedDirectory) {
    if (kindOf(feed) === 'upstream') {
      const member = this.memberOf(feed, own);
      const members: VirtualMember[] = [{ name: feed.name, kind: 'upstream', stores: own, upstream: member }];
      const view = new VirtualFeed({
        name: feed.name,
        own,
        rules: { cooldown: 0, upstreamAllowed: [] },
        settingsKey: JSON.stringify(feed.kind),
        members: async () => members,
        clock: this.#deps.clock,
        ownIsMember: true,
        maxAgeMs: () => Math.max(member.settings.metadataTtl, 1000),
      });
      return { stores: view.stores, content: view.content };
    }
    const settings = virtualSettingsOf(feed.kind);
    if (!settings) throw new Error(`feed '${feed.name}' is neither upstream nor virtual`);
    let maxAgeMs: number | undefined;
    const view = new VirtualFeed({
      name: feed.name,
      own,
      rules: settings,
      settingsKey: JSON.stringify(feed.kind),
      members: async () => {
        const members: VirtualMember[] = [];
        let shortest: number | undefined;
        for (const name of settings.members) {
          const open = await directory.find(name);
          if (!open) continue;
          const stores = directory.storesOf(name).stores;
          if (kindOf(open.feed) === 'hosted') members.push({ name, kind: 'hosted', stores });
          else if (kindOf(open.feed) === 'upstream') {
            const upstream = this.memberOf(open.feed, stores);
            shortest = Math.min(shortest ?? Number.POSITIVE_INFINITY, upstream.settings.metadataTtl);
            members.push({ name, kind: 'upstream', stores, upstream });
          }
        }
        maxAgeMs = shortest === undefined ? undefined : Math.max(shortest, 1000);
        return members;
      },
      clock: this.#deps.clock,
      ownIsMember: false,
      maxAgeMs: () => maxAgeMs,
    });
    return { stores: view.stores, content: view.content };
  }

  /** Every upstream feed: this process's status where it used the feed, else the last one a node kept. */
  async report(feeds: FeedStore): Promise<UpstreamReport[]> {
    const reports: UpstreamReport[] = [];
    for (const record of await feeds.list()) {
      if (record.kind?.kind !== 'upstream') continue;
      const live = this.#members.get(record.name)?.member.status();
      const kept = await this.#deps.documentsFor(record.name).get(upstreamStatusKey);
      const stored = kept ? (JSON.parse(kept.body) as UpstreamStatus) : undefined;
      reports.push({
        feed: record.name,
        source: record.kind.source,
        breaker: live?.breaker ?? stored?.breaker ?? 'closed',
        lastSuccess: live?.lastSuccess ?? stored?.lastSuccess,
        lastError: live?.lastError ?? stored?.lastError,
        staleAnswers: live?.staleAnswers ?? stored?.staleAnswers ?? 0,
        cachedPackages: await feeds.countVersions(record.name),
      });
    }
    return reports;
  }

  statuses(): UpstreamStatus[] {
    return [...this.#members.values()].map(({ member }) => member.status());
  }

  async close(): Promise<void> {
    await Promise.all([...this.#members.values()].map(({ member }) => member.source.close()));
    this.#members.clear();
  }
}
