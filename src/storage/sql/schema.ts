// The tables, as Kysely sees them. Booleans are 0/1 integers so SQLite and PostgreSQL read alike.
import type { Generated } from 'kysely';

export interface PackageVersionsTable {
  /** The feed the row belongs to (FeedsTable.name). */
  feed: string;
  lower_id: string;
  lower_version: string;
  id: string;
  version: string;
  full_version: string;
  is_prerelease: number;
  is_semver2: number;
  listed: number;
  published: string;
  downloads: number;
  package_size: number;
  package_hash: string;
  blob_prefix: string;
  /** JSON array of EmbeddedFileKind. */
  embedded_files: string;
  /** JSON PackageMetadata. */
  metadata: string;
  /** JSON PackageDeprecation, or null when the version is not deprecated. */
  deprecation: string | null;
  /**
   * When the version was last downloaded (ISO 8601, to the download counter's flush interval), written with the
   * counts; null when never (or before migration 0012). Retention's keep-downloaded rule reads it.
   */
  last_downloaded?: string | null;
}

export interface CatalogEntriesTable {
  /** The feed the row belongs to (FeedsTable.name). */
  feed: string;
  /** Server-wide commit order: what change stamps compare. */
  seq: Generated<number>;
  /** The entry's number within its feed (1, 2, ...): what the feed's catalog pages and leaf URLs count. */
  feed_seq: number;
  commit_id: string;
  commit_timestamp: string;
  type: 'PackageDetails' | 'PackageDelete';
  lower_id: string;
  lower_version: string;
  id: string;
  /** Full version (with build metadata). */
  version: string;
  /** JSON PackageVersion at this commit; null for a PackageDelete. */
  snapshot: string | null;
}

export interface VulnerabilityAdvisoriesTable {
  /** The feed the row belongs to (FeedsTable.name). */
  feed: string;
  lower_id: string;
  url: string;
  /** 0 low, 1 moderate, 2 high, 3 critical. */
  severity: number;
  /** A NuGet version range of the vulnerable versions. */
  versions: string;
  updated: string;
}

export interface SymbolPackagesTable {
  /** The feed the row belongs to (FeedsTable.name). */
  feed: string;
  lower_id: string;
  lower_version: string;
  blob_prefix: string;
  package_size: number;
  package_hash: string;
  published: string;
}

export interface SymbolFilesTable {
  /** The feed the row belongs to (FeedsTable.name). */
  feed: string;
  /** Lower-cased file name, e.g. 'contoso.core.pdb'. */
  file_name: string;
  /** Lower-cased SSQP key, e.g. '<guid without dashes>ffffffff' for a portable PDB. */
  symbol_key: string;
  lower_id: string;
  lower_version: string;
  blob_key: string;
  size: number;
}

/**
 * One row per id and search level: the latest listed version that a client asking with that
 * prerelease / semVerLevel combination may see (nuget.org keeps four such documents per id too).
 * level bit 0: prerelease included; bit 1: SemVer 2.0.0 included.
 */
export interface SearchDocumentsTable {
  /** The feed the row belongs to (FeedsTable.name). */
  feed: string;
  doc_id: Generated<number>;
  lower_id: string;
  level: number;
  lower_version: string;
  total_downloads: number;
  /** Space-separated lower-case package type names, padded with spaces: ' dependency '. */
  package_types: string;
}

export interface ReplicationCursorsTable {
  /** The feed the row belongs to (FeedsTable.name). */
  feed: string;
  source: string;
  cursor: string;
  updated: string;
}

export interface ApiKeysTable {
  key_id: string;
  name: string;
  secret_hash: string;
  scopes: string;
  packages: string;
  created: string;
  expires: string | null;
  last_used: string | null;
  revoked: string | null;
  /** JSON array of the feed names the key is valid for; ['*'] for every feed. */
  feeds: string;
  /** The trust policy that issued the key (trusted publishing); null for keys an admin created. */
  trust_policy: string | null;
}

/** Trust policies of trusted publishing (migration 0007, docs/trusted-publishing.md). */
export interface TrustPoliciesTable {
  id: string;
  feed: string;
  user_name: string;
  issuer: string;
  kind: string;
  /** JSON TrustCriteria. */
  criteria: string;
  /** JSON of the owner and repository (project) ids recorded at first use; null until then. */
  pinned: string | null;
  scopes: string;
  packages: string;
  created: string;
  created_by: string;
}

/** OpenID Connect tokens already exchanged, until they expire: the replay check. */
export interface UsedOidcTokensTable {
  token_key: string;
  expires: string;
}

