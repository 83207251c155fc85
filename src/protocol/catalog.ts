// Catalog documents: ../shared/spec/nuget-api/catalog-resource.md
// The catalog is append-only: index -> pages -> leaves; a leaf is a snapshot of one package version at one commit.
import type { PackageVersion } from './package-version.ts';
import { buildCatalogEntry } from './registration.ts';
import type { ResourceUrls } from './resource-urls.ts';
import type { PackageVulnerability } from './vulnerability-info.ts';

/** nuget.org puts at most 550 items in a page (spec, "Catalog page"). Pages are fixed ranges of entry numbers. */
export const catalogPageSize = 550;

export interface CatalogEntry {
  /** Position in the catalog, from 1; page = floor((seq - 1) / catalogPageSize). */
  readonly seq: number;
  readonly commitId: string;
  readonly commitTimestamp: string;
  readonly type: 'PackageDetails' | 'PackageDelete';
  readonly id: string;
  readonly lowerId: string;
  /** Full version (with build metadata). */
  readonly version: string;
  readonly lowerVersion: string;
  /** The version as it was at this commit; absent for PackageDelete. */
  readonly snapshot?: PackageVersion | undefined;
  /** The vulnerabilities known for that version at this commit. */
  readonly vulnerabilities?: readonly PackageVulnerability[] | undefined;
}

export interface CatalogPageSummary {
  readonly page: number;
  readonly count: number;
  readonly commitId: string;
  readonly commitTimestamp: string;
}

export const catalogPageOf = (seq: number): number => Math.floor((seq - 1) / catalogPageSize);

const catalogContext = {
  '@vocab': 'http://schema.nuget.org/schema#',
  catalog: 'http://schema.nuget.org/catalog#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
};

/** The index; pages sorted by number. An empty catalog has no commit yet: commitTimeStamp is the minimum value. */
export function buildCatalogIndex(urls: ResourceUrls, pages: readonly CatalogPageSummary[]) {
  const last = pages.at(-1);
  return {
    '@id': urls.catalogIndex,
    '@type': ['CatalogRoot', 'AppendOnlyCatalog', 'Permalink'],
    commitId: last?.commitId ?? '00000000-0000-0000-0000-000000000000',
    commitTimeStamp: last?.commitTimestamp ?? '0001-01-01T00:00:00.000Z',
    count: pages.length,
    items: pages.map((p) => ({
      '@id': urls.catalogPage(p.page),
      '@type': 'CatalogPage',
      commitId: p.commitId,
      commitTimeStamp: p.commitTimestamp,
      count: p.count,
    })),
    '@context': catalogContext,
  };
}

export function buildCatalogPage(urls: ResourceUrls, page: number, entries: readonly CatalogEntry[]) {
  const last = entries.at(-1);
  return {
    '@id': urls.catalogPage(page),
    '@type': 'CatalogPage',
    commitId: last?.commitId,
    commitTimeStamp: last?.commitTimestamp,
    count: entries.length,
    parent: urls.catalogIndex,
    items: entries.map((e) => ({
      '@id': urls.catalogLeaf(e.seq, e.lowerId, e.lowerVersion),
      '@type': e.type === 'PackageDetails' ? 'nuget:PackageDetails' : 'nuget:PackageDelete',
      commitId: e.commitId,
      commitTimeStamp: e.commitTimestamp,
      'nuget:id': e.id,
      'nuget:version': e.version,
    })),
    '@context': { ...catalogContext, nuget: 'http://schema.nuget.org/schema#' },
  };
}

export function buildCatalogLeaf(urls: ResourceUrls, entry: CatalogEntry) {
  const common = {
    '@id': urls.catalogLeaf(entry.seq, entry.lowerId, entry.lowerVersion),
    'catalog:commitId': entry.commitId,
    'catalog:commitTimeStamp': entry.commitTimestamp,
    id: entry.id,
    version: entry.version,
  };
  const v = entry.snapshot;
  if (entry.type === 'PackageDelete' || !v) {
    // "published" of a delete is when the package was deleted (spec, "Package delete catalog items").
    return {
      ...common,
      '@type': ['PackageDelete', 'catalog:Permalink'],
      originalId: entry.id,
      published: entry.commitTimestamp,
    };
  }
  // The same metadata as a registration catalogEntry (its dependency links point into the SemVer 2.0.0 hive, which
  // holds every version), plus what only the catalog carries.
  const details = buildCatalogEntry(urls, 'semver2-gz', v, entry.vulnerabilities ?? []);
  return {
    ...details,
    ...common,
    '@type': ['PackageDetails', 'catalog:Permalink'],
    created: v.published,
    isPrerelease: v.isPrerelease,
    packageHash: v.packageHash,
    packageHashAlgorithm: 'SHA512',
    packageSize: v.packageSize,
    releaseNotes: v.metadata.releaseNotes,
    copyright: v.metadata.copyright,
  };
}
