// The feed's one invariant, checked from the outside as a client sees it: every version that any document lists
// (flat container version list, registration, search, autocomplete, catalog) downloads with 200, and with the
// same bytes from every node, whose SHA-512 is the one the catalog recorded for it.
// Crawls every document of every node: service index -> catalog (index, pages, leaves), search and autocomplete
// (every page, SemVer 2.0.0 and prerelease included), and for every id they name: the version list, the
// registration (pages inline or linked) and each version's package content.
// Specs: ../../../shared/spec/nuget-api/ (package-base-address-resource.md, registration-base-url-resource.md,
// search-query-service-resource.md, search-autocomplete-service-resource.md, catalog-resource.md).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';

/** How the checker reads one node: absolute URLs in, status and (decoded) bytes out. */
export interface FeedReader {
  readonly name: string;
  readonly serviceIndexUrl: string;
  get(url: string): Promise<{ status: number; body: Buffer }>;
}

/** A node served in-process: requests go through inject(), URLs keep only their path and query. */
export function injectReader(name: string, app: FastifyInstance, origin = 'http://localhost:80'): FeedReader {
  return {
    name,
    serviceIndexUrl: `${origin}/v3/index.json`,
    async get(url) {
      const parsed = new URL(url);
      const response = await app.inject({ method: 'GET', url: parsed.pathname + parsed.search });
      const raw = response.rawPayload;
      const body = response.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      return { status: response.statusCode, body };
    },
  };
}