export interface AuditLogTable {
  seq: Generated<number>;
  /** The feed the action was on; null for server-wide actions (API keys). */
  feed: string | null;
  at: string;
  actor: string;
  key_id: string | null;
  action: string;
  package_id: string | null;
  version: string | null;
  source: string | null;
  outcome: string;
  detail: string | null;
}

export interface FeedsTable {
  name: string;
  description: string;
  /** JSON FeedOverrides: the settings the feed sets itself; the rest follow the server's defaults. */
  settings: string;
  created: string;
  /**
   * Moves on every change to the feed (a catalog entry, a settings change): what cached reads of the feed are
   * checked against. Never repeats for a name, even across a delete and a re-create (see sql-feed-store.ts).
   */
  stamp: number;
  /** The stamp of the latest change of the feed itself (created, settings): what the raw-HTTP fast path checks. */
  settings_stamp: number;
  /** JSON KindRecord (packages/feed.ts): hosted, or an upstream's source and settings, or a virtual feed's members. */
  kind: Generated<string>;
}

/** What an upstream feed learnt from its upstream, by key (upstream-documents.ts). */
export interface UpstreamDocumentsTable {
  feed: string;
  key: string;
  /** JSON. */
  body: string;
  /** ms since the epoch. */
  fetched_at: number;
  changed_at: number;
}

/** Sessions of the web UI (migration 0011, src/auth/web-sessions.ts). */
export interface WebSessionsTable {
  id: string;
  secret_hash: string;
  method: string;
  name: string;
  key_id: string | null;
  subject: string | null;
  /** JSON: the values of the claims the SSO role rules read. */
  claims: string | null;
  csrf_token: string;
  created: string;
  expires: string;
  revoked: string | null;
}

/** Downloads of one version on one UTC day, written with the version's total by each flush of the counter. */
export interface PackageDownloadsDailyTable {
  feed: string;
  lower_id: string;
  lower_version: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  downloads: number;
}

/** A feed's retention policy (docs/retention.md): JSON RetentionPolicy. */
export interface RetentionPoliciesTable {
  feed: string;
  policy: string;
  updated: string;
  updated_by: string;
}

/** On SQLite, the lock that lets one retention run per feed at a time (PostgreSQL uses an advisory lock). */
export interface RetentionLocksTable {
  feed: string;
  /** Random per run. */
  owner: string;
  host: string;
  pid: number;
  /** The lease ends here unless the run renews it (ISO 8601). */
  expires: string;
}

/** Who is fetching a package of an upstream feed on its first download (docs/upstreams.md, "Single flight"). */
export interface UpstreamFetchLeasesTable {
  feed: string;
  lower_id: string;
  lower_version: string;
  /** The process that holds the lease (host, pid and a random part). */
  owner: string;
  /** ms since the epoch: after it, another process may take the lease over. */
  expires: number;
}

export interface Database {
  feeds: FeedsTable;
  package_versions: PackageVersionsTable;
  package_downloads_daily: PackageDownloadsDailyTable;
  search_documents: SearchDocumentsTable;
  catalog_entries: CatalogEntriesTable;
  vulnerability_advisories: VulnerabilityAdvisoriesTable;
  symbol_packages: SymbolPackagesTable;
  symbol_files: SymbolFilesTable;
  replication_cursors: ReplicationCursorsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  trust_policies: TrustPoliciesTable;
  used_oidc_tokens: UsedOidcTokensTable;
  upstream_documents: UpstreamDocumentsTable;
  web_sessions: WebSessionsTable;
  retention_policies: RetentionPoliciesTable;
  retention_locks: RetentionLocksTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  upstream_fetch_leases: UpstreamFetchLeasesTable;
}

export interface WebhookSubscriptionsTable {
  id: string;
  feed: string;
  url: string;
  /** JSON array of event types, or ["*"]. */
  events: string;
  secret: string;
  active: number;
  description: string;
  created: string;
  created_by: string;
  /** Consecutive rounds in which every attempt to the receiver failed; 0 once one succeeds. */
  failures: number;
  /** While the receiver fails: nothing is sent to it before this time but one probe. */
  paused_until: string | null;
}

export interface WebhookDeliveriesTable {
  /** The delivery id: the same on every attempt and redelivery, so receivers can drop repeats. */
  id: string;
  subscription_id: string;
  feed: string;
  event: string;
  package_id: string | null;
  package_version: string | null;
  /** The JSON body sent, exactly. */
  body: string;
  /** 'pending', 'delivered', 'failed' or 'dropped' (the queue was full). */
  status: string;
  attempts: number;
  created: string;
  /** Retries go on until this time plus --webhook-retry-for; a redelivery moves it to the time of the redelivery. */
  retry_from: string;
  next_attempt: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_attempt: string | null;
  last_error: string | null;
  response_code: number | null;
  completed: string | null;
}
