// The ports the use cases need (docs/architecture.md rule 4): small, named by role, speaking domain types.
import type { Readable } from 'node:stream';
import type { CatalogEntry, CatalogPageSummary } from '../protocol/catalog.ts';
import type { PackageDeprecation, PackageVersion } from '../protocol/package-version.ts';
import type { VulnerabilityAdvisory } from '../protocol/vulnerability-info.ts';
import type { FeedOverrides, FeedRecord, KindRecord } from './feed.ts';
import type { PackageEventInput } from './webhook-event.ts';

/**
 * The webhook event of a change (docs/webhooks.md): given to a write, it is recorded in the outbox in the same
 * transaction as the change, so a change is never committed without its event, nor an event without its change.
 * Undefined: the change reports nothing (a replica copying another feed).
 */
export interface EventOption {
  readonly event?: PackageEventInput | undefined;
}

/** A version without its metadata (PackageStore.findVersionKeys). */
export type VersionKey = Pick<PackageVersion, 'lowerVersion' | 'version' | 'fullVersion' | 'isSemVer2'>;

export interface PackageStore {
  /** Every version of an id, listed and unlisted, in no particular order. */
  findVersions(lowerId: string): Promise<PackageVersion[]>;
  /** Whether the feed holds any version of the id, listed or not (one row read, whatever the id's size). */
  hasVersions(lowerId: string): Promise<boolean>;
  /**
   * Every version of an id, in no particular order, without metadata: what a paged registration index needs
   * (bounds and counts), a small part of findVersions' work for an id with thousands of versions.
   */
  findVersionKeys(lowerId: string): Promise<VersionKey[]>;
  /** The versions of an id named by `lowerVersions` (normalized, lower case) that exist, in no particular order. */
  findVersionsIn(lowerId: string, lowerVersions: readonly string[]): Promise<PackageVersion[]>;
  findVersion(lowerId: string, lowerVersion: string): Promise<PackageVersion | undefined>;
  /**
   * Adds a version (with `symbols`, its symbol package too: a promotion) and refreshes its search documents in one
   * transaction; 'duplicate' when (lower id, normalized version) exists.
   */
  insert(
    version: PackageVersion,
    options?: {
      symbols?: SymbolPackage | undefined;
      /**
       * Called inside the transaction, after the id's and the feed's write locks, with what the feed holds
       * without this version: throws to refuse it (a quota, docs/retention.md). Concurrent pushes to the feed
       * wait for each other while it is given, so the usage it sees stays true until the insert commits.
       */
      admit?: ((usage: FeedUsage) => void) | undefined;
    } & EventOption,
  ): Promise<'inserted' | 'duplicate'>;
  /** Returns false when there is no such version; a version already in that state is changed again. */
  setListed(lowerId: string, lowerVersion: string, listed: boolean, options?: EventOption): Promise<boolean>;
  /**
   * Sets (or with undefined clears) a version's deprecation. Only a real change is written (and appended to the
   * catalog): 'unchanged' when the version already has that deprecation, 'not-found' when there is no such version.
   */
  setDeprecation(
    lowerId: string,
    lowerVersion: string,
    deprecation: PackageDeprecation | undefined,
    options?: EventOption,
  ): Promise<'changed' | 'unchanged' | 'not-found'>;
  /** Removes a version's row; returns what was removed. */
  remove(lowerId: string, lowerVersion: string, options?: EventOption): Promise<PackageVersion | undefined>;
  /** Adds to the download counts, and records `at` (default now) as the versions' last download. */
  addDownloads(
    counts: ReadonlyMap<string, { lowerId: string; lowerVersion: string; count: number }>,
    at?: Date,
  ): Promise<void>;
  /**
   * Downloads per version and UTC day of an id, from `since` (YYYY-MM-DD) on, in no particular order: what
   * addDownloads added, by the day each batch was written.
   */
  downloadsPerDay(lowerId: string, since: string): Promise<DailyDownloads[]>;
  /** The blob prefix of every stored version: what `nugget gc` must keep. */
  referencedBlobPrefixes(): Promise<string[]>;
  /** The versions of the feed published after `published` (ISO 8601): what a retention run re-checks. */
  publishedAfter(published: string): Promise<PackageVersion[]>;
  /** Every version of the feed, with when it was last downloaded (what retention decides on). */
  listWithActivity(): Promise<{ version: PackageVersion; lastDownloaded: string | undefined }[]>;
  /** Whether the version was deleted for good (its catalog has a PackageDelete for it). */
  wasDeleted(lowerId: string, lowerVersion: string): Promise<boolean>;
}

