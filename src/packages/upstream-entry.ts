// Turns an upstream's registration leaves and search results into the domain values nugget builds its own
// documents from (protocol/registration.ts, search.ts), so every URL a client sees is nugget's by construction:
// the upstream's packageContent, @id and registration URLs are never copied, and a URL field that points at the
// upstream itself (an embedded icon, license or readme) becomes nugget's own URL for that file. What the upstream
// says about a version is kept exactly: published, listed, deprecation, vulnerabilities, dependency groups,
// license (../shared/notes/market.md §2, rows 1 and 15). Anything malformed is dropped, never thrown.
// Spec: ../shared/spec/nuget-api/registration-base-url-resource.md, search-query-service-resource.md
import { isValidPackageId } from '../nuget/packaging/index.ts';
import {
  isPrerelease,
  isSemVer2Package,
  toFullString,
  toNormalizedString,
  tryParseVersion,
  tryParseVersionRange,
  type VersionRange,
} from '../nuget/versioning/index.ts';
import type {
  DependencyGroupRecord,
  EmbeddedFileKind,
  PackageDeprecation,
} from '../protocol/package-version.ts';
import type { AdvisorySeverity, PackageVulnerability } from '../protocol/vulnerability-info.ts';
import type { UpstreamEntry } from './upstream-source.ts';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown, max = 4000): string | undefined =>
  typeof value === 'string' ? value.slice(0, max) : undefined;
const list = (value: unknown, max = 1000): unknown[] => (Array.isArray(value) ? value.slice(0, max) : []);

