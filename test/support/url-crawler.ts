// The URL crawler of the upstream tests (issue 13, "URLs"): starting at a feed's service index it visits every
// document the feed serves and every link in them: service index, search and autocomplete (every page, and the
// versions of every id), registration index, pages and leaves in every hive the index lists, flat container version
// lists, .nupkg, .nuspec, readme and icon, catalog index, pages and leaves, VulnerabilityInfo index and pages. It
// fails on any URL, anywhere in a JSON document or in a response header (a redirect's Location), that names an
// upstream's origin: the class of bug where a proxy leaks its upstream and a client then bypasses it (or fails
// when the upstream is unreachable). Every link on the feed's own origin must also answer 200, so a document
// never lists what cannot be fetched. Specs: ../../../shared/spec/nuget-api/ (service-index.md and each resource).
import assert from 'node:assert/strict';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- documents are walked generically.
type Json = any;

export interface CrawlResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface UrlCrawlOptions {
  readonly serviceIndexUrl: string;
  /** Origins (`http://host:port`) that must appear nowhere: the upstreams behind the feed. */
  readonly forbiddenOrigins: readonly string[];
  /** Origins whose links are followed (default: the service index's). Links elsewhere are only checked. */
  readonly followOrigins?: readonly string[];
  /** Ids to visit besides those search, autocomplete and the catalog name. */
  readonly ids?: readonly string[];
  /** A bound on the number of GETs (default 20,000): a crawl that needs more is itself a finding. */
  readonly maxRequests?: number;
  /** How to GET (default: fetch without following redirects, gzip decoded). */
  readonly get?: (url: string) => Promise<CrawlResponse>;
}

export interface UrlCrawlReport {
  /** Every URL fetched, with its status. */
  readonly visited: ReadonlyMap<string, number>;
  /** Every id seen. */
  readonly ids: ReadonlySet<string>;
  readonly problems: readonly string[];
}

async function fetchGet(url: string): Promise<CrawlResponse> {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(60_000) });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** Resource types whose @id is a base URL (or an endpoint that takes no GET), not a document. */
const baseTypes =
  /^(PackageBaseAddress|RegistrationsBaseUrl|PackagePublish|SymbolPackagePublish|LegacyGallery)/;
const templateTypes = /UriTemplate/;

const typesOf = (resource: Json): string[] =>
  (Array.isArray(resource['@type']) ? resource['@type'] : [resource['@type']]).map(String);

/** Every string in a JSON value, with its path (`items[0].catalogEntry.packageContent`). */
function* stringsOf(value: Json, at = ''): Generator<[string, string]> {
  if (typeof value === 'string') yield [at, value];
  else if (Array.isArray(value))
    for (const [i, item] of value.entries()) yield* stringsOf(item, `${at}[${i}]`);
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) yield* stringsOf(item, at ? `${at}.${key}` : key);
}