export interface DailyDownloads {
  readonly lowerVersion: string;
  /** YYYY-MM-DD, UTC. */
  readonly day: string;
  readonly downloads: number;
}

/** What a feed holds, as quotas count it (docs/retention.md, "Quotas"). */
export interface FeedUsage {
  /** The sum of the sizes of the feed's .nupkg files. */
  readonly totalBytes: number;
  /** How many versions (listed or not) the id of the version being inserted has. */
  readonly idVersions: number;
}

export interface SearchFilter {
  readonly prerelease: boolean;
  readonly semVer2: boolean;
  /** Only ids whose latest matching version declares this package type; undefined = no filter. */
  readonly packageType?: string | undefined;
}

export interface SearchQuery extends SearchFilter {
  readonly q: string;
  readonly skip: number;
  readonly take: number;
}

export interface SearchHit {
  readonly lowerId: string;
  /** The listed versions of the id that pass the filter, lowest first; the last is the one the result describes. */
  readonly versions: readonly PackageVersion[];
}

export interface SearchIndex {
  search(query: SearchQuery): Promise<{ totalHits: number; hits: SearchHit[] }>;
  autocompleteIds(query: SearchQuery): Promise<{ totalHits: number; ids: string[] }>;
}

/** The metadata ports that one database provides together. */
export interface PackageSearchPorts {
  readonly packages: PackageStore;
  readonly search: SearchIndex;
}

export interface StoredBlob {
  /** The blob's bytes, or those of the range asked for. */
  readonly stream: Readable;
  /** The size of the whole blob, also when a range was asked for. */
  readonly size: number;
}

/** Bytes `start` to `end` of a blob, both included (as in HTTP's Content-Range). */
export interface BlobRange {
  readonly start: number;
  readonly end: number;
}

/** A blob of `putFresh`: a file to move into place, or bytes. */
export type FreshBlob =
  | { readonly key: string; readonly sourcePath: string }
  | { readonly key: string; readonly bytes: Uint8Array };

