// What an upstream feed knows and does (docs/upstreams.md): its upstream's metadata, kept in the database for the
// metadata TTL and after it for offline answers; the packages fetched on first download, checked and stored as
// immutable versions of the feed (with their provenance and an audit entry); the rules of failure: an upstream that
// is down, slow or whose breaker is open costs nothing (answers come from what was kept, marked stale), a package
// never cached is simply not there (a 404 at once, never a 5xx), and a version is listed only when it can then be
// downloaded (offline, only cached versions are listed).
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { matchesAnyIdPattern } from '../auth/id-pattern.ts';
import type { AuditLog } from '../auth/ports.ts';
import { isNuggetError } from '../errors.ts';
import type { PackageProvenance, PackageVersion } from '../protocol/package-version.ts';
import type { Feed, UpstreamSettings } from './feed.ts';
import type {
  BlobStore,
  Clock,
  FeedStores,
  FetchLeaseStore,
  SearchHit,
  SearchQuery,
  UpstreamDocumentStore,
} from './ports.ts';
import { publishPackage } from './publish-package.ts';
import { markStale } from './stale-marks.ts';
import { type UpstreamEntry, type UpstreamSource, UpstreamUnavailable } from './upstream-source.ts';

export type UpstreamOutcome = 'hit' | 'miss' | 'stale' | 'error';

export interface UpstreamMemberDeps {
  /** The upstream feed. */
  readonly feed: Pick<Feed, 'name' | 'settings'>;
  readonly settings: UpstreamSettings;
  readonly source: UpstreamSource;
  readonly documents: UpstreamDocumentStore;
  /** Who is fetching which package, across every process and node on the database. */
  readonly leases: FetchLeaseStore;
  /** The upstream feed's own stores: the packages it cached. */
  readonly stores: FeedStores;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly audit: AuditLog;
  /** The public base URL the package.ingested webhook payloads name; undefined: no URLs (docs/webhooks.md). */
  readonly publicUrl?: string | undefined;
  /** Told of every answer (metrics). */
  readonly onOutcome?: ((kind: 'metadata' | 'package', outcome: UpstreamOutcome) => void) | undefined;
  /** Told of every failure of the upstream (logs, status). */
  readonly onError?: ((message: string) => void) | undefined;
}

/** What `nugget upstream status` and GET /admin/upstreams show of one upstream feed. */
export interface UpstreamReport extends UpstreamStatus {
  /** Package versions the feed has cached. */
  readonly cachedPackages: number;
}

export interface UpstreamStatus {
  readonly feed: string;
  readonly source: string;
  readonly breaker: UpstreamSource['breaker'];
  readonly lastSuccess?: string | undefined;
  readonly lastError?: { readonly at: string; readonly message: string } | undefined;
  readonly staleAnswers: number;
}

const registrationKey = (lowerId: string) => `registration/${lowerId}`;
/** The document that keeps an upstream's status (not part of any change stamp: see upstream-documents). */
export const upstreamStatusKey = 'status/last';
const statusSaveMs = 5000;
const provenanceKey = (lowerId: string, lowerVersion: string) => `provenance/${lowerId}/${lowerVersion}`;
/** This process, as the owner of the fetch leases it takes. */
const leaseOwner = `${hostname()}/${process.pid}/${randomUUID()}`;
/** How often a process that waits for another's fetch looks at the store: from the first to the last, doubling. */
const waitFirstMs = 20;
const waitLastMs = 500;

export class UpstreamMember {
  readonly #deps: UpstreamMemberDeps;
  /** Downloads under way, so that concurrent first requests for one package make one upstream request. */
  readonly #fetching = new Map<string, Promise<PackageVersion | undefined>>();
  /** Metadata requests under way, by document key: a restore asks for one id from many requests at once. */
  readonly #asking = new Map<string, Promise<unknown>>();
  #lastSuccess: string | undefined;
  #saved: { breaker: string; at: number } | undefined;
  #lastError: { at: string; message: string } | undefined;
  #staleAnswers = 0;

  constructor(deps: UpstreamMemberDeps) {
    this.#deps = deps;
  }

  get name(): string {
    return this.#deps.feed.name;
  }

  get source(): UpstreamSource {
    return this.#deps.source;
  }

  get stores(): FeedStores {
    return this.#deps.stores;
  }

  get settings(): UpstreamSettings {
    return this.#deps.settings;
  }

  status(): UpstreamStatus {
    return {
      feed: this.name,
      source: this.#deps.settings.source,
      breaker: this.#deps.source.breaker,
      lastSuccess: this.#lastSuccess,
      lastError: this.#lastError,
      staleAnswers: this.#staleAnswers,
    };
  }