/** A node served by a real server: fetch() (which decodes gzip itself). */
export function httpReader(name: string, serviceIndexUrl: string): FeedReader {
  return {
    name,
    serviceIndexUrl,
    async get(url) {
      const response = await fetch(url);
      return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- documents are read field by field.
type Json = Record<string, any>;

/** `1.0.0-Beta+build` -> `1.0.0-beta`: how the flat container names a version. */
const lowerVersionOf = (version: string): string => version.split('+')[0]!.toLowerCase();

export interface ListedVersion {
  readonly lowerId: string;
  readonly lowerVersion: string;
  /** Where it was listed: `<node>: <document>`. */
  readonly listedBy: Set<string>;
}

export interface InvariantReport {
  /** Every version some document lists, by `<lower id>/<lower version>`. */
  readonly versions: Map<string, ListedVersion>;
  /** The SHA-512 (base64) the catalog holds for each version whose latest entry is PackageDetails. */
  readonly catalogHashes: Map<string, string>;
  /** What breaks the invariant; empty when it holds. */
  readonly problems: string[];
}

const pageSize = 1000;

async function json(reader: FeedReader, url: string, problems: string[]): Promise<Json | undefined> {
  const { status, body } = await reader.get(url);
  if (status !== 200) {
    problems.push(`${reader.name}: GET ${url} -> ${status} ${body.toString('utf8').slice(0, 200)}`);
    return undefined;
  }
  return JSON.parse(body.toString('utf8')) as Json;
}

function resource(index: Json, type: string): string {
  const found = (index['resources'] as Json[]).find((r) =>
    (Array.isArray(r['@type']) ? r['@type'] : [r['@type']]).includes(type),
  );
  assert.ok(found, `the service index has no ${type}`);
  return found['@id'] as string;
}

/** Crawls one node: what it lists, and the catalog's hashes. */
async function crawl(
  reader: FeedReader,
  report: InvariantReport,
): Promise<{ packageBaseAddress: string; registrationContent: Map<string, string> }> {
  const { problems } = report;
  const index = await json(reader, reader.serviceIndexUrl, problems);
  assert.ok(index, `${reader.name}: no service index`);
  const packageBaseAddress = resource(index, 'PackageBaseAddress/3.0.0').replace(/\/?$/, '/');
  const registrations = resource(index, 'RegistrationsBaseUrl/3.6.0').replace(/\/?$/, '/');
  const search = resource(index, 'SearchQueryService/3.5.0');
  const autocomplete = resource(index, 'SearchAutocompleteService/3.5.0');
  const catalog = resource(index, 'Catalog/3.0.0');

  const ids = new Set<string>();
  const list = (lowerId: string, version: string, where: string) => {
    const lowerVersion = lowerVersionOf(version);
    const key = `${lowerId}/${lowerVersion}`;
    let entry = report.versions.get(key);
    if (!entry) {
      entry = { lowerId, lowerVersion, listedBy: new Set() };
      report.versions.set(key, entry);
    }
    entry.listedBy.add(`${reader.name}: ${where}`);
  };

  // The catalog, in commit order: a version is current when its latest entry is PackageDetails.
  const latest = new Map<string, { type: string; leaf: string; lowerId: string; version: string }>();
  const catalogIndex = await json(reader, catalog, problems);
  for (const page of (catalogIndex?.['items'] ?? []) as Json[]) {
    const items = (await json(reader, page['@id'] as string, problems))?.['items'] as Json[] | undefined;
    for (const item of items ?? []) {
      const lowerId = String(item['nuget:id']).toLowerCase();
      ids.add(lowerId);
      latest.set(`${lowerId}/${lowerVersionOf(String(item['nuget:version']))}`, {
        type: String(item['@type']),
        leaf: String(item['@id']),
        lowerId,
        version: String(item['nuget:version']),
      });
    }
  }
  for (const [key, entry] of latest) {
    if (entry.type !== 'nuget:PackageDetails') continue;
    list(entry.lowerId, entry.version, 'catalog');
    const leaf = await json(reader, entry.leaf, problems);
    const hash = leaf?.['packageHash'] as string | undefined;
    if (!hash) continue;
    const known = report.catalogHashes.get(key);
    if (known !== undefined && known !== hash) {
      problems.push(`${key}: the catalogs of the nodes disagree on its hash (${known} vs ${hash})`);
    }
    report.catalogHashes.set(key, hash);
  }

  // Search and autocomplete, every page, with everything included; then without prerelease and SemVer 2.0.0.
  for (const filter of ['prerelease=true&semVerLevel=2.0.0', 'prerelease=false']) {
    for (let skip = 0; ; skip += pageSize) {
      const page = await json(reader, `${search}?q=&${filter}&skip=${skip}&take=${pageSize}`, problems);
      const data = (page?.['data'] ?? []) as Json[];
      for (const hit of data) {
        const lowerId = String(hit['id']).toLowerCase();
        ids.add(lowerId);
        list(lowerId, String(hit['version']), `search (${filter})`);
        for (const v of (hit['versions'] ?? []) as Json[])
          list(lowerId, String(v['version']), 'search versions');
      }
      if (data.length < pageSize) break;
    }
    for (let skip = 0; ; skip += pageSize) {
      const page = await json(reader, `${autocomplete}?q=&${filter}&skip=${skip}&take=${pageSize}`, problems);
      const data = (page?.['data'] ?? []) as string[];
      for (const id of data) ids.add(id.toLowerCase());
      if (data.length < pageSize) break;
    }
  }

  // Per id: the version list, autocomplete's versions, the registration and its package content URLs.
  const registrationContent = new Map<string, string>();
  for (const lowerId of [...ids].sort()) {
    const flat = await reader.get(`${packageBaseAddress}${lowerId}/index.json`);
    if (flat.status === 200) {
      for (const v of JSON.parse(flat.body.toString('utf8'))['versions'] as string[]) {
        list(lowerId, v, 'version list');
      }
    } else if (flat.status !== 404) {
      problems.push(`${reader.name}: GET ${lowerId}/index.json -> ${flat.status}`);
    }
    const versions = await json(
      reader,
      `${autocomplete}?id=${encodeURIComponent(lowerId)}&prerelease=true&semVerLevel=2.0.0`,
      problems,
    );
    for (const v of (versions?.['data'] ?? []) as string[]) list(lowerId, v, 'autocomplete versions');

    const registration = await reader.get(`${registrations}${lowerId}/index.json`);
    if (registration.status === 404) continue;
    if (registration.status !== 200) {
      problems.push(`${reader.name}: GET registration of ${lowerId} -> ${registration.status}`);
      continue;
    }
    for (const page of JSON.parse(registration.body.toString('utf8'))['items'] as Json[]) {
      const items = (page['items'] ?? (await json(reader, page['@id'] as string, problems))?.['items']) as
        Json[] | undefined;
      for (const leaf of items ?? []) {
        const version = String(leaf['catalogEntry']['version']);
        list(lowerId, version, 'registration');
        registrationContent.set(`${lowerId}/${lowerVersionOf(version)}`, String(leaf['packageContent']));
      }
    }
  }
  return { packageBaseAddress, registrationContent };
}

const sha512 = (bytes: Buffer): string => createHash('sha512').update(bytes).digest('base64');

/**
 * Crawls every node, then downloads every listed version from every node (through the flat container, and
 * through the registration's packageContent URL) and compares. Returns what it found; see
 * {@link assertFeedInvariant} to fail a test on any problem.
 */
export async function checkFeedInvariant(readers: readonly FeedReader[]): Promise<InvariantReport> {
  const report: InvariantReport = { versions: new Map(), catalogHashes: new Map(), problems: [] };
  const crawled = [];
  for (const reader of readers) crawled.push({ reader, ...(await crawl(reader, report)) });

  for (const [key, listed] of [...report.versions].sort(([a], [b]) => a.localeCompare(b))) {
    const { lowerId, lowerVersion } = listed;
    const where = [...listed.listedBy].join(', ');
    let first: string | undefined;
    for (const { reader, packageBaseAddress, registrationContent } of crawled) {
      const urls = [
        `${packageBaseAddress}${lowerId}/${lowerVersion}/${lowerId}.${lowerVersion}.nupkg`,
        registrationContent.get(key),
      ];
      for (const url of urls) {
        if (url === undefined) continue;
        const download = await reader.get(url);
        if (download.status !== 200) {
          report.problems.push(
            `${key}: listed by ${where}, but ${reader.name} GET ${url} -> ${download.status}`,
          );
          continue;
        }
        const hash = sha512(download.body);
        first ??= hash;
        if (hash !== first) report.problems.push(`${key}: ${reader.name} ${url} serves other bytes`);
        const catalogHash = report.catalogHashes.get(key);
        if (catalogHash !== undefined && hash !== catalogHash) {
          report.problems.push(`${key}: ${reader.name} ${url} does not match the catalog's packageHash`);
        }
      }
    }
    if (!report.catalogHashes.has(key)) {
      report.problems.push(
        `${key}: listed by ${where}, but the catalog has no current PackageDetails for it`,
      );
    }
  }
  return report;
}

/** Fails with every problem found; returns the report (e.g. to check which versions are listed). */
export async function assertFeedInvariant(readers: readonly FeedReader[]): Promise<InvariantReport> {
  const report = await checkFeedInvariant(readers);
  assert.deepEqual(report.problems, [], `the feed invariant is broken:\n${report.problems.join('\n')}`);
  return report;
}