/** Crawls the feed; see {@link assertNoUpstreamUrls} to fail a test on any problem. */
export async function crawlFeedUrls(options: UrlCrawlOptions): Promise<UrlCrawlReport> {
  const get = options.get ?? fetchGet;
  const maxRequests = options.maxRequests ?? 20_000;
  const own = new Set(options.followOrigins ?? [new URL(options.serviceIndexUrl).origin]);
  const forbidden = options.forbiddenOrigins.map((origin) => new URL(origin));
  const visited = new Map<string, number>();
  const ids = new Set<string>((options.ids ?? []).map((id) => id.toLowerCase()));
  const problems: string[] = [];
  const documents = new Map<string, Json>();

  const leaks = (text: string): URL | undefined =>
    forbidden.find((origin) => text.toLowerCase().includes(origin.host.toLowerCase()));

  /** GETs a URL once; checks headers (and JSON bodies) for upstream origins; returns the parsed JSON, if any. */
  const visit = async (url: string, why: string): Promise<Json | undefined> => {
    if (visited.has(url)) return documents.get(url);
    if (visited.size >= maxRequests) {
      problems.push(`more than ${maxRequests} URLs to visit; stopped before ${url}`);
      visited.set(url, 0);
      return undefined;
    }
    let response: CrawlResponse;
    try {
      response = await get(url);
    } catch (error) {
      visited.set(url, 0);
      problems.push(`GET ${url} (${why}) failed: ${(error as Error).message}`);
      return undefined;
    }
    visited.set(url, response.status);
    for (const [name, value] of Object.entries(response.headers)) {
      const origin = leaks(value);
      if (origin) problems.push(`GET ${url}: header ${name} names the upstream ${origin.origin}: ${value}`);
    }
    if (response.status !== 200) {
      problems.push(`GET ${url} (${why}) -> ${response.status}`);
      return undefined;
    }
    const type = response.headers['content-type'] ?? '';
    if (!/json/i.test(type) && !/\.json(\?|$)/.test(new URL(url).pathname)) return undefined;
    let document: Json;
    try {
      document = JSON.parse(response.body.toString('utf8'));
    } catch {
      problems.push(`GET ${url} (${why}): not JSON though it says so (${type})`);
      return undefined;
    }
    documents.set(url, document);
    return document;
  };

  /** Checks every string of a document; follows the links on the feed's own origin. */
  const links = (url: string, document: Json): string[] => {
    const found: string[] = [];
    for (const [at, text] of stringsOf(document)) {
      const origin = leaks(text);
      if (origin) {
        problems.push(`${url} ${at} names the upstream ${origin.origin}: ${text}`);
        continue;
      }
      if (!/^https?:\/\//i.test(text)) continue;
      let link: URL;
      try {
        link = new URL(text);
      } catch {
        continue;
      }
      if (!own.has(link.origin)) continue;
      // A dependency's registration may name an id the feed does not hold (nuget.org does the same).
      if (/dependencyGroups\[\d+\]\.dependencies\[\d+\]\.registration$/.test(at)) continue;
      link.hash = '';
      found.push(link.href);
    }
    return found;
  };

  const queue: { url: string; why: string }[] = [];
  /** Visits a URL and queues its links; `namesIds`: its `data` lists ids (search, autocomplete by `q`). */
  const follow = async (url: string, why: string, namesIds = false) => {
    const document = await visit(url, why);
    if (document === undefined) return;
    for (const link of links(url, document))
      if (!visited.has(link)) queue.push({ url: link, why: `linked by ${url}` });
    collectIds(document, namesIds);
  };
  const collectIds = (document: Json, namesIds: boolean) => {
    if (!document || typeof document !== 'object') return;
    for (const item of namesIds && Array.isArray(document['data']) ? document['data'] : []) {
      if (typeof item === 'string') ids.add(item.toLowerCase());
      else if (item && typeof item['id'] === 'string') ids.add(item['id'].toLowerCase());
    }
    for (const item of Array.isArray(document['items']) ? document['items'] : []) {
      if (item && typeof item['nuget:id'] === 'string') ids.add(item['nuget:id'].toLowerCase());
    }
  };

  const index = await visit(options.serviceIndexUrl, 'the service index');
  assert.ok(index, `no service index at ${options.serviceIndexUrl}:\n${problems.join('\n')}`);
  const resources: Json[] = Array.isArray(index['resources']) ? index['resources'] : [];
  for (const [at, text] of stringsOf(index)) {
    const origin = leaks(text);
    if (origin)
      problems.push(`${options.serviceIndexUrl} ${at} names the upstream ${origin.origin}: ${text}`);
  }

  const bases: { type: string; id: string }[] = [];
  const templates: string[] = [];
  for (const resource of resources) {
    const id = String(resource['@id']);
    const types = typesOf(resource);
    if (types.some((t) => templateTypes.test(t))) templates.push(id);
    else if (types.some((t) => baseTypes.test(t)))
      bases.push({ type: types[0] ?? '', id: id.replace(/\/?$/, '/') });
  }
  const searches = new Set<string>();
  const autocompletes = new Set<string>();
  const documentsToFollow = new Set<string>();
  for (const resource of resources) {
    const types = typesOf(resource);
    const id = String(resource['@id']);
    if (types.some((t) => t.startsWith('SearchQueryService'))) searches.add(id);
    else if (types.some((t) => t.startsWith('SearchAutocompleteService'))) autocompletes.add(id);
    else if (!types.some((t) => templateTypes.test(t) || baseTypes.test(t))) documentsToFollow.add(id);
  }

  // Search and autocomplete: every page, everything included, then the default filters.
  const take = 1000;
  for (const filter of ['prerelease=true&semVerLevel=2.0.0', 'prerelease=false']) {
    for (const endpoint of [...searches, ...autocompletes]) {
      for (let skip = 0; skip < 100_000; skip += take) {
        const url = `${endpoint}?q=&${filter}&skip=${skip}&take=${take}`;
        await follow(url, 'search', true);
        const data = documents.get(url)?.['data'];
        if (!Array.isArray(data) || data.length < take) break;
      }
    }
  }
  // Catalog, vulnerabilities and any other document resource, with everything they link.
  for (const url of documentsToFollow) await follow(url, 'a service index resource');
  while (queue.length) {
    const next = queue.shift() as { url: string; why: string };
    await follow(next.url, next.why);
  }

  // Per id: autocomplete's versions, every registration hive, the flat container; then the links they hold.
  const versionsOf = new Map<string, Set<string>>();
  const done = new Set<string>();
  while ([...ids].some((id) => !done.has(id))) {
    for (const lowerId of [...ids].filter((id) => !done.has(id)).sort()) {
      done.add(lowerId);
      for (const endpoint of autocompletes)
        await follow(
          `${endpoint}?id=${encodeURIComponent(lowerId)}&prerelease=true&semVerLevel=2.0.0`,
          'autocomplete versions',
        );
      for (const base of bases) {
        if (base.type.startsWith('RegistrationsBaseUrl')) {
          await follow(`${base.id}${lowerId}/index.json`, `the registration of ${lowerId}`);
        } else if (base.type.startsWith('PackageBaseAddress')) {
          const list = await visit(`${base.id}${lowerId}/index.json`, `the version list of ${lowerId}`);
          for (const version of (list?.['versions'] ?? []) as string[]) {
            const versions = versionsOf.get(lowerId) ?? new Set<string>();
            versions.add(version.toLowerCase());
            versionsOf.set(lowerId, versions);
            await visit(`${base.id}${lowerId}/${version}/${lowerId}.${version}.nupkg`, 'a listed version');
            await visit(`${base.id}${lowerId}/${version}/${lowerId}.nuspec`, 'a listed version');
          }
        }
      }
      while (queue.length) {
        const next = queue.shift() as { url: string; why: string };
        await follow(next.url, next.why);
      }
    }
  }
  // URI templates (readme): expanded for every listed version, where the package has one.
  for (const template of templates) {
    if (!template.includes('{lower_id}')) continue;
    for (const [lowerId, versions] of versionsOf) {
      for (const version of versions) {
        const url = template.replace('{lower_id}', lowerId).replace('{lower_version}', version);
        if (visited.has(url)) continue;
        const response = await get(url);
        visited.set(url, response.status);
        for (const [name, value] of Object.entries(response.headers)) {
          const origin = leaks(value);
          if (origin)
            problems.push(`GET ${url}: header ${name} names the upstream ${origin.origin}: ${value}`);
        }
        // A package without a readme answers 404 here; a 5xx or a redirect never.
        if (response.status !== 200 && response.status !== 404)
          problems.push(`GET ${url} (readme template) -> ${response.status}`);
      }
    }
  }
  return { visited, ids, problems };
}

/** Crawls and fails with every problem found; returns the report (e.g. to check what was visited). */
export async function assertNoUpstreamUrls(options: UrlCrawlOptions): Promise<UrlCrawlReport> {
  const report = await crawlFeedUrls(options);
  assert.deepEqual(
    report.problems,
    [],
    `the crawl of ${options.serviceIndexUrl} found:\n${report.problems.join('\n')}`,
  );
  return report;
}
