// What the HTTP layer is given (built in compose.ts): the server's services, shared by every feed. The feed a
// request addresses, with its settings and stores, is found per request (request-feed.ts).
import type { RetentionLock, RetentionPolicyStore } from '../packages/run-retention.ts';
import type { FailedAuthLimiter } from '../auth/failed-auth-limiter.ts';
import type { LifetimeCap } from '../auth/key-lifetime.ts';
import type { OidcIssuerConfig, OidcTokenVerifier } from '../auth/oidc-token-verifier.ts';
import type { ApiKeyStore, AuditLog, TrustPolicyStore, UsedTokenStore } from '../auth/ports.ts';
import type { WebSignInServices } from '../auth/web-sessions.ts';
import type { FeedDirectory } from '../packages/feed-directory.ts';
import type { UpstreamReport, UpstreamStatus } from '../packages/upstream-member.ts';
import type { PackageVersion } from '../protocol/package-version.ts';
import { FrontCache, type FrontCacheOptions } from './front-cache.ts';
import type { Metrics } from './metrics.ts';
import { ByteLru } from './byte-lru.ts';
import { type CachedResponse, StampedCache } from './response-cache.ts';
import type { BlobStore, Clock, FeedStore, WebhookSender, WebhookStore } from '../packages/ports.ts';
import type { WebhookDestinations } from '../packages/webhook-destinations.ts';

/**
 * In-memory caches of the read path, shared by every feed: each entry is kept under its feed's name and is valid
 * only at the change stamp of that feed it was built at.
 */
export interface ReadCaches {
  readonly responses: StampedCache<CachedResponse>;
  readonly versions: StampedCache<PackageVersion>;
  /** Small package files by blob key: a key's content never changes (each push has its own prefix). */
  readonly files: ByteLru<Buffer>;
  /** The raw-HTTP fast path; only public feeds' answers go in it. */
  readonly front?: FrontCache | undefined;
}

/** The default of --cache-memory: what the read caches hold together. */
export const defaultCacheMemory = 96 * 1024 * 1024;

export function createReadCaches(options: {
  metrics: Metrics;
  /** The bytes all the caches hold together (--cache-memory), split between them below. */
  maxBytes?: number;
  /** The raw-HTTP fast path (front-cache.ts). */
  front?: { trustProxy: boolean; onServed?: FrontCacheOptions['onServed'] };
}): ReadCaches {
  const total = options.maxBytes ?? defaultCacheMemory;
  const { metrics } = options;
  // Documents are the most asked for; the fast path keeps the same answers again in front of Fastify, so without it
  // the documents get its share. Small package files come next, version records (for downloads) are small.
  const share = options.front
    ? { responses: 3 / 8, front: 3 / 8, files: 3 / 16 }
    : { responses: 5 / 8, front: 0, files: 5 / 16 };
  const caches: ReadCaches = {
    responses: new StampedCache(Math.floor(total * share.responses)),
    versions: new StampedCache(Math.floor(total / 16)),
    files: new ByteLru(Math.floor(total * share.files)),
    front: options.front
      ? new FrontCache({
          trustProxy: options.front.trustProxy,
          maxBytes: Math.floor(total * share.front),
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
export interface HttpServices {
  /** The feeds, by name, with their settings and stores. */
  readonly feeds: FeedDirectory;
  /** The upstream feeds this node has used, with their breaker and last success and error (docs/upstreams.md). */
  readonly upstreams?: (() => readonly UpstreamStatus[]) | undefined;
  /** Every upstream feed's status: this node's where it used the feed, else the last one any node kept. */
  readonly upstreamReport?: (() => Promise<UpstreamReport[]>) | undefined;
  /** The feeds table, for the admin API. */
  readonly feedStore: FeedStore;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** Webhook subscriptions and their delivery log (docs/webhooks.md), and what pings are sent with. */
  readonly webhooks: {
    readonly store: WebhookStore;
    readonly destinations: WebhookDestinations;
    readonly sender: WebhookSender;
    readonly userAgent: string;
  };
  /** Managed API keys (docs/security.md); the bootstrap key is options.apiKey. */
  readonly apiKeys: ApiKeyStore;
  readonly audit: AuditLog;
  /** Failed authentication per client address; in memory, so per node. */
  readonly authFailures: FailedAuthLimiter;
  readonly caches: ReadCaches;
  /** Prometheus metrics (GET /metrics). */
  readonly metrics: Metrics;
  readonly options: ServerOptions;
  /** Trusted publishing (docs/trusted-publishing.md): the policies, and the verifier of CI tokens. */
  readonly trust: TrustedPublishing;
  /** The strictest cap on the lifetime of a key valid for these feeds (a feed's maxApiKeyLifetime). */
  readonly lifetimeCap: (feeds: readonly string[]) => Promise<LifetimeCap | undefined>;
  /** Sign-in to the web UI: sessions, and single sign-on when configured (docs/web-ui.md). */
  readonly webSignIn: WebSignInServices;
  /** Retention (docs/retention.md): each feed's policy, and the lock of a feed's run. */
  readonly retention: {
    readonly policies: RetentionPolicyStore;
    readonly lock: RetentionLock;
  };
}

export interface TrustedPublishing {
  readonly policies: TrustPolicyStore;
  readonly usedTokens: UsedTokenStore;
  /** The issuers policies may name (--trusted-publishing-issuers). */
  readonly issuers: readonly OidcIssuerConfig[];
  /** Undefined when no audience is configured (--trusted-publishing-audience or --public-url): exchanges are off. */
  readonly verifier?: OidcTokenVerifier | undefined;
}

/** Server-wide options; what each feed may set for itself (private, limits) is in its settings (packages/feed.ts). */
export interface ServerOptions {
  /** The bootstrap key: admin on every id of every feed, next to the managed keys. */
  readonly apiKey?: string | undefined;
  readonly publicUrl?: string | undefined;
  readonly trustProxy: boolean;
  /** A push that sends nothing for this long is refused with 408 (default 60 s). */
  readonly uploadTimeoutMs?: number | undefined;
  readonly tempDir: string;
  readonly packageDetailsUrl?: string | undefined;
  readonly reportAbuseUrl?: string | undefined;
  /** Answer .nupkg downloads with 302 to the blob store's presigned URL, when the store can sign one. */
  readonly redirectDownloads?: boolean | undefined;
  /** The bearer token GET /metrics requires; without one, /metrics is open, or with --private needs a read key (routes/operations.ts). */
  readonly metricsToken?: string | undefined;
  /** How long a /health/ready result is kept (default 2 s; readiness.ts). */
  readonly readinessCacheMs?: number | undefined;
}
