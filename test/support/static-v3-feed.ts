// A plain static-file NuGet V3 feed laid out like nuget.org's own, for upstream tests: the test writes it into a
// temp dir and serves it with node:http, so a proxy in front of it can never lean on nugget's own URL layout.
// Like nuget.org (../../../shared/spec/nuget-api/):
// - three origins (host:port): "api" (service index, registration hives, catalog, vulnerabilities), "content"
//   (the flat container: version lists, .nupkg, .nuspec, readme, icon) and "search" (query + autocomplete);
// - the registration hive `registration5-gz-semver2/` is stored gzip-compressed and always answered with
//   `Content-Encoding: gzip` (registration-base-url-resource.md, "Registration base URL");
// - an id with more than 128 versions gets pages of 64 stored outside its index (`{id}/page/{lower}/{upper}.json`),
//   fewer are inlined ("Registration pages and leaves");
// - VulnerabilityInfo with two pages, `base` and `update` (vulnerability-info.md);
// - search and autocomplete are a small handler over the packages (search-query-service-resource.md).
// Every request is logged (for "one upstream request" assertions); `stop()` refuses connections from then on,
// `start()` serves again on the same ports.
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseNuspec } from '../../src/nuget/packaging/index.ts';
import {
  compareVersions,
  formatVersionRange,
  isPrerelease,
  isSemVer2Version,
  type NuGetVersion,
  toFullString,
  toNormalizedString,
} from '../../src/nuget/versioning/index.ts';
import { readZipEntries } from '../e2e/harness.ts';

export interface StaticPackage {
  /** The .nupkg file. */
  readonly file: string;
  /** ISO 8601; default 2024-01-01 plus one minute per package, in the given order. */
  readonly published?: string;
  /** Default true. An unlisted version keeps its `published` here (nuget.org writes 1900-01-01; either is valid). */
  readonly listed?: boolean;
  readonly deprecation?: {
    readonly reasons: readonly string[];
    readonly message?: string;
    readonly alternatePackage?: { readonly id: string; readonly range: string };
  };
  /** What the registration leaf lists: severity "0" (low) to "3" (critical). */
  readonly vulnerabilities?: readonly { readonly advisoryUrl: string; readonly severity: string }[];
  readonly totalDownloads?: number;
}

export interface StaticAdvisory {
  readonly lowerId: string;
  readonly url: string;
  readonly severity: 0 | 1 | 2 | 3;
  /** A NuGet range. */
  readonly versions: string;
}

export interface StaticFeedRequest {
  readonly origin: 'api' | 'content' | 'search';
  readonly method: string;
  /** Path and query. */
  readonly url: string;
}

