import type { FailedAuthLimiter } from '../auth/failed-auth-limiter.ts';
import type { ApiKeyStore, AuditLog } from '../auth/ports.ts';
import type { DownloadCounter } from '../packages/download-counter.ts';
import type { PackageVersion } from '../protocol/package-version.ts';
import { FrontCache, type FrontCacheOptions } from './front-cache.ts';
import type { Metrics } from './metrics.ts';
import { ByteLru } from './byte-lru.ts';
import { type CachedResponse, StampedCache } from './response-cache.ts';
import type { DeleteBehavior } from '../packages/manage-package.ts';
import type {
  AdvisoryStore,
  BlobStore,
  CatalogStore,
  ChangeStamps,
  Clock,
  PackageStore,
  SearchIndex,
  SymbolStore,
} from '../packages/ports.ts';

/** In-memory caches of the read path; each entry is valid only at the change stamp it was built at. */
export interface ReadCaches {
  readonly responses: StampedCache<CachedResponse>;
  readonly versions: StampedCache<PackageVersion>;
  /** Small package files by blob key: a key's content never changes (each push has its own prefix). */
  readonly files: ByteLru<Buffer>;
  /** The raw-HTTP fast path, where stamps can be read synchronously and the feed is public. */
  readonly front?: FrontCache | undefined;
}

export function createReadCaches(options: {
  metrics: Metrics;
  maxBytes?: number;
  front?: { stamps: ChangeStamps; trustProxy: boolean; onServed?: FrontCacheOptions['onServed'] };
}): ReadCaches {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const sync = options.front?.stamps.sync;
  const { metrics } = options;
  const caches: ReadCaches = {
    responses: new StampedCache(maxBytes),
    versions: new StampedCache(maxBytes / 8),
    files: new ByteLru(maxBytes),
    front:
      sync && options.front
        ? new FrontCache(sync, {
            trustProxy: options.front.trustProxy,
            maxBytes,
            metrics: metrics.requests,
            onServed: options.front.onServed,
          })
        : undefined,
  };
  metrics.watchCache('responses', caches.responses.stats);
  metrics.watchCache('versions', caches.versions.stats);
  metrics.watchCache('files', caches.files.stats);
  if (caches.front) metrics.watchCache('front', caches.front.stats);
  return caches;
}

/** What the HTTP layer needs; built in compose.ts. */
export interface Feed {
  readonly packages: PackageStore;
  readonly search: SearchIndex;
  readonly blobs: BlobStore;
  readonly catalog: CatalogStore;
  readonly advisories: AdvisoryStore;
  readonly symbols: SymbolStore;
  readonly clock: Clock;
  readonly downloads: DownloadCounter;
  /** Managed API keys (docs/security.md); the bootstrap key is options.apiKey. */
  readonly apiKeys: ApiKeyStore;
  readonly audit: AuditLog;
  /** Failed authentication per client address; in memory, so per node. */
  readonly authFailures: FailedAuthLimiter;
  /** The latest change, for the feed or one id: what validates every cached read. */
  readonly stamps: ChangeStamps;
  readonly caches: ReadCaches;
  /** Prometheus metrics (GET /metrics). */
  readonly metrics: Metrics;
  readonly options: FeedOptions;
}

export interface FeedOptions {
  /** The bootstrap key: admin on every id, next to the managed keys. */
  readonly apiKey?: string | undefined;
  /** Every read needs credentials with the read scope (private-feed.ts). */
  readonly private?: boolean | undefined;
  readonly publicUrl?: string | undefined;
  readonly trustProxy: boolean;
  readonly maxPackageSize: number;
  /** A push that sends nothing for this long is refused with 408 (default 60 s). */
  readonly uploadTimeoutMs?: number | undefined;
  readonly deleteBehavior: DeleteBehavior;
  readonly tempDir: string;
  readonly packageDetailsUrl?: string | undefined;
  readonly reportAbuseUrl?: string | undefined;
  /** Answer .nupkg downloads with 302 to the blob store's presigned URL, when the store can sign one. */
  readonly redirectDownloads?: boolean | undefined;
  /** The bearer token GET /metrics requires; without one, /metrics is as open as the feed (routes/operations.ts). */
  readonly metricsToken?: string | undefined;
  /** How long a /health/ready result is kept (default 2 s; readiness.ts). */
  readonly readinessCacheMs?: number | undefined;
}
