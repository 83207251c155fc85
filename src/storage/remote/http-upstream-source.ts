// UpstreamSource over HTTP(S) (docs/upstreams.md): reads the upstream's service index, then its registrations
// (the gzip SemVer 2 hive when it has one, pages stored outside the index followed), search, autocomplete and
// flat container. Transport is HttpRemoteFeed (undici, credentials only to the upstream's own origins, redirects
// followed without them); here: one transport per kind of request, each with its own deadline over the whole
// request (metadataTimeout, packageTimeout), no retries (the client retries, and a dead upstream must fail fast),
// bounded answers, and a circuit breaker. It never builds a URL a client sees: answers become domain values
// (packages/upstream-entry.ts).
// Spec: ../shared/spec/nuget-api/service-index.md, registration-base-url-resource.md,
// package-base-address-resource.md, search-query-service-resource.md, search-autocomplete-service-resource.md
import { isServerFault } from '../../errors.ts';
import { CircuitBreaker, type BreakerState } from '../../packages/circuit-breaker.ts';
import type { UpstreamSettings } from '../../packages/feed.ts';
import type { SearchQuery } from '../../packages/ports.ts';
import type { DownloadedPackage } from '../../packages/remote-feed.ts';
import { upstreamEntryOf, upstreamSearchEntriesOf } from '../../packages/upstream-entry.ts';
import {
  type UpstreamEntry,
  type UpstreamSearchHit,
  type UpstreamSource,
  UpstreamUnavailable,
} from '../../packages/upstream-source.ts';
import { HttpRemoteFeed } from './http-remote-feed.ts';

export interface UpstreamCall {
  readonly kind: 'metadata' | 'package';
  readonly ms: number;
  readonly ok: boolean;
}

export interface HttpUpstreamSourceOptions {
  readonly settings: UpstreamSettings;
  /** Request headers with the upstream's credentials (Authorization or an API key header). */
  readonly headers?: Record<string, string> | undefined;
  readonly tempDir: string;
  readonly maxPackageBytes: number;
  /** Told of every request that went to the upstream (metrics). */
  readonly onCall?: ((call: UpstreamCall) => void) | undefined;
  readonly now?: () => number;
}

interface Resources {
  readonly registrations?: string | undefined;
  readonly packageBase?: string | undefined;
  readonly search?: string | undefined;
  readonly autocomplete?: string | undefined;
  readonly vulnerabilityInfo?: string | undefined;
  /** Every origin the index names: URLs into them are the upstream's own (never shown to clients). */
  readonly origins: ReadonlySet<string>;
  readonly fetchedAt: number;
}

