// Registration (package metadata) documents: ../shared/spec/nuget-api/registration-base-url-resource.md
import { tryParseVersion } from '../nuget/versioning/index.ts';
import { metadataUrl } from './metadata-url.ts';
import type { PackageDeprecation, PackageProvenance, PackageVersion } from './package-version.ts';
import type { RegistrationHive, ResourceUrls } from './resource-urls.ts';
import {
  type PackageVulnerability,
  type VulnerabilityAdvisory,
  vulnerabilitiesOf,
} from './vulnerability-info.ts';

/** nuget.org's heuristic (spec, "Registration pages and leaves"): inline everything below 128 versions, else pages of 64. */
export const inlineVersionLimit = 128;
export const registrationPageSize = 64;

/** Whether a version belongs in a hive: the hives below 3.6.0 leave SemVer 2.0.0 packages out. */
export const isInHive = (hive: RegistrationHive, version: Pick<PackageVersion, 'isSemVer2'>): boolean =>
  hive === 'semver2-gz' || !version.isSemVer2;

export interface RegistrationPageRef {
  readonly lowerId: string;
  readonly lower: string;
  readonly upper: string;
}

function licenseUrl(urls: ResourceUrls, v: PackageVersion): string | undefined {
  const m = v.metadata;
  // nuget.org points expression-licensed packages at licenses.nuget.org (../shared/spec/reference/licenses.nuget.org.md).
  if (m.licenseExpression) return `https://licenses.nuget.org/${encodeURIComponent(m.licenseExpression)}`;
  if (v.embeddedFiles.includes('license')) return urls.embeddedFile(v.lowerId, v.lowerVersion, 'license');
  return metadataUrl(m.licenseUrl);
}

export function iconUrl(urls: ResourceUrls, v: PackageVersion): string | undefined {
  // An embedded icon is served from the feed without touching the nupkg (implementation-guide.md, "Embedded files").
  if (v.embeddedFiles.includes('icon')) return urls.embeddedFile(v.lowerId, v.lowerVersion, 'icon');
  return metadataUrl(v.metadata.iconUrl);
}

export const projectUrl = (v: PackageVersion): string | undefined => metadataUrl(v.metadata.projectUrl);

export function readmeUrl(urls: ResourceUrls, v: PackageVersion): string | undefined {
  return v.embeddedFiles.includes('readme')
    ? urls.embeddedFile(v.lowerId, v.lowerVersion, 'readme')
    : undefined;
}

export { licenseUrl };

const provenanceDocument = (p: PackageProvenance) => ({ upstream: p.upstream, cachedAt: p.cachedAt });

/** Drops undefined members so documents carry only what is known (clients treat absent and empty alike). */
function compact<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}

/** Spec, "Package deprecation": reasons, an optional message and alternate package (registration and search alike). */
export function deprecationDocument(d: PackageDeprecation) {
  return compact({
    reasons: [...d.reasons],
    message: d.message || undefined,
    alternatePackage: d.alternatePackage
      ? compact({ id: d.alternatePackage.id, range: d.alternatePackage.range })
      : undefined,
  });
}

/** `vulnerabilities`: the advisories that concern this version (registration prints severity as a string). */
export function buildCatalogEntry(
  urls: ResourceUrls,
  hive: RegistrationHive,
  v: PackageVersion,
  vulnerabilities: readonly PackageVulnerability[] = [],
) {
  const m = v.metadata;
  const leaf = urls.registrationLeaf(hive, v.lowerId, v.lowerVersion);
  return compact({
    '@id': leaf,
    '@type': 'PackageDetails',
    authors: m.authors,
    deprecation: v.deprecation ? deprecationDocument(v.deprecation) : undefined,
    dependencyGroups: m.dependencyGroups.map((group, index) =>
      compact({
        '@id': `${leaf}#dependencygroup/${group.targetFramework.toLowerCase() || index}`,
        '@type': 'PackageDependencyGroup',
        // An absent targetFramework means "any framework"; a group with no dependencies is kept, because it tells
        // the client that this framework is supported (../shared/notes/landscape.md §5, row 18).
        targetFramework: group.targetFramework || undefined,
        dependencies: group.dependencies.map((d) => ({
          '@id': `${leaf}#dependencygroup/${group.targetFramework.toLowerCase() || index}/${d.id.toLowerCase()}`,
          '@type': 'PackageDependency',
          id: d.id,
          range: d.range,
          registration: urls.registrationIndex(hive, d.id.toLowerCase()),
        })),
      }),
    ),
    description: m.description,
    iconUrl: iconUrl(urls, v),
    id: v.id,
    language: m.language || undefined,
    licenseExpression: m.licenseExpression,
    licenseUrl: licenseUrl(urls, v),
    listed: v.listed,
    // Pushes refuse one that is not a version; one stored before that must still not break the page.
    minClientVersion:
      m.minClientVersion !== undefined && tryParseVersion(m.minClientVersion)
        ? m.minClientVersion
        : undefined,
    packageContent: urls.nupkg(v.lowerId, v.lowerVersion),
    packageTypes:
      m.packageTypes.length > 0
        ? m.packageTypes.map((t) => compact({ name: t.name, version: t.version }))
        : undefined,
    projectUrl: projectUrl(v),
    published: v.published,
    readmeUrl: readmeUrl(urls, v),
    requireLicenseAcceptance: m.requireLicenseAcceptance,
    summary: m.summary || undefined,
    tags: m.tags,
    title: m.title || undefined,
    version: v.fullVersion,
    vulnerabilities:
      vulnerabilities.length > 0
        ? vulnerabilities.map((x) => ({ advisoryUrl: x.advisoryUrl, severity: String(x.severity) }))
        : undefined,
    // Not NuGet's: which upstream feed got this package, and when (docs/upstreams.md). Clients ignore it. The
    // upstream's URL stays out: no document names an upstream.
    nuggetProvenance: v.provenance ? provenanceDocument(v.provenance) : undefined,
  });
}