export interface BlobStore {
  /**
   * Stores the file at `sourcePath` under `key` (the source may be moved, not copied). Once put or putFile
   * returns, the blob survives a crash or power loss: a row may then refer to it.
   */
  putFile(key: string, sourcePath: string): Promise<void>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  /**
   * Optional: stores blobs whose keys are fresh, in one go: they lie under a prefix that no row refers to yet and
   * that no other write uses (a push's own prefix, pushBlobPrefix), so nothing reads them before the row that
   * names them commits. As with put and putFile, all of them survive a crash or power loss once it returns; in
   * between, the store may make names and bytes durable in any order, and all at once (a file store: one round
   * of syncs instead of two per file; docs/decisions/0022-perf-push-syncs-and-cpu.md). A store without it is
   * given put and putFile calls.
   */
  putFresh?(blobs: readonly FreshBlob[]): Promise<void>;
  /**
   * Makes `toKey` hold what `fromKey` holds, without the bytes passing through nugget: a hard link on a file
   * system (stored once), a server-side copy on S3. Promotion uses it (docs/decisions/0011-feeds-data-model-urls-and-promotion.md). Returns
   * false when there is nothing at `fromKey`.
   */
  copy(fromKey: string, toKey: string): Promise<boolean>;
  /** The blob, or only `range` of it (a download resumed with `Range`), which must lie within the blob. */
  open(key: string, range?: BlobRange): Promise<StoredBlob | undefined>;
  /**
   * Removes every blob whose key starts with `prefix`; nothing to remove is not an error. A store with folders
   * also removes those the removal leaves empty.
   */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * Stores with folders (the file system): removes the empty folders under `prefix` last modified before
   * `olderThan` (younger ones may be a push's, about to be written); returns how many (with dryRun, would be).
   */
  removeEmptyFolders?(prefix: string, olderThan: Date, dryRun: boolean): Promise<number>;
  /** Every blob at `prefix` or under `prefix/`, in no particular order (for `nugget gc` and `migrate-data`). */
  list(prefix: string): AsyncIterable<BlobListing>;
  /**
   * A URL anyone can GET the blob from until it expires, for redirecting downloads to the object store or a CDN
   * in front of it; only stores that can sign such URLs have it. `signedAt` (default now) lets callers round the
   * signing time so one URL stays the same for a while, which a CDN can cache.
   */
  presignedUrl?(key: string, expiresSeconds: number, signedAt?: Date): Promise<string>;
}

export interface BlobListing {
  readonly key: string;
  readonly size: number;
  readonly modified: Date;
}

/** Reads the append-only catalog (written by PackageStore in the same transactions as the changes). */
export interface CatalogStore {
  /** One summary per page, lowest page first; empty when nothing was ever committed. */
  pages(): Promise<CatalogPageSummary[]>;
  /** The entries of one page, in commit order. */
  page(page: number): Promise<CatalogEntry[]>;
  entry(seq: number): Promise<CatalogEntry | undefined>;
}

/** Where `nugget replicate` remembers how far it has read another feed's catalog. */
export interface ReplicationCursorStore {
  get(source: string): Promise<string | undefined>;
  set(source: string, cursor: string): Promise<void>;
}

/** An advisory to import; `updated` defaults to the time of the import when the advisory is new or changed. */
export type AdvisoryInput = Omit<VulnerabilityAdvisory, 'updated'> & {
  readonly updated?: string | undefined;
};

export interface AdvisoryImportSummary {
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  readonly unchanged: number;
  /** PackageDetails entries appended: one per stored version whose vulnerabilities changed. */
  readonly catalogEntries: number;
}

/** Known vulnerabilities: VulnerabilityInfo, and the `vulnerabilities` of registration and search. */
export interface AdvisoryStore {
  /** The advisories of these lower ids, in no particular order. */
  findAdvisories(lowerIds: readonly string[]): Promise<VulnerabilityAdvisory[]>;
  /** Every advisory, in no particular order. */
  listAdvisories(): Promise<VulnerabilityAdvisory[]>;
  /** The latest `updated` of any advisory; undefined when there is none (the VulnerabilityInfo page is then empty). */
  lastUpdated(): Promise<string | undefined>;
  /**
   * Adds or changes the given advisories (with `replace`, also removes every other one) in one transaction that
   * appends a PackageDetails catalog entry for each stored version whose vulnerabilities changed.
   */
  importAdvisories(
    advisories: readonly AdvisoryInput[],
    options: { replace: boolean },
  ): Promise<AdvisoryImportSummary>;
}

/** A symbol file (a Portable PDB) as a symbol server serves it: `{fileName}/{symbolKey}/{fileName}`. */
export interface SymbolFile {
  /** Lower-cased file name, e.g. 'contoso.core.pdb'. */
  readonly fileName: string;
  /** Lower-cased SSQP key, e.g. '<guid N>ffffffff'. */
  readonly symbolKey: string;
  readonly lowerId: string;
  readonly lowerVersion: string;
  readonly blobKey: string;
  readonly size: number;
}

/** A pushed symbol package (.snupkg) and the symbol files it brought. */
export interface SymbolPackage {
  readonly lowerId: string;
  readonly lowerVersion: string;
  /** Every blob of this symbol package starts with it; unique per push. */
  readonly blobPrefix: string;
  readonly packageSize: number;
  readonly packageHash: string;
  readonly published: string;
  readonly files: readonly SymbolFile[];
}

export interface SymbolStore {
  findPackage(lowerId: string, lowerVersion: string): Promise<SymbolPackage | undefined>;
  /**
   * Lookup by lower-cased file name and key. Several packages may hold the same file (one build packed under two
   * ids): any one of them answers, since a key names one content on the feed.
   */
  findFile(fileName: string, symbolKey: string): Promise<SymbolFile | undefined>;
  /**
   * Adds the package and its files in one transaction. With `replacing` (the blob prefix of the version's current
   * symbol package), that package and its files go in the same transaction. 'duplicate-package' when the version
   * has symbols other than the ones `replacing` names (none expected without it): nothing changes then.
   */
  insert(
    symbols: SymbolPackage,
    options?: { replacing?: string | undefined } & EventOption,
  ): Promise<'inserted' | 'duplicate-package'>;
  /** Removes a version's symbol package and files; returns what was removed. */
  remove(lowerId: string, lowerVersion: string): Promise<SymbolPackage | undefined>;
  /** The blob prefix of every stored symbol package: what `nugget gc` must keep. */
  referencedBlobPrefixes(): Promise<string[]>;
}

/**
 * Where the feed stands: the number of the latest catalog entry, for the whole feed or for one id. Every change
 * appends to the catalog in its own transaction, so a cached document built at stamp N is current exactly while
 * the stamp is still N, on every node that shares the database.
 */
export interface ChangeStamps {
  latest(): Promise<number>;
  latestFor(lowerId: string): Promise<number>;
  /**
   * Values built from data that stamps do not track (an upstream's metadata) are rebuilt, behind the answer, once
   * they are this old (ms); undefined: never.
   */
  readonly maxAgeMs?: number | undefined;
  /** The same, synchronously, where the database allows it (embedded SQLite): enables the raw-HTTP fast path. */
  readonly sync?:
    | {
        latest(): number;
        latestFor(lowerId: string): number;
        /** The stamp of the feed's own latest change (settings); -1 once the feed is gone. */
        settings(): number;
      }
    | undefined;
  /**
   * The same with a round trip (PostgreSQL), for the raw-HTTP fast path there: each value from a query sent after
   * the call began, or, given `since` (storage/coalesced.ts, moment()), after that moment.
   */
  readonly async?:
    | {
        latest(): Promise<number>;
        latestFor(lowerId: string): Promise<number>;
        settings(since?: number): Promise<number>;
      }
    | undefined;
}

/** A blob a row refers to, as `nugget migrate-data` copies and verifies it. */
export interface BlobReference {
  readonly key: string;
  /** The size the row records, when it records one (nupkg, snupkg, symbol files). */
  readonly size?: number | undefined;
  /** The base64 SHA-512 the row records (packageHash of a nupkg or snupkg). */
  readonly sha512?: string | undefined;
}

/** One table as the copy sees it. */
export interface TableComparison {
  readonly table: string;
  readonly source: number;
  readonly destination: number;
  /** Every row equal, column by column (order-independent); derived tables compare by count only. */
  readonly identical: boolean;
}

/**
 * Copies a feed's metadata from one database to another with every row kept as it is (published times, download
 * counts, catalog commit ids and timestamps): not the publish path, which would stamp new ones. Idempotent: rows
 * already in the destination (by primary key) are skipped, so an interrupted copy resumes where it stopped.
 */
export interface FeedCopier {
  /** The tables copied, in an order where nothing refers to a later one. */
  readonly tables: readonly string[];
  countRows(table: string): Promise<number>;
  copyTable(table: string, progress: (rows: number) => void): Promise<{ copied: number; skipped: number }>;
  /** Rebuilds the destination's search documents with its own dialect's indexer; returns the number of ids. */
  rebuildSearch(progress: (ids: number) => void): Promise<number>;
  /** Every copied table, and the derived search documents (by count). */
  compare(): Promise<TableComparison[]>;
  countBlobReferences(): Promise<number>;
  /** Every blob the source's rows refer to. */
  blobReferences(): AsyncIterable<BlobReference>;
  close(): Promise<void>;
}

/** The stores of one feed: every call reads and writes only that feed's rows. */
export interface FeedStores {
  readonly packages: PackageStore;
  readonly search: SearchIndex;
  readonly catalog: CatalogStore;
  readonly advisories: AdvisoryStore;
  readonly symbols: SymbolStore;
  /** The latest change of the feed or of one id in it: what validates every cached read of the feed. */
  readonly stamps: ChangeStamps;
  /**
   * What text search and autocomplete answers are checked against, where their order depends on more than the
   * feed's own changes (SQLite's bm25 weighs words over every feed's documents); undefined: `stamps`.
   */
  readonly searchStamps?: ChangeStamps | undefined;
  readonly replicationCursors: ReplicationCursorStore;
}

/** The feeds of the server (docs/feeds.md); shared by every node on one database. */
export interface FeedStore {
  /** Every feed, by name. */
  list(): Promise<FeedRecord[]>;
  /** The feed's stamp (FeedsTable.stamp), or undefined when there is no such feed: one primary-key lookup. */
  stampOf(name: string): Promise<number | undefined>;
  find(name: string): Promise<FeedRecord | undefined>;
  create(feed: FeedRecord): Promise<'created' | 'duplicate'>;
  /** Changes the description and the overrides given (undefined in `overrides` follows the server default). */
  update(
    name: string,
    change: {
      description?: string | undefined;
      overrides?: FeedOverrides | undefined;
      /** The new kind record from the current one, in the same transaction. */
      kind?: ((current: KindRecord | undefined) => KindRecord) | undefined;
    },
  ): Promise<FeedRecord | undefined>;
  /** How many versions the feed holds. */
  countVersions(name: string): Promise<number>;
  /**
   * Removes the feed and every row that belongs to it (versions, catalog, symbols, advisories, cursors) in one
   * transaction; its audit entries stay. Returns the blob prefixes its rows referred to, or undefined when there
   * was no such feed.
   */
  remove(name: string): Promise<{ versions: number; blobPrefixes: string[] } | undefined>;
}

export interface Clock {
  now(): Date;
}

/** What an upstream feed learnt from its upstream, by key (JSON text), kept past its TTL for offline answers. */
export interface UpstreamDocumentStore {
  get(key: string): Promise<{ body: string; fetchedAt: number } | undefined>;
  /**
   * Stores the body; its change time moves only when the body differs from the one stored. With `stamps: false`
   * (the upstream's status) it never moves: no answer is built from it.
   */
  put(key: string, body: string, fetchedAt: number, options?: { stamps?: boolean }): Promise<void>;
  /** The latest change time of any document of the feed (0: none): part of the change stamps of what shows them. */
  latestChange(): Promise<number>;
  /** The change time of one document (0: none). */
  changedAt(key: string): Promise<number>;
  /** The same two, synchronously, where the database allows it (embedded SQLite): the raw-HTTP fast path. */
  readonly sync?: { latestChange(): number; changedAt(key: string): number } | undefined;
}

/** A feed's webhook subscription (docs/webhooks.md): never shown with its secret, except once when added. */
export interface WebhookSubscription {
  readonly id: string;
  readonly feed: string;
  readonly url: string;
  /** Event types (webhook-event.ts), or ['*'] for every one. */
  readonly events: readonly string[];
  readonly active: boolean;
  readonly description: string;
  readonly created: string;
  readonly createdBy: string;
  /** Consecutive rounds in which every attempt failed (0: the receiver is fine). */
  readonly failures: number;
  /** While the receiver fails, nothing is sent to it before this time (then one delivery, as a probe). */
  readonly pausedUntil?: string | undefined;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dropped';

/** One event sent (or to be sent) to one subscription: a row of the delivery log. */
export interface WebhookDelivery {
  readonly id: string;
  readonly subscriptionId: string;
  readonly feed: string;
  readonly event: string;
  readonly packageId?: string | undefined;
  readonly packageVersion?: string | undefined;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  readonly created: string;
  readonly nextAttempt?: string | undefined;
  readonly lastAttempt?: string | undefined;
  readonly lastError?: string | undefined;
  readonly responseCode?: number | undefined;
  readonly completed?: string | undefined;
}

/** A delivery claimed by one worker until `leaseUntil`: what it needs to send it. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly subscriptionId: string;
  readonly event: string;
  readonly url: string;
  readonly secret: string;
  readonly body: string;
  /** Attempts made before this one. */
  readonly attempts: number;
  /** Retries end at this time plus the retry period. */
  readonly retryFrom: string;
  /** The subscription's consecutive failed rounds: above 0, one delivery is sent as a probe, the rest wait. */
  readonly subscriptionFailures: number;
}

/** What to record of one claimed delivery: an attempt's outcome, or 'released' (not attempted this round). */
export interface AttemptRecord {
  readonly id: string;
  readonly outcome: DeliveryOutcome | { readonly kind: 'released' };
}

/** A subscription's health after a round: its failed rounds, and until when nothing is sent to it. */
export interface SubscriptionHealth {
  readonly id: string;
  readonly failures: number;
  readonly pausedUntil?: Date | undefined;
}

/** What became of one attempt. */
export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly responseCode: number }
  | {
      readonly kind: 'retry';
      readonly nextAttempt: Date;
      readonly error: string;
      readonly responseCode?: number | undefined;
    }
  | { readonly kind: 'failed'; readonly error: string; readonly responseCode?: number | undefined };