function absoluteUrl(value: unknown): URL | undefined {
  const given = text(value, 2000);
  if (!given) return undefined;
  try {
    const url = new URL(given);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An external URL of the package (project, icon, license), or undefined: one that points at the upstream (whose
 * hosts are `upstreamOrigins`) is never passed on, because a client must reach nothing but nugget.
 */
function externalUrl(value: unknown, upstreamOrigins: ReadonlySet<string>): string | undefined {
  const url = absoluteUrl(value);
  return url && !upstreamOrigins.has(url.origin) ? url.href : undefined;
}

const pointsAtUpstream = (value: unknown, upstreamOrigins: ReadonlySet<string>): boolean => {
  const url = absoluteUrl(value);
  return url !== undefined && upstreamOrigins.has(url.origin);
};

function authorsOf(value: unknown): string {
  if (Array.isArray(value)) return value.filter((a) => typeof a === 'string').join(', ');
  return text(value) ?? '';
}

function tagsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((t): t is string => typeof t === 'string').slice(0, 200);
  return (text(value) ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .slice(0, 200);
}

function dependencyGroupsOf(value: unknown): { groups: DependencyGroupRecord[]; ranges: VersionRange[] } {
  const ranges: VersionRange[] = [];
  const groups = list(value, 200)
    .filter(isObject)
    .map((group) => ({
      targetFramework: text(group['targetFramework'], 200) ?? '',
      dependencies: list(group['dependencies'], 2000)
        .filter(isObject)
        .flatMap((d) => {
          const id = text(d['id'], 200);
          if (!id || !isValidPackageId(id)) return [];
          // An absent range means any version (spec, "Package dependency"): say so explicitly.
          const range = text(d['range'], 200) ?? '(, )';
          const parsed = tryParseVersionRange(range);
          if (parsed) ranges.push(parsed);
          return [{ id, range }];
        }),
    }));
  return { groups, ranges };
}

function deprecationOf(value: unknown): PackageDeprecation | undefined {
  if (!isObject(value)) return undefined;
  const reasons = list(value['reasons'], 20).filter((r): r is string => typeof r === 'string');
  if (reasons.length === 0) return undefined;
  const alternate = value['alternatePackage'];
  const alternateId = isObject(alternate) ? text(alternate['id'], 200) : undefined;
  return {
    reasons,
    message: text(value['message']),
    alternatePackage:
      alternateId && isObject(alternate)
        ? { id: alternateId, range: text(alternate['range'], 200) }
        : undefined,
  };
}

function vulnerabilitiesOf(value: unknown): PackageVulnerability[] {
  return list(value, 100)
    .filter(isObject)
    .flatMap((v) => {
      const url = absoluteUrl(v['advisoryUrl']);
      const severity = Number(v['severity']);
      if (!url || !Number.isInteger(severity) || severity < 0 || severity > 3) return [];
      return [{ advisoryUrl: url.href, severity: severity as AdvisorySeverity }];
    });
}

/** nuget.org marks unlisted versions with this published date (registration-base-url-resource.md, "published"). */
const unlistedPublished = /^1900-01-01/;

/**
 * One registration leaf's catalogEntry as an UpstreamEntry of `lowerId`, or undefined when it is not one (another
 * id, no version, not an object).
 */
export function upstreamEntryOf(
  catalogEntry: unknown,
  lowerId: string,
  upstreamOrigins: ReadonlySet<string>,
): UpstreamEntry | undefined {
  if (!isObject(catalogEntry)) return undefined;
  const id = text(catalogEntry['id'], 200);
  const parsed = tryParseVersion(text(catalogEntry['version'], 200) ?? '');
  if (!id || id.toLowerCase() !== lowerId || !isValidPackageId(id) || !parsed) return undefined;
  const version = toNormalizedString(parsed);
  const published = text(catalogEntry['published'], 64) ?? '1900-01-01T00:00:00+00:00';
  const publishedOk = !Number.isNaN(Date.parse(published));
  const listed =
    typeof catalogEntry['listed'] === 'boolean' ? catalogEntry['listed'] : !unlistedPublished.test(published);
  const { groups, ranges } = dependencyGroupsOf(catalogEntry['dependencyGroups']);
  const licenseExpression = text(catalogEntry['licenseExpression'], 500) || undefined;
  const embeddedFiles: EmbeddedFileKind[] = ['nuspec'];
  // A URL into the upstream is one of the package's own files, which nugget serves from the package it caches.
  if (pointsAtUpstream(catalogEntry['iconUrl'], upstreamOrigins)) embeddedFiles.push('icon');
  if (!licenseExpression && pointsAtUpstream(catalogEntry['licenseUrl'], upstreamOrigins)) {
    embeddedFiles.push('license');
  }
  if (absoluteUrl(catalogEntry['readmeUrl'])) embeddedFiles.push('readme');
  const packageTypes = list(catalogEntry['packageTypes'], 20)
    .filter(isObject)
    .flatMap((t) => {
      const name = text(t['name'], 200);
      return name ? [{ name, version: text(t['version'], 50) }] : [];
    });
  return {
    version: {
      id,
      lowerId,
      version,
      lowerVersion: version.toLowerCase(),
      fullVersion: toFullString(parsed),
      isPrerelease: isPrerelease(parsed),
      isSemVer2: isSemVer2Package({ version: parsed, dependencyRanges: ranges }),
      listed,
      published: publishedOk ? published : '1900-01-01T00:00:00+00:00',
      downloads: 0,
      packageSize: 0,
      packageHash: '',
      blobPrefix: '',
      embeddedFiles,
      metadata: {
        title: text(catalogEntry['title']) || undefined,
        authors: authorsOf(catalogEntry['authors']),
        description: text(catalogEntry['description'], 100_000) ?? '',
        summary: text(catalogEntry['summary']) || undefined,
        copyright: text(catalogEntry['copyright']) || undefined,
        language: text(catalogEntry['language'], 100) || undefined,
        tags: tagsOf(catalogEntry['tags']),
        projectUrl: externalUrl(catalogEntry['projectUrl'], upstreamOrigins),
        iconUrl: embeddedFiles.includes('icon')
          ? undefined
          : externalUrl(catalogEntry['iconUrl'], upstreamOrigins),
        licenseUrl: licenseExpression ? undefined : externalUrl(catalogEntry['licenseUrl'], upstreamOrigins),
        licenseExpression,
        requireLicenseAcceptance: catalogEntry['requireLicenseAcceptance'] === true,
        developmentDependency: false,
        minClientVersion: text(catalogEntry['minClientVersion'], 50) || undefined,
        packageTypes,
        dependencyGroups: groups,
      },
      deprecation: deprecationOf(catalogEntry['deprecation']),
    },
    vulnerabilities: vulnerabilitiesOf(catalogEntry['vulnerabilities']),
  };
}

/**
 * One search result as an UpstreamEntry per version it lists: the latest carries the result's metadata, the others
 * only their version and download count (all a search document prints of them).
 */
export function upstreamSearchEntriesOf(
  result: unknown,
  upstreamOrigins: ReadonlySet<string>,
): { lowerId: string; entries: UpstreamEntry[] } | undefined {
  if (!isObject(result)) return undefined;
  const id = text(result['id'], 200);
  if (!id || !isValidPackageId(id)) return undefined;
  const lowerId = id.toLowerCase();
  const latest = upstreamEntryOf(
    { ...result, dependencyGroups: [], published: text(result['published']) ?? new Date(0).toISOString() },
    lowerId,
    upstreamOrigins,
  );
  if (!latest) return undefined;
  const versions = list(result['versions'], 5000).filter(isObject);
  const entries: UpstreamEntry[] = [];
  for (const item of versions) {
    const parsed = tryParseVersion(text(item['version'], 200) ?? '');
    if (!parsed) continue;
    const downloads = Number(item['downloads']);
    const normalized = toNormalizedString(parsed);
    if (normalized.toLowerCase() === latest.version.lowerVersion) continue;
    entries.push({
      version: {
        ...latest.version,
        version: normalized,
        lowerVersion: normalized.toLowerCase(),
        fullVersion: toFullString(parsed),
        isPrerelease: isPrerelease(parsed),
        downloads: Number.isSafeInteger(downloads) && downloads >= 0 ? downloads : 0,
        deprecation: undefined,
      },
      vulnerabilities: [],
    });
  }
  const latestDownloads = versions.find(
    (item) =>
      tryParseVersion(text(item['version'], 200) ?? '') &&
      text(item['version'])?.toLowerCase() === text(result['version'])?.toLowerCase(),
  )?.['downloads'];
  const total = Number(result['totalDownloads']);
  const others = entries.reduce((sum, e) => sum + e.version.downloads, 0);
  const own = Number(latestDownloads ?? (Number.isSafeInteger(total) ? total - others : 0));
  entries.push({
    ...latest,
    version: { ...latest.version, downloads: Number.isSafeInteger(own) && own >= 0 ? own : 0 },
  });
  return { lowerId, entries };
}

/** The advisories of upstream entries, as a feed stores advisories: one per version, with an exact range. */
export function advisoriesOfEntries(entries: readonly UpstreamEntry[], updated: string) {
  return entries.flatMap((entry) =>
    entry.vulnerabilities.map((v) => ({
      lowerId: entry.version.lowerId,
      url: v.advisoryUrl,
      severity: v.severity,
      versions: `[${entry.version.version}]`,
      updated,
    })),
  );
}