function buildLeafInPage(
  urls: ResourceUrls,
  hive: RegistrationHive,
  v: PackageVersion,
  advisories: readonly VulnerabilityAdvisory[],
) {
  return {
    '@id': urls.registrationLeaf(hive, v.lowerId, v.lowerVersion),
    '@type': 'Package',
    catalogEntry: buildCatalogEntry(urls, hive, v, vulnerabilitiesOf(advisories, v)),
    packageContent: urls.nupkg(v.lowerId, v.lowerVersion),
    registration: urls.registrationIndex(hive, v.lowerId),
  };
}

/** What paging needs of a version: its normalized string for the bounds. */
type Paged = Pick<PackageVersion, 'version'>;

function pageBounds(versions: readonly Paged[]): { lower: string; upper: string } {
  // Page bounds are normalized versions without build metadata (spec, "Registration page object").
  return { lower: versions[0]?.version ?? '', upper: versions.at(-1)?.version ?? '' };
}

/** Splits versions (sorted lowest first, all in the hive) into pages. */
export function registrationPages<T extends Paged>(versions: readonly T[]): T[][] {
  const size = versions.length < inlineVersionLimit ? Math.max(versions.length, 1) : registrationPageSize;
  const pages: T[][] = [];
  for (let i = 0; i < versions.length; i += size) pages.push(versions.slice(i, i + size));
  return pages;
}

function pageReference(
  urls: ResourceUrls,
  hive: RegistrationHive,
  lowerId: string,
  versions: readonly Paged[],
) {
  const { lower, upper } = pageBounds(versions);
  return {
    '@id': urls.registrationPage(hive, lowerId, lower, upper),
    '@type': 'catalog:CatalogPage',
    count: versions.length,
    lower,
    upper,
  };
}

function buildPage(
  urls: ResourceUrls,
  hive: RegistrationHive,
  lowerId: string,
  versions: readonly PackageVersion[],
  advisories: readonly VulnerabilityAdvisory[],
) {
  return {
    ...pageReference(urls, hive, lowerId, versions),
    items: versions.map((v) => buildLeafInPage(urls, hive, v, advisories)),
    parent: urls.registrationIndex(hive, lowerId),
  };
}

/** `versions` sorted lowest first and already limited to the hive; undefined when the hive has none (a 404). */
export function buildRegistrationIndex(
  urls: ResourceUrls,
  hive: RegistrationHive,
  lowerId: string,
  versions: readonly PackageVersion[],
  advisories: readonly VulnerabilityAdvisory[] = [],
) {
  if (versions.length === 0) return undefined;
  if (versions.length >= inlineVersionLimit)
    return buildPagedRegistrationIndex(urls, hive, lowerId, versions);
  return {
    '@id': urls.registrationIndex(hive, lowerId),
    '@type': ['catalog:CatalogRoot', 'PackageRegistration', 'catalog:Permalink'],
    count: 1,
    items: [buildPage(urls, hive, lowerId, versions, advisories)],
  };
}

/**
 * The index of an id with `inlineVersionLimit` versions or more (sorted lowest first, all in the hive): page
 * references only, so it needs the versions' strings, not their metadata (PackageStore.findVersionKeys).
 */
export function buildPagedRegistrationIndex(
  urls: ResourceUrls,
  hive: RegistrationHive,
  lowerId: string,
  versions: readonly Paged[],
) {
  const pages = registrationPages(versions);
  return {
    '@id': urls.registrationIndex(hive, lowerId),
    '@type': ['catalog:CatalogRoot', 'PackageRegistration', 'catalog:Permalink'],
    count: pages.length,
    items: pages.map((page) => pageReference(urls, hive, lowerId, page)),
  };
}

/**
 * Of `versions` (sorted lowest first, all in the hive), the page whose bounds are exactly lower..upper (compared
 * case-insensitively), or undefined.
 */
export function findRegistrationPage<T extends Paged>(
  versions: readonly T[],
  lower: string,
  upper: string,
): T[] | undefined {
  return registrationPages(versions).find((p) => {
    const bounds = pageBounds(p);
    return (
      bounds.lower.toLowerCase() === lower.toLowerCase() && bounds.upper.toLowerCase() === upper.toLowerCase()
    );
  });
}

/** A page with its leaves inlined: `versions` sorted lowest first, all in the hive (a result of findRegistrationPage). */
export function buildRegistrationPage(
  urls: ResourceUrls,
  hive: RegistrationHive,
  lowerId: string,
  versions: readonly PackageVersion[],
  advisories: readonly VulnerabilityAdvisory[] = [],
) {
  return buildPage(urls, hive, lowerId, versions, advisories);
}

export function buildRegistrationLeaf(urls: ResourceUrls, hive: RegistrationHive, v: PackageVersion) {
  return {
    '@id': urls.registrationLeaf(hive, v.lowerId, v.lowerVersion),
    '@type': ['Package', 'http://schema.nuget.org/catalog#Permalink'],
    catalogEntry: urls.registrationLeaf(hive, v.lowerId, v.lowerVersion),
    listed: v.listed,
    packageContent: urls.nupkg(v.lowerId, v.lowerVersion),
    published: v.published,
    registration: urls.registrationIndex(hive, v.lowerId),
    ...(v.provenance ? { nuggetProvenance: provenanceDocument(v.provenance) } : {}),
  };
}
