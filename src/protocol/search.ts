// Search and autocomplete documents:
// ../shared/spec/nuget-api/search-query-service-resource.md, search-autocomplete-service-resource.md
import type { PackageVersion } from './package-version.ts';
import { deprecationDocument, iconUrl, licenseUrl, projectUrl, readmeUrl } from './registration.ts';
import type { RegistrationHive, ResourceUrls } from './resource-urls.ts';
import { type VulnerabilityAdvisory, vulnerabilitiesOf } from './vulnerability-info.ts';

export interface SearchResultInput {
  /** Visible versions of one id, lowest first; the last describes the result. */
  readonly versions: readonly PackageVersion[];
  /** The advisories of this id; the result lists those that concern the latest version. */
  readonly advisories?: readonly VulnerabilityAdvisory[] | undefined;
}

export function buildSearchResponse(
  urls: ResourceUrls,
  semVer2: boolean,
  totalHits: number,
  results: readonly SearchResultInput[],
) {
  // Version @ids point into the hive that holds every version the client may see.
  const hive: RegistrationHive = semVer2 ? 'semver2-gz' : 'semver1-gz';
  return {
    totalHits,
    data: results.flatMap(({ versions, advisories = [] }) => {
      const latest = versions.at(-1);
      if (!latest) return [];
      const m = latest.metadata;
      const types = m.packageTypes.length > 0 ? m.packageTypes : [{ name: 'Dependency' }];
      const registration = urls.registrationIndex(hive, latest.lowerId);
      return [
        {
          '@id': registration,
          '@type': 'Package',
          registration,
          id: latest.id,
          version: latest.fullVersion,
          description: m.description,
          summary: m.summary ?? '',
          title: m.title ?? latest.id,
          iconUrl: iconUrl(urls, latest),
          licenseUrl: licenseUrl(urls, latest),
          readmeUrl: readmeUrl(urls, latest),
          projectUrl: projectUrl(latest),
          tags: m.tags,
          authors: m.authors
            .split(',')
            .map((a) => a.trim())
            .filter(Boolean),
          owners: m.owners
            ? m.owners
                .split(',')
                .map((o) => o.trim())
                .filter(Boolean)
            : [],
          totalDownloads: versions.reduce((sum, v) => sum + v.downloads, 0),
          verified: false,
          packageTypes: types.map((t) => ({ name: t.name })),
          // Both describe the latest version; the spec's vulnerabilities is an empty array when there are none.
          deprecation: latest.deprecation ? deprecationDocument(latest.deprecation) : undefined,
          vulnerabilities: vulnerabilitiesOf(advisories, latest),
          versions: versions.map((v) => ({
            version: v.fullVersion,
            downloads: v.downloads,
            '@id': urls.registrationLeaf(hive, v.lowerId, v.lowerVersion),
          })),
        },
      ];
    }),
  };
}

export function buildAutocompleteResponse(totalHits: number, data: readonly string[]) {
  return { totalHits, data };
}