// Bounds on what a hostile or broken upstream can make nugget hold or do.
const maxDocumentBytes = 32 * 1024 * 1024;
const maxRegistrationPages = 400;
const maxVersions = 20_000;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first resource of the index whose @type is one of `types`, in the order given (preferred first). */
function resource(index: Record<string, unknown>, types: readonly string[]): string | undefined {
  const resources = Array.isArray(index['resources']) ? index['resources'].filter(isObject) : [];
  for (const type of types) {
    for (const r of resources) {
      const t = r['@type'];
      const id = r['@id'];
      if ((t === type || (Array.isArray(t) && t.includes(type))) && typeof id === 'string') {
        try {
          const url = new URL(id);
          if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
        } catch {
          // a malformed @id is no resource
        }
      }
    }
  }
  return undefined;
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

export class HttpUpstreamSource implements UpstreamSource {
  readonly #options: HttpUpstreamSourceOptions;
  readonly #metadata: HttpRemoteFeed;
  readonly #packages: HttpRemoteFeed;
  readonly #breaker: CircuitBreaker;
  #resources: Promise<Resources> | undefined;

  constructor(options: HttpUpstreamSourceOptions) {
    this.#options = options;
    const { settings } = options;
    const common = {
      tempDir: options.tempDir,
      headers: options.headers,
      retry: { attempts: 1 },
      userAgent: 'nugget-upstream',
    };
    this.#metadata = new HttpRemoteFeed({
      ...common,
      timeoutMs: settings.metadataTimeout,
      deadlineMs: settings.metadataTimeout,
      maxDocumentBytes,
    });
    this.#packages = new HttpRemoteFeed({
      ...common,
      timeoutMs: settings.packageTimeout,
      deadlineMs: settings.packageTimeout,
      maxPackageBytes: options.maxPackageBytes,
    });
    this.#breaker = new CircuitBreaker({
      failures: settings.breakerFailures,
      cooldownMs: settings.breakerCooldown,
      now: options.now ?? Date.now,
    });
  }

  get breaker(): BreakerState {
    return this.#breaker.state;
  }

  async close(): Promise<void> {
    await Promise.all([this.#metadata.close(), this.#packages.close()]);
  }

  /** One request through the breaker; every failure is UpstreamUnavailable with one line saying why. */
  async #call<T>(kind: UpstreamCall['kind'], run: () => Promise<T>): Promise<T> {
    if (!this.#breaker.tryAcquire()) {
      throw new UpstreamUnavailable(
        `the upstream ${this.#options.settings.source} failed ${this.#options.settings.breakerFailures} times in a row: not asked again until its breaker cools down`,
        { breakerOpen: true },
      );
    }
    const started = performance.now();
    try {
      const result = await run();
      this.#breaker.success();
      this.#options.onCall?.({ kind, ms: performance.now() - started, ok: true });
      return result;
    } catch (error) {
      if (isServerFault(error)) {
        // This server's own fault (its disk full while the package was copied): the upstream did answer.
        this.#breaker.success();
        this.#options.onCall?.({ kind, ms: performance.now() - started, ok: true });
        throw error;
      }
      this.#breaker.failure();
      this.#options.onCall?.({ kind, ms: performance.now() - started, ok: false });
      if (error instanceof UpstreamUnavailable) throw error;
      throw new UpstreamUnavailable(error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  async #getJson(url: string): Promise<unknown> {
    return this.#call('metadata', () => this.#metadata.getJson(url));
  }

  /** The service index, read again after the metadata TTL (or after it failed). */
  async #resourcesNow(): Promise<Resources> {
    const ttl = Math.max(this.#options.settings.metadataTtl, 60_000);
    const now = (this.#options.now ?? Date.now)();
    const current = this.#resources;
    if (current) {
      const known = await current.catch(() => undefined);
      if (known && now - known.fetchedAt < ttl) return known;
      if (this.#resources !== current) return this.#resourcesNow();
    }
    const loading = this.#loadResources(now);
    this.#resources = loading;
    loading.catch(() => {
      if (this.#resources === loading) this.#resources = undefined;
    });
    return loading;
  }

  async #loadResources(now: number): Promise<Resources> {
    const source = this.#options.settings.source;
    this.#metadata.trust(source);
    this.#packages.trust(source);
    const index = await this.#getJson(source);
    if (!isObject(index) || !Array.isArray(index['resources'])) {
      throw new UpstreamUnavailable(`${source} is not a NuGet V3 service index (no resources).`);
    }
    const found = {
      registrations: resource(index, [
        'RegistrationsBaseUrl/3.6.0',
        'RegistrationsBaseUrl/3.4.0',
        'RegistrationsBaseUrl/Versioned',
        'RegistrationsBaseUrl/3.0.0-rc',
        'RegistrationsBaseUrl/3.0.0-beta',
        'RegistrationsBaseUrl',
      ]),
      packageBase: resource(index, ['PackageBaseAddress/3.0.0']),
      search: resource(index, [
        'SearchQueryService/3.5.0',
        'SearchQueryService/3.0.0-rc',
        'SearchQueryService/3.0.0-beta',
        'SearchQueryService',
      ]),
      autocomplete: resource(index, [
        'SearchAutocompleteService/3.5.0',
        'SearchAutocompleteService/3.0.0-rc',
        'SearchAutocompleteService/3.0.0-beta',
        'SearchAutocompleteService',
      ]),
      vulnerabilityInfo: resource(index, ['VulnerabilityInfo/6.7.0']),
    };
    const origins = new Set<string>([new URL(source).origin]);
    for (const url of Object.values(found)) {
      if (url === undefined) continue;
      origins.add(new URL(url).origin);
      // The credentials may go to the resources the upstream's own index names, and nowhere else.
      this.#metadata.trust(url);
      this.#packages.trust(url);
    }
    const resources = Array.isArray(index['resources']) ? index['resources'].filter(isObject) : [];
    for (const r of resources.slice(0, 200)) {
      try {
        if (typeof r['@id'] === 'string') origins.add(new URL(r['@id']).origin);
      } catch {
        // not a URL: nothing to keep out of documents
      }
    }
    return { ...found, origins, fetchedAt: now };
  }

  async vulnerabilityInfoUrl(): Promise<string | undefined> {
    return (await this.#resourcesNow()).vulnerabilityInfo;
  }

  async registration(lowerId: string): Promise<UpstreamEntry[] | undefined> {
    const resources = await this.#resourcesNow();
    if (!resources.registrations) {
      throw new UpstreamUnavailable(`${this.#options.settings.source} lists no RegistrationsBaseUrl.`);
    }
    const index = await this.#getJson(
      `${withSlash(resources.registrations)}${encodeURIComponent(lowerId)}/index.json`,
    );
    if (index === undefined) return undefined;
    if (!isObject(index) || !Array.isArray(index['items'])) {
      throw new UpstreamUnavailable(
        `The upstream's registration of '${lowerId}' is not a registration index.`,
      );
    }
    const entries: UpstreamEntry[] = [];
    const pages = index['items'].filter(isObject).slice(0, maxRegistrationPages);
    for (const page of pages) {
      let items = page['items'];
      // Ids with many versions keep their pages outside the index (spec, "Registration page").
      if (!Array.isArray(items) && typeof page['@id'] === 'string') {
        const fetched = await this.#getJson(page['@id']);
        items = isObject(fetched) ? fetched['items'] : undefined;
      }
      for (const leaf of Array.isArray(items) ? items.filter(isObject) : []) {
        const entry = upstreamEntryOf(leaf['catalogEntry'], lowerId, resources.origins);
        if (entry) entries.push(entry);
        if (entries.length >= maxVersions) return entries;
      }
    }
    return entries;
  }

  #query(base: string, query: SearchQuery): string {
    const url = new URL(base);
    url.searchParams.set('q', query.q);
    url.searchParams.set('skip', String(query.skip));
    url.searchParams.set('take', String(query.take));
    url.searchParams.set('prerelease', String(query.prerelease));
    if (query.semVer2) url.searchParams.set('semVerLevel', '2.0.0');
    if (query.packageType) url.searchParams.set('packageType', query.packageType);
    return url.href;
  }

  async search(query: SearchQuery): Promise<{ totalHits: number; hits: UpstreamSearchHit[] }> {
    const resources = await this.#resourcesNow();
    if (!resources.search) return { totalHits: 0, hits: [] };
    const answer = await this.#getJson(this.#query(resources.search, query));
    if (!isObject(answer) || !Array.isArray(answer['data'])) {
      throw new UpstreamUnavailable(`The upstream's search answered something that is not a search result.`);
    }
    const hits = answer['data']
      .slice(0, query.take)
      .flatMap((result) => upstreamSearchEntriesOf(result, resources.origins) ?? []);
    const totalHits = Number(answer['totalHits']);
    return { totalHits: Number.isSafeInteger(totalHits) && totalHits >= 0 ? totalHits : hits.length, hits };
  }

  async autocomplete(query: SearchQuery): Promise<{ totalHits: number; ids: string[] }> {
    const resources = await this.#resourcesNow();
    if (!resources.autocomplete) return { totalHits: 0, ids: [] };
    const answer = await this.#getJson(this.#query(resources.autocomplete, query));
    if (!isObject(answer) || !Array.isArray(answer['data'])) {
      throw new UpstreamUnavailable(
        `The upstream's autocomplete answered something that is not a list of ids.`,
      );
    }
    const ids = answer['data']
      .slice(0, query.take)
      .filter((id): id is string => typeof id === 'string' && /^[A-Za-z0-9._-]{1,100}$/.test(id));
    const totalHits = Number(answer['totalHits']);
    return { totalHits: Number.isSafeInteger(totalHits) && totalHits >= 0 ? totalHits : ids.length, ids };
  }

  async download(lowerId: string, lowerVersion: string): Promise<DownloadedPackage | undefined> {
    const resources = await this.#resourcesNow();
    if (!resources.packageBase) {
      throw new UpstreamUnavailable(`${this.#options.settings.source} lists no PackageBaseAddress.`);
    }
    const id = encodeURIComponent(lowerId);
    const version = encodeURIComponent(lowerVersion);
    const url = `${withSlash(resources.packageBase)}${id}/${version}/${id}.${version}.nupkg`;
    return this.#call('package', () => this.#packages.download(url));
  }
}