  /** The latest change of anything learnt from the upstream (part of the change stamps of what shows it). */
  latestChange(): Promise<number> {
    return this.#deps.documents.latestChange();
  }

  changedAt(key: string): Promise<number> {
    return this.#deps.documents.changedAt(key);
  }

  /** The two above, synchronously, where the database allows it. */
  get syncDocuments(): UpstreamDocumentStore['sync'] {
    return this.#deps.documents.sync;
  }

  /** Whether the upstream may be asked for this id at all (allow and deny patterns; deny wins). */
  allows(id: string): boolean {
    const { allow, deny } = this.#deps.settings;
    return !matchesAnyIdPattern(deny, id) && matchesAnyIdPattern(allow, id);
  }

  #now(): number {
    return this.#deps.clock.now().getTime();
  }

  #succeeded(kind: 'metadata' | 'package', outcome: UpstreamOutcome): void {
    this.#lastSuccess = this.#deps.clock.now().toISOString();
    this.#deps.onOutcome?.(kind, outcome);
    this.#saveStatus();
  }

  #failed(kind: 'metadata' | 'package', error: unknown): void {
    // A request the open breaker kept back is no news about the upstream: the failure that opened it stays.
    if (error instanceof UpstreamUnavailable && error.breakerOpen) return;
    const message = error instanceof Error ? error.message : String(error);
    this.#lastError = { at: this.#deps.clock.now().toISOString(), message };
    this.#deps.onOutcome?.(kind, 'error');
    this.#deps.onError?.(message);
    this.#saveStatus();
  }

  /**
   * Keeps the status in the database for `nugget upstream status` (another process) and the other nodes: at
   * once when the breaker changes, else at most every few seconds.
   */
  #saveStatus(): void {
    const status = this.status();
    const now = this.#now();
    if (this.#saved && this.#saved.breaker === status.breaker && now - this.#saved.at < statusSaveMs) return;
    this.#saved = { breaker: status.breaker, at: now };
    this.#deps.documents
      .put(upstreamStatusKey, JSON.stringify(status), now, { stamps: false })
      .catch((error: unknown) => {
        this.#deps.onError?.(`could not keep the upstream's status: ${String(error)}`);
      });
  }

  #stale(): void {
    this.#staleAnswers += 1;
    this.#deps.onOutcome?.('metadata', 'stale');
    markStale(this.name, { retrySoon: this.#deps.source.breaker === 'closed' });
  }

  /** The versions this upstream offers of an id, and whether the answer is from what was kept (stale). */
  async versions(lowerId: string): Promise<{ entries: UpstreamEntry[]; stale: boolean }> {
    const cached = await this.#deps.stores.packages.findVersions(lowerId);
    if (!this.allows(lowerId)) return { entries: [], stale: false };
    const key = registrationKey(lowerId);
    const kept = await this.#deps.documents.get(key);
    const fresh = kept !== undefined && this.#now() - kept.fetchedAt < this.#deps.settings.metadataTtl;
    if (fresh && this.#deps.source.breaker === 'closed') {
      this.#deps.onOutcome?.('metadata', 'hit');
      return { entries: await this.#withCached(lowerId, parseEntries(kept.body), cached), stale: false };
    }
    try {
      const entries = await this.#once(key, async () => {
        const answer = await this.#deps.source.registration(lowerId);
        // "No such id" is kept too: a restore asks every source for every id; the upstream need not hear it twice.
        await this.#deps.documents.put(key, JSON.stringify(answer ?? []), this.#now());
        this.#succeeded('metadata', 'miss');
        return answer ?? [];
      });
      return { entries: await this.#withCached(lowerId, entries, cached), stale: false };
    } catch (error) {
      if (!(error instanceof UpstreamUnavailable)) throw error;
      this.#failed('metadata', error);
    }
    // Offline: only what can be downloaded now, which is what was cached.
    this.#stale();
    const known = kept ? parseEntries(kept.body) : [];
    const byVersion = new Map(known.map((e) => [e.version.lowerVersion, e]));
    const offline = cached.map(
      (row) => byVersion.get(row.lowerVersion) ?? { version: row, vulnerabilities: [] },
    );
    return { entries: await this.#withCached(lowerId, offline, cached), stale: true };
  }

  /** One request per key at a time: callers that come while it runs share its answer (or its failure). */
  async #once<T>(key: string, ask: () => Promise<T>): Promise<T> {
    let asking = this.#asking.get(key) as Promise<T> | undefined;
    if (!asking) {
      asking = ask().finally(() => this.#asking.delete(key));
      this.#asking.set(key, asking);
    }
    return asking;
  }

  /** The entries with what the cached ones are stored as (their blob, files and provenance). */
  async #withCached(
    lowerId: string,
    entries: readonly UpstreamEntry[],
    cached: readonly PackageVersion[],
  ): Promise<UpstreamEntry[]> {
    if (cached.length === 0) return [...entries];
    const rows = new Map(cached.map((row) => [row.lowerVersion, row]));
    return Promise.all(
      entries.map(async (entry) => {
        const row = rows.get(entry.version.lowerVersion);
        if (!row) return entry;
        return {
          ...entry,
          version: {
            ...entry.version,
            blobPrefix: row.blobPrefix,
            packageSize: row.packageSize,
            packageHash: row.packageHash,
            embeddedFiles: row.embeddedFiles,
            provenance: await this.#provenance(lowerId, row.lowerVersion),
          },
        };
      }),
    );
  }

  async #provenance(lowerId: string, lowerVersion: string): Promise<PackageProvenance | undefined> {
    const kept = await this.#deps.documents.get(provenanceKey(lowerId, lowerVersion));
    return kept ? (JSON.parse(kept.body) as PackageProvenance) : undefined;
  }

  /** The entries kept for an id, without asking the upstream (for advisories of search results). */
  async keptEntries(lowerId: string): Promise<UpstreamEntry[]> {
    const kept = await this.#deps.documents.get(registrationKey(lowerId));
    return kept ? parseEntries(kept.body) : [];
  }

  /** Search: the upstream's answer, kept for the TTL; offline, the cached packages' own search. */
  async search(query: SearchQuery): Promise<{ totalHits: number; hits: SearchHit[] }> {
    const key = `search/${JSON.stringify([query.q, query.skip, query.take, query.prerelease, query.semVer2, query.packageType ?? ''])}`;
    const answer = await this.#metadata(key, async () => {
      const { totalHits, hits } = await this.#deps.source.search(query);
      return {
        totalHits,
        hits: hits.map((hit) => ({ lowerId: hit.lowerId, versions: hit.entries.map((e) => e.version) })),
      };
    });
    if (answer) return { ...answer, hits: answer.hits.filter((hit) => this.allows(hit.lowerId)) };
    return this.#deps.stores.search.search(query);
  }

  async autocomplete(query: SearchQuery): Promise<{ totalHits: number; ids: string[] }> {
    const key = `autocomplete/${JSON.stringify([query.q, query.skip, query.take, query.prerelease, query.semVer2, query.packageType ?? ''])}`;
    const answer = await this.#metadata(key, () => this.#deps.source.autocomplete(query));
    if (answer) return { ...answer, ids: answer.ids.filter((id) => this.allows(id)) };
    return this.#deps.stores.search.autocompleteIds(query);
  }

  /** A metadata answer kept for the TTL; undefined when the upstream cannot answer now (then: stale). */
  async #metadata<T>(key: string, ask: () => Promise<T>): Promise<T | undefined> {
    const kept = await this.#deps.documents.get(key);
    if (
      kept &&
      this.#now() - kept.fetchedAt < this.#deps.settings.metadataTtl &&
      this.#deps.source.breaker === 'closed'
    ) {
      this.#deps.onOutcome?.('metadata', 'hit');
      return JSON.parse(kept.body) as T;
    }
    try {
      return await this.#once(key, async () => {
        const answer = await ask();
        await this.#deps.documents.put(key, JSON.stringify(answer), this.#now());
        this.#succeeded('metadata', 'miss');
        return answer;
      });
    } catch (error) {
      if (!(error instanceof UpstreamUnavailable)) throw error;
      this.#failed('metadata', error);
      this.#stale();
      return undefined;
    }
  }

  /**
   * The stored version, fetching and storing it first when this is its first download; undefined when the
   * upstream cannot give it now or what it gave is not that package.
   */
  async ensure(lowerId: string, lowerVersion: string): Promise<PackageVersion | undefined> {
    const stored = await this.#deps.stores.packages.findVersion(lowerId, lowerVersion);
    if (stored) {
      this.#deps.onOutcome?.('package', 'hit');
      return stored;
    }
    if (!this.allows(lowerId)) return undefined;
    const key = `${lowerId}/${lowerVersion}`;
    let fetching = this.#fetching.get(key);
    if (!fetching) {
      fetching = this.#fetch(lowerId, lowerVersion).finally(() => this.#fetching.delete(key));
      this.#fetching.set(key, fetching);
    }
    return fetching;
  }

  /**
   * Single flight across processes and nodes: the process that takes the package's lease fetches it; the others
   * wait (within the package timeout) until it is stored, or until the lease is given back without it (the
   * upstream failed: a 404 at once, as for the one that fetched), or until it expires (its owner died: then one of
   * them takes it over).
   */
  async #fetch(lowerId: string, lowerVersion: string): Promise<PackageVersion | undefined> {
    const { leases, stores } = this.#deps;
    const deadline = performance.now() + this.#deps.settings.packageTimeout;
    let wait = waitFirstMs;
    for (;;) {
      const now = this.#now();
      // Held past the package timeout only by a process that died or hangs: then another may take it over.
      const expires = now + 2 * this.#deps.settings.packageTimeout;
      if (await leases.take(lowerId, lowerVersion, leaseOwner, now, expires)) {
        try {
          // Another process may have stored it and given the lease back since this one looked.
          return (
            (await stores.packages.findVersion(lowerId, lowerVersion)) ??
            (await this.#download(lowerId, lowerVersion))
          );
        } finally {
          await leases.release(lowerId, lowerVersion, leaseOwner);
        }
      }
      for (;;) {
        if (performance.now() >= deadline) return undefined;
        await sleep(wait);
        wait = Math.min(wait * 2, waitLastMs);
        const stored = await stores.packages.findVersion(lowerId, lowerVersion);
        if (stored) return stored;
        const state = await leases.state(lowerId, lowerVersion, this.#now());
        if (state === 'expired') break;
        // Given back: stored just now, or the upstream could not give it.
        if (state === 'none') return stores.packages.findVersion(lowerId, lowerVersion);
      }
    }
  }

  async #download(lowerId: string, lowerVersion: string): Promise<PackageVersion | undefined> {
    let download;
    try {
      download = await this.#deps.source.download(lowerId, lowerVersion);
    } catch (error) {
      if (!(error instanceof UpstreamUnavailable)) throw error;
      this.#failed('package', error);
      return undefined;
    }
    if (!download) return undefined;
    const entry = (await this.keptEntries(lowerId)).find((e) => e.version.lowerVersion === lowerVersion);
    const cachedAt = this.#deps.clock.now();
    try {
      const version = await publishPackage(
        {
          feed: this.#deps.feed,
          packages: this.#deps.stores.packages,
          blobs: this.#deps.blobs,
          // The cached version keeps the upstream's published date (cooldowns and offline answers read it).
          clock: {
            now: () =>
              entry && isRealDate(entry.version.published) ? new Date(entry.version.published) : cachedAt,
          },
          // Reported as package.ingested (docs/webhooks.md), in the insert's own transaction.
          origin: { actor: { kind: 'system', name: `upstream ${this.name}` }, baseUrl: this.#deps.publicUrl },
          reportAs: { type: 'package.ingested', detail: { upstream: this.name } },
          authorize: async (candidate) => {
            if (candidate.lowerId !== lowerId || candidate.lowerVersion !== lowerVersion) {
              throw new UpstreamUnavailable(
                `the upstream answered ${lowerId} ${lowerVersion} with a package of ${candidate.id} ${candidate.version}`,
              );
            }
          },
        },
        download,
      );
      if (entry && !entry.version.listed)
        await this.#deps.stores.packages.setListed(lowerId, lowerVersion, false);
      const provenance: PackageProvenance = {
        upstream: this.name,
        source: this.#deps.settings.source,
        cachedAt: cachedAt.toISOString(),
      };
      await this.#deps.documents.put(
        provenanceKey(lowerId, lowerVersion),
        JSON.stringify(provenance),
        cachedAt.getTime(),
      );
      await this.#deps.audit.append({
        feed: this.name,
        at: cachedAt.toISOString(),
        actor: 'upstream',
        action: 'ingest-upstream',
        packageId: version.id,
        version: version.version,
        source: this.#deps.settings.source,
        outcome: 'success',
        detail: { size: download.size, sha512: download.sha512 },
      });
      this.#succeeded('package', 'miss');
      return { ...version, provenance };
    } catch (error) {
      // Another node stored it first: theirs is the same package.
      if (isNuggetError(error) && error.code === 'package_exists') {
        return this.#deps.stores.packages.findVersion(lowerId, lowerVersion);
      }
      if (isNuggetError(error) && error.kind !== 'InvalidInput' && error.kind !== 'TooLarge') throw error;
      // Not a package, not whole, another id: the upstream's fault, which the client must not see as ours.
      this.#failed('package', error);
      return undefined;
    } finally {
      await rm(download.path, { force: true });
    }
  }
}

const isRealDate = (text: string) => !Number.isNaN(Date.parse(text)) && !text.startsWith('1900-');

function parseEntries(body: string): UpstreamEntry[] {
  const parsed = JSON.parse(body) as unknown;
  return Array.isArray(parsed) ? (parsed as UpstreamEntry[]) : [];
}