export interface StaticFeed {
  readonly serviceIndexUrl: string;
  /** Every origin it answers on (`http://127.0.0.1:port`), keyed by role. */
  readonly origins: { readonly api: string; readonly content: string; readonly search: string };
  readonly dir: string;
  /** Every request so far, oldest first. */
  readonly requests: readonly StaticFeedRequest[];
  count(predicate: (request: StaticFeedRequest) => boolean): number;
  /** From now on every connection is refused (listening sockets closed, open ones destroyed). */
  stop(): Promise<void>;
  /** Serves again on the same ports. */
  start(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- documents are written field by field.
type Json = Record<string, any>;

interface Entry {
  readonly id: string;
  readonly lowerId: string;
  readonly version: NuGetVersion;
  /** Lower-case normalized: what URLs carry. */
  readonly lowerVersion: string;
  readonly nuspec: ReturnType<typeof parseNuspec>;
  readonly nuspecBytes: Buffer;
  readonly nupkg: Buffer;
  readonly readme: Buffer | undefined;
  readonly icon: Buffer | undefined;
  readonly spec: StaticPackage;
  readonly published: string;
  readonly commitTimeStamp: string;
}

const pageSize = 64;
const inlineLimit = 128;

async function readPackage(spec: StaticPackage, index: number): Promise<Entry> {
  const nupkg = await readFile(spec.file);
  const entries = await readZipEntries(spec.file);
  const nuspecName = [...entries.keys()].find((name) => !name.includes('/') && name.endsWith('.nuspec'));
  if (!nuspecName) throw new Error(`${spec.file} has no nuspec`);
  const nuspecBytes = entries.get(nuspecName) as Buffer;
  const nuspec = parseNuspec(nuspecBytes);
  const entryOf = (file: string | undefined) =>
    file === undefined ? undefined : entries.get(file.replaceAll('\\', '/').replace(/^\.?\//, ''));
  const published = spec.published ?? new Date(Date.UTC(2024, 0, 1, 0, index)).toISOString();
  return {
    id: nuspec.id,
    lowerId: nuspec.id.toLowerCase(),
    version: nuspec.version,
    lowerVersion: toNormalizedString(nuspec.version).toLowerCase(),
    nuspec,
    nuspecBytes,
    nupkg,
    readme: entryOf(nuspec.readme),
    icon: entryOf(nuspec.icon),
    spec,
    published,
    commitTimeStamp: published,
  };
}

async function put(dir: string, relative: string, content: string | Buffer): Promise<void> {
  const file = path.join(dir, ...relative.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

const jsonText = (value: unknown) => JSON.stringify(value, null, 1);

interface Layout {
  readonly api: string;
  readonly content: string;
  readonly search: string;
}

/** The documents of the feed, written under `<dir>/<origin>/...` exactly as each origin serves them. */
async function writeFeed(
  dir: string,
  origins: Layout,
  packages: readonly Entry[],
  advisories: readonly StaticAdvisory[],
): Promise<void> {
  const flat = `${origins.content}/v3-flatcontainer/`;
  const registration = `${origins.api}/v3/registration5-gz-semver2/`;
  const catalog = `${origins.api}/v3/catalog0/`;
  const vulnerabilities = `${origins.api}/v3/vulnerabilities/`;

  await put(
    dir,
    'api/v3/index.json',
    jsonText({
      version: '3.0.0',
      resources: [
        { '@id': flat, '@type': 'PackageBaseAddress/3.0.0' },
        { '@id': registration, '@type': 'RegistrationsBaseUrl/3.6.0' },
        { '@id': registration, '@type': 'RegistrationsBaseUrl/Versioned', clientVersion: '4.3.0-alpha' },
        { '@id': `${origins.search}/query`, '@type': 'SearchQueryService' },
        { '@id': `${origins.search}/query`, '@type': 'SearchQueryService/3.0.0-beta' },
        { '@id': `${origins.search}/query`, '@type': 'SearchQueryService/3.5.0' },
        { '@id': `${origins.search}/autocomplete`, '@type': 'SearchAutocompleteService' },
        { '@id': `${origins.search}/autocomplete`, '@type': 'SearchAutocompleteService/3.0.0-beta' },
        { '@id': `${origins.search}/autocomplete`, '@type': 'SearchAutocompleteService/3.5.0' },
        { '@id': `${catalog}index.json`, '@type': 'Catalog/3.0.0' },
        { '@id': `${vulnerabilities}index.json`, '@type': 'VulnerabilityInfo/6.7.0' },
        {
          '@id': `${flat}{lower_id}/{lower_version}/readme`,
          '@type': 'ReadmeUriTemplate/6.13.0',
        },
      ],
      '@context': { '@vocab': 'http://schema.nuget.org/services#' },
    }),
  );

  // Catalog: one page, one leaf per version (catalog-resource.md).
  const leafUrl = (e: Entry) =>
    `${catalog}data/${e.commitTimeStamp.replaceAll(':', '.')}/${e.lowerId}.${e.lowerVersion}.json`;
  const commitId = '00000000-0000-4000-8000-000000000001';
  const lastCommit =
    packages
      .map((e) => e.commitTimeStamp)
      .sort()
      .at(-1) ?? '2024-01-01T00:00:00.000Z';
  await put(
    dir,
    'api/v3/catalog0/index.json',
    jsonText({
      '@id': `${catalog}index.json`,
      '@type': ['CatalogRoot', 'AppendOnlyCatalog', 'Permalink'],
      commitId,
      commitTimeStamp: lastCommit,
      count: 1,
      items: [
        {
          '@id': `${catalog}page0.json`,
          '@type': 'CatalogPage',
          commitId,
          commitTimeStamp: lastCommit,
          count: packages.length,
        },
      ],
    }),
  );
  await put(
    dir,
    'api/v3/catalog0/page0.json',
    jsonText({
      '@id': `${catalog}page0.json`,
      '@type': 'CatalogPage',
      commitId,
      commitTimeStamp: lastCommit,
      count: packages.length,
      parent: `${catalog}index.json`,
      items: packages.map((e) => ({
        '@id': leafUrl(e),
        '@type': 'nuget:PackageDetails',
        commitId,
        commitTimeStamp: e.commitTimeStamp,
        'nuget:id': e.id,
        'nuget:version': toFullString(e.version),
      })),
    }),
  );

  const catalogEntry = (e: Entry): Json => {
    const m = e.nuspec;
    const entry: Json = {
      '@id': leafUrl(e),
      '@type': 'PackageDetails',
      authors: m.authors,
      dependencyGroups: m.dependencyGroups.map((group) => ({
        '@id': `${leafUrl(e)}#dependencygroup/${group.rawTargetFramework.toLowerCase()}`,
        '@type': 'PackageDependencyGroup',
        ...(group.rawTargetFramework ? { targetFramework: group.rawTargetFramework } : {}),
        dependencies: group.dependencies.map((d) => ({
          '@id': `${leafUrl(e)}#dependencygroup/${group.rawTargetFramework.toLowerCase()}/${d.id.toLowerCase()}`,
          '@type': 'PackageDependency',
          id: d.id,
          range: formatVersionRange(d.range),
          registration: `${registration}${d.id.toLowerCase()}/index.json`,
        })),
      })),
      description: m.description,
      iconUrl: e.icon ? `${flat}${e.lowerId}/${e.lowerVersion}/icon` : (m.iconUrl ?? ''),
      id: e.id,
      language: m.language ?? '',
      licenseExpression: m.license?.type === 'expression' ? m.license.value : '',
      licenseUrl: m.licenseUrl ?? '',
      listed: e.spec.listed ?? true,
      minClientVersion: m.minClientVersion ?? '',
      packageContent: `${flat}${e.lowerId}/${e.lowerVersion}/${e.lowerId}.${e.lowerVersion}.nupkg`,
      projectUrl: m.projectUrl ?? '',
      published: e.published,
      requireLicenseAcceptance: m.requireLicenseAcceptance,
      summary: m.summary ?? '',
      tags: [...m.tags],
      title: m.title ?? '',
      version: toFullString(e.version),
    };
    if (e.readme) entry['readmeUrl'] = `${flat}${e.lowerId}/${e.lowerVersion}/readme`;
    if (e.spec.deprecation) {
      entry['deprecation'] = {
        '@id': `${leafUrl(e)}#deprecation`,
        reasons: [...e.spec.deprecation.reasons],
        ...(e.spec.deprecation.message ? { message: e.spec.deprecation.message } : {}),
        ...(e.spec.deprecation.alternatePackage
          ? {
              alternatePackage: {
                '@id': `${leafUrl(e)}#deprecation/alternatePackage`,
                id: e.spec.deprecation.alternatePackage.id,
                range: e.spec.deprecation.alternatePackage.range,
              },
            }
          : {}),
      };
    }
    if (e.spec.vulnerabilities?.length) {
      entry['vulnerabilities'] = e.spec.vulnerabilities.map((v, i) => ({
        '@id': `${leafUrl(e)}#vulnerability/GitHub/${i}`,
        '@type': 'Vulnerability',
        advisoryUrl: v.advisoryUrl,
        severity: v.severity,
      }));
    }
    return entry;
  };

  const ids = new Map<string, Entry[]>();
  for (const e of packages) ids.set(e.lowerId, [...(ids.get(e.lowerId) ?? []), e]);
  for (const versions of ids.values()) versions.sort((a, b) => compareVersions(a.version, b.version));

  for (const [lowerId, versions] of ids) {
    // Catalog leaves.
    for (const e of versions) {
      await put(
        dir,
        `api/${leafUrl(e).slice(origins.api.length + 1)}`,
        jsonText({ ...catalogEntry(e), '@type': ['PackageDetails', 'catalog:Permalink'] }),
      );
    }
    // Flat container.
    await put(
      dir,
      `content/v3-flatcontainer/${lowerId}/index.json`,
      jsonText({ versions: versions.map((e) => e.lowerVersion) }),
    );
    for (const e of versions) {
      const base = `content/v3-flatcontainer/${lowerId}/${e.lowerVersion}/`;
      await put(dir, `${base}${lowerId}.${e.lowerVersion}.nupkg`, e.nupkg);
      await put(dir, `${base}${lowerId}.nuspec`, e.nuspecBytes);
      if (e.readme) await put(dir, `${base}readme`, e.readme);
      if (e.icon) await put(dir, `${base}icon`, e.icon);
    }
    // Registration (gzip hive): leaves, then inline pages or pages of their own.
    const indexUrl = `${registration}${lowerId}/index.json`;
    const leafOf = (e: Entry) => ({
      '@id': `${registration}${lowerId}/${e.lowerVersion}.json`,
      '@type': 'Package',
      commitId,
      commitTimeStamp: e.commitTimeStamp,
      catalogEntry: catalogEntry(e),
      packageContent: catalogEntry(e)['packageContent'],
      registration: indexUrl,
    });
    for (const e of versions) {
      await put(
        dir,
        `api/v3/registration5-gz-semver2/${lowerId}/${e.lowerVersion}.json`,
        gzipSync(
          jsonText({
            '@id': `${registration}${lowerId}/${e.lowerVersion}.json`,
            '@type': ['Package', 'http://schema.nuget.org/catalog#Permalink'],
            catalogEntry: leafUrl(e),
            listed: e.spec.listed ?? true,
            packageContent: catalogEntry(e)['packageContent'],
            published: e.published,
            registration: indexUrl,
          }),
        ),
      );
    }
    const chunks: Entry[][] = [];
    for (let i = 0; i < versions.length; i += pageSize) chunks.push(versions.slice(i, i + pageSize));
    const paged = versions.length > inlineLimit;
    const pages: Json[] = [];
    for (const chunk of chunks) {
      const lower = toNormalizedString((chunk[0] as Entry).version).toLowerCase();
      const upper = toNormalizedString((chunk.at(-1) as Entry).version).toLowerCase();
      const pageUrl = paged
        ? `${registration}${lowerId}/page/${lower}/${upper}.json`
        : `${indexUrl}#page/${lower}/${upper}`;
      const page: Json = {
        '@id': pageUrl,
        '@type': 'catalog:CatalogPage',
        commitId,
        commitTimeStamp: chunk
          .map((e) => e.commitTimeStamp)
          .sort()
          .at(-1),
        count: chunk.length,
        items: chunk.map(leafOf),
        parent: indexUrl,
        lower,
        upper,
      };
      if (paged) {
        await put(
          dir,
          `api/v3/registration5-gz-semver2/${lowerId}/page/${lower}/${upper}.json`,
          gzipSync(jsonText({ ...page, '@context': { '@vocab': 'http://schema.nuget.org/schema#' } })),
        );
        const { items: _items, ...summary } = page;
        pages.push(summary);
      } else {
        pages.push(page);
      }
    }
    await put(
      dir,
      `api/v3/registration5-gz-semver2/${lowerId}/index.json`,
      gzipSync(
        jsonText({
          '@id': indexUrl,
          '@type': ['catalog:CatalogRoot', 'PackageRegistration', 'catalog:Permalink'],
          commitId,
          commitTimeStamp: versions
            .map((e) => e.commitTimeStamp)
            .sort()
            .at(-1),
          count: pages.length,
          items: pages,
          '@context': { '@vocab': 'http://schema.nuget.org/schema#' },
        }),
      ),
    );
  }

  // VulnerabilityInfo: nuget.org's two pages, the big `base` and the small `update` (vulnerability-info.md).
  const half = Math.ceil(advisories.length / 2);
  const pageOf = (list: readonly StaticAdvisory[]) => {
    const page: Record<string, { url: string; severity: number; versions: string }[]> = {};
    for (const a of list)
      (page[a.lowerId] ??= []).push({ url: a.url, severity: a.severity, versions: a.versions });
    return page;
  };
  await put(dir, 'api/v3/vulnerabilities/base.json', jsonText(pageOf(advisories.slice(0, half))));
  await put(dir, 'api/v3/vulnerabilities/update.json', jsonText(pageOf(advisories.slice(half))));
  await put(
    dir,
    'api/v3/vulnerabilities/index.json',
    jsonText([
      { '@name': 'base', '@id': `${vulnerabilities}base.json`, '@updated': '2024-01-01T00:00:00Z' },
      {
        '@name': 'update',
        '@id': `${vulnerabilities}update.json`,
        '@updated': '2024-06-01T00:00:00Z',
        comment: 'The data in this page overrides the data in the base page',
      },
    ]),
  );
}

/** search-query-service-resource.md: q matches ids and descriptions (case-insensitive), newest version per id. */
function searchAnswer(packages: readonly Entry[], origins: Layout, query: URLSearchParams): Json {
  const q = (query.get('q') ?? '').toLowerCase().trim();
  const prerelease = query.get('prerelease') === 'true';
  const semVer2 = query.get('semVerLevel') === '2.0.0';
  const skip = Math.max(0, Number(query.get('skip') ?? 0) || 0);
  const take = Math.min(1000, Math.max(0, Number(query.get('take') ?? 20) || 20));
  const ids = new Map<string, Entry[]>();
  for (const e of packages) {
    if (e.spec.listed === false) continue;
    if (!prerelease && isPrerelease(e.version)) continue;
    if (!semVer2 && isSemVer2Version(e.version)) continue;
    ids.set(e.lowerId, [...(ids.get(e.lowerId) ?? []), e]);
  }
  const hits = [...ids.values()]
    .map((versions) => versions.sort((a, b) => compareVersions(a.version, b.version)))
    .filter((versions) => {
      const latest = versions.at(-1) as Entry;
      return q === '' || latest.lowerId.includes(q) || latest.nuspec.description.toLowerCase().includes(q);
    })
    .sort((a, b) => (a[0] as Entry).lowerId.localeCompare((b[0] as Entry).lowerId));
  const registration = `${origins.api}/v3/registration5-gz-semver2/`;
  return {
    totalHits: hits.length,
    data: hits.slice(skip, skip + take).map((versions) => {
      const latest = versions.at(-1) as Entry;
      return {
        '@id': `${registration}${latest.lowerId}/index.json`,
        '@type': 'Package',
        registration: `${registration}${latest.lowerId}/index.json`,
        id: latest.id,
        version: toFullString(latest.version),
        description: latest.nuspec.description,
        summary: latest.nuspec.summary ?? '',
        title: latest.nuspec.title ?? latest.id,
        iconUrl: latest.icon
          ? `${origins.content}/v3-flatcontainer/${latest.lowerId}/${latest.lowerVersion}/icon`
          : undefined,
        projectUrl: latest.nuspec.projectUrl,
        tags: [...latest.nuspec.tags],
        authors: [latest.nuspec.authors],
        owners: ['upstream-owner'],
        totalDownloads: versions.reduce((sum, e) => sum + (e.spec.totalDownloads ?? 0), 0),
        verified: false,
        packageTypes: latest.nuspec.packageTypes.length
          ? latest.nuspec.packageTypes.map((t) => ({ name: t.name }))
          : [{ name: 'Dependency' }],
        versions: versions.map((e) => ({
          version: toFullString(e.version),
          downloads: e.spec.totalDownloads ?? 0,
          '@id': `${registration}${e.lowerId}/${e.lowerVersion}.json`,
        })),
        vulnerabilities: (latest.spec.vulnerabilities ?? []).map((v) => ({
          advisoryUrl: v.advisoryUrl,
          severity: Number(v.severity),
        })),
        ...(latest.spec.deprecation ? { deprecation: latest.spec.deprecation } : {}),
      };
    }),
  };
}

/** search-autocomplete-service-resource.md: ids by `q`, or the versions of `id`. */
function autocompleteAnswer(packages: readonly Entry[], query: URLSearchParams): Json {
  const prerelease = query.get('prerelease') === 'true';
  const semVer2 = query.get('semVerLevel') === '2.0.0';
  const visible = packages.filter(
    (e) =>
      e.spec.listed !== false &&
      (prerelease || !isPrerelease(e.version)) &&
      (semVer2 || !isSemVer2Version(e.version)),
  );
  const id = query.get('id');
  if (id !== null) {
    const versions = visible
      .filter((e) => e.lowerId === id.toLowerCase())
      .sort((a, b) => compareVersions(a.version, b.version))
      .map((e) => toFullString(e.version));
    return { totalHits: versions.length, data: versions };
  }
  const q = (query.get('q') ?? '').toLowerCase();
  const skip = Math.max(0, Number(query.get('skip') ?? 0) || 0);
  const take = Math.min(1000, Math.max(0, Number(query.get('take') ?? 20) || 20));
  const ids = [...new Set(visible.filter((e) => e.lowerId.includes(q)).map((e) => e.id))].sort();
  return { totalHits: ids.length, data: ids.slice(skip, skip + take) };
}

const contentTypes: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.nupkg': 'application/octet-stream',
  '.nuspec': 'text/xml',
};

export interface StaticFeedOptions {
  /** Where the files go (the test's temp dir). */
  readonly dir: string;
  readonly packages: readonly StaticPackage[];
  readonly advisories?: readonly StaticAdvisory[];
}

/** Writes the feed into `dir` and serves it on three ports of 127.0.0.1. */
export async function startStaticV3Feed(options: StaticFeedOptions): Promise<StaticFeed> {
  const entries: Entry[] = [];
  for (const [index, spec] of options.packages.entries()) entries.push(await readPackage(spec, index));
  const requests: StaticFeedRequest[] = [];
  const sockets = new Set<Socket>();

  const serveFile = async (role: 'api' | 'content', pathname: string, response: ServerResponse) => {
    const relative = decodeURIComponent(pathname).replace(/^\/+/, '');
    if (relative.split('/').some((part) => part === '..' || part === '')) {
      response.writeHead(404).end();
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(path.join(options.dir, role, ...relative.split('/')));
    } catch {
      response
        .writeHead(404, { 'content-type': 'application/xml' })
        .end('<Error><Code>BlobNotFound</Code></Error>');
      return;
    }
    const headers: Record<string, string> = {
      'content-type': contentTypes[path.extname(relative)] ?? 'application/octet-stream',
      'content-length': String(body.length),
    };
    // nuget.org stores the gz hive compressed and answers it so whatever the client asked for.
    if (relative.startsWith('v3/registration5-gz-semver2/')) headers['content-encoding'] = 'gzip';
    response.writeHead(200, headers).end(body);
  };

  const handler =
    (role: StaticFeedRequest['origin']) => (request: IncomingMessage, response: ServerResponse) => {
      const url = new URL(request.url ?? '/', 'http://static.invalid');
      requests.push({ origin: role, method: request.method ?? 'GET', url: url.pathname + url.search });
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405).end();
        return;
      }
      if (role === 'search') {
        const answer =
          url.pathname === '/query'
            ? searchAnswer(entries, origins, url.searchParams)
            : url.pathname === '/autocomplete'
              ? autocompleteAnswer(entries, url.searchParams)
              : undefined;
        if (!answer) response.writeHead(404).end();
        else response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        return;
      }
      void serveFile(role, url.pathname, response);
    };

  const roles = ['api', 'content', 'search'] as const;
  const servers = new Map<StaticFeedRequest['origin'], Server>();
  const ports = new Map<StaticFeedRequest['origin'], number>();
  const listen = async (role: StaticFeedRequest['origin']) => {
    const server = createServer(handler(role));
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.listen(ports.get(role) ?? 0, '127.0.0.1');
    await once(server, 'listening');
    ports.set(role, (server.address() as AddressInfo).port);
    servers.set(role, server);
  };
  for (const role of roles) await listen(role);
  const originOf = (role: StaticFeedRequest['origin']) => `http://127.0.0.1:${ports.get(role)}`;
  const origins: Layout = { api: originOf('api'), content: originOf('content'), search: originOf('search') };
  await writeFeed(options.dir, origins, entries, options.advisories ?? []);

  let running = true;
  return {
    serviceIndexUrl: `${origins.api}/v3/index.json`,
    origins,
    dir: options.dir,
    requests,
    count: (predicate) => requests.filter(predicate).length,
    async stop() {
      if (!running) return;
      running = false;
      const closed = [...servers.values()].map((server) => new Promise((resolve) => server.close(resolve)));
      for (const socket of sockets) socket.destroy();
      await Promise.all(closed);
    },
    async start() {
      if (running) return;
      for (const role of roles) await listen(role);
      running = true;
    },
  };
}