export interface WebhookQueueStats {
  readonly pending: number;
  /** Seconds since the oldest pending delivery was made (0 when none is pending). */
  readonly oldestPendingSeconds: number;
  readonly byStatus: Readonly<Record<WebhookDeliveryStatus, number>>;
}

/** The subscriptions and the delivery log, for admins (manage-webhooks.ts) and the delivery worker. */
export interface WebhookStore {
  addSubscription(subscription: WebhookSubscription & { readonly secret: string }): Promise<void>;
  findSubscription(id: string): Promise<WebhookSubscription | undefined>;
  /** Every subscription, or one feed's, oldest first. */
  listSubscriptions(feed?: string): Promise<WebhookSubscription[]>;
  updateSubscription(
    id: string,
    change: { url?: string; events?: readonly string[]; active?: boolean; description?: string },
  ): Promise<WebhookSubscription | undefined>;
  /** Removes the subscription and its delivery log. */
  removeSubscription(id: string): Promise<WebhookSubscription | undefined>;
  /** The subscription's deliveries, newest first. */
  listDeliveries(
    subscriptionId: string,
    query: { status?: WebhookDeliveryStatus | undefined; limit: number },
  ): Promise<WebhookDelivery[]>;
  /**
   * Makes deliveries of the subscription pending again, due now, with a new retry period from now: the ones
   * named, or every one with one of `statuses`. Returns how many.
   */
  redeliver(
    subscriptionId: string,
    which: { ids: readonly string[] } | { statuses: readonly WebhookDeliveryStatus[] },
    now: Date,
  ): Promise<number>;
  /** Records a test ping for the subscription as a delivery claimed by `owner`; undefined when it is gone. */
  claimPing(
    subscriptionId: string,
    body: (deliveryId: string) => string,
    owner: string,
    now: Date,
  ): Promise<ClaimedDelivery | undefined>;
  /** As WebhookQueue.complete. */
  complete(
    owner: string,
    at: Date,
    attempts: readonly AttemptRecord[],
    health: readonly SubscriptionHealth[],
  ): Promise<void>;
}

/** The outbox as the delivery worker sees it; safe with several workers on several nodes. */
export interface WebhookQueue {
  /**
   * When the next pending delivery of an active subscription is due (not before its subscription's pause ends),
   * or undefined when none is pending.
   */
  nextDue(): Promise<Date | undefined>;
  /** Claims up to `limit` due deliveries for `owner` until `leaseUntil`; no two owners get one delivery. */
  claim(owner: string, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]>;
  /**
   * Records a round in one transaction: each delivery's outcome (only where `owner` still holds it), and the
   * health of the subscriptions attempted.
   */
  complete(
    owner: string,
    at: Date,
    attempts: readonly AttemptRecord[],
    health: readonly SubscriptionHealth[],
  ): Promise<void>;
  /** Removes delivered deliveries completed before `before`; returns how many. */
  prune(before: Date): Promise<number>;
  stats(now: Date): Promise<WebhookQueueStats>;
}

/** Sends one HTTP request to a webhook URL. */
export interface WebhookSender {
  send(request: {
    readonly url: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
  }): Promise<{ readonly ok: true; readonly status: number } | WebhookSendFailure>;
}

export interface WebhookSendFailure {
  readonly ok: false;
  /** What went wrong, for the delivery log (a refused address, a timeout, a 500 and the start of its body). */
  readonly error: string;
  readonly status?: number | undefined;
  /** A refusal by the destination policy: retrying cannot help until the configuration changes. */
  readonly refused?: boolean | undefined;
}

/**
 * Leases on first downloads of an upstream feed's packages (docs/upstreams.md, "Single flight"): shared by every
 * worker process and node on one database, so that concurrent first downloads of one package anywhere make one
 * upstream request. Times are ms since the epoch.
 */
export interface FetchLeaseStore {
  /**
   * Takes the lease on one package for `owner` until `expires`: true when there was none or the one there had
   * expired by `now` (its owner died); false while another owner holds it.
   */
  take(lowerId: string, lowerVersion: string, owner: string, now: number, expires: number): Promise<boolean>;
  /** Whether someone holds the lease on the package: 'expired' when its owner let it run out. */
  state(lowerId: string, lowerVersion: string, now: number): Promise<'held' | 'expired' | 'none'>;
  /** Gives the lease back (only `owner`'s). */
  release(lowerId: string, lowerVersion: string, owner: string): Promise<void>;
}
