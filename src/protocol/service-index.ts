// Service index: ../shared/spec/nuget-api/service-index.md
// The client matches @type strings exactly and in its own priority order
// (../shared/notes/client-behaviour.md §1.1): search and autocomplete must carry /3.0.0-beta or /3.4.0,
// because /3.5.0 alone is not found. Only what is implemented is advertised.
import type { ResourceUrls } from './resource-urls.ts';

export interface ServiceIndexResource {
  readonly '@id': string;
  readonly '@type': string;
  readonly comment?: string;
}

export interface ServiceIndex {
  readonly version: '3.0.0';
  readonly resources: readonly ServiceIndexResource[];
}

export interface ServiceIndexOptions {
  /** An https URL template with {id} and {version}: a web page about a package (package-details-template-resource.md). */
  readonly packageDetailsUrl?: string | undefined;
  /** A URL template with {id} and {version} where users report a package (report-abuse-resource.md). */
  readonly reportAbuseUrl?: string | undefined;
  /**
   * An upstream or virtual feed (docs/upstreams.md): no push, no symbol push, no catalog (a merged feed has no
   * append-only log of its own).
   */
  readonly readOnly?: boolean | undefined;
}

export function buildServiceIndex(urls: ResourceUrls, options: ServiceIndexOptions = {}): ServiceIndex {
  const resources: ServiceIndexResource[] = [];
  const add = (id: string, types: string[], comment: string) => {
    for (const type of types) resources.push({ '@id': id, '@type': type, comment });
  };
  if (!options.readOnly) {
    add(urls.packagePublish, ['PackagePublish/2.0.0'], 'Push, unlist (DELETE) and relist (POST) packages');
    add(
      urls.symbolPackagePublish,
      ['SymbolPackagePublish/4.9.0'],
      `Push symbol packages (.snupkg); symbol server: ${urls.symbolServer}`,
    );
  }
  add(
    urls.packageBaseAddress,
    ['PackageBaseAddress/3.0.0'],
    'Package versions, .nupkg and .nuspec downloads',
  );
  add(
    urls.registrationsBase('semver1'),
    ['RegistrationsBaseUrl', 'RegistrationsBaseUrl/3.0.0-beta', 'RegistrationsBaseUrl/3.0.0-rc'],
    'Package metadata, SemVer 2.0.0 packages excluded',
  );
  add(
    urls.registrationsBase('semver1-gz'),
    ['RegistrationsBaseUrl/3.4.0'],
    'Package metadata, gzip, SemVer 2.0.0 packages excluded',
  );
  add(
    urls.registrationsBase('semver2-gz'),
    ['RegistrationsBaseUrl/3.6.0'],
    'Package metadata, gzip, SemVer 2.0.0 packages included',
  );
  add(
    urls.searchQuery,
    [
      'SearchQueryService',
      'SearchQueryService/3.0.0-beta',
      'SearchQueryService/3.0.0-rc',
      'SearchQueryService/3.4.0',
      'SearchQueryService/3.5.0',
    ],
    'Search packages (3.5.0: packageType filter)',
  );
  add(
    urls.autocomplete,
    [
      'SearchAutocompleteService',
      'SearchAutocompleteService/3.0.0-beta',
      'SearchAutocompleteService/3.0.0-rc',
      'SearchAutocompleteService/3.5.0',
    ],
    'Autocomplete package ids and versions',
  );
  if (!options.readOnly) {
    add(urls.catalogIndex, ['Catalog/3.0.0'], 'Append-only log of every package change, for replication');
  }
  // Always, even without advisories (an empty page then): the client caches this index for 30 minutes, so a
  // resource listed only once the first advisory exists would go unseen that long (vulnerability-info.ts).
  add(
    urls.vulnerabilityIndex,
    ['VulnerabilityInfo/6.7.0'],
    'Known vulnerabilities, for restore audit (NuGetAudit)',
  );
  // ReadmeUriTemplate/6.13.0 (readme-template-resource.md): the flat container serves embedded readmes, 404 without.
  add(urls.readmeTemplate, ['ReadmeUriTemplate/6.13.0'], 'The embedded README of a package version');
  if (options.packageDetailsUrl) {
    add(options.packageDetailsUrl, ['PackageDetailsUriTemplate/5.1.0'], 'A web page about a package version');
  }
  if (options.reportAbuseUrl) {
    // The docs name /3.0.0-beta and /3.0.0-rc; the client looks for /3.0.0 (../shared/notes/landscape.md §3).
    add(
      options.reportAbuseUrl,
      [
        'ReportAbuseUriTemplate/3.0.0',
        'ReportAbuseUriTemplate/3.0.0-beta',
        'ReportAbuseUriTemplate/3.0.0-rc',
      ],
      'Where to report a package',
    );
  }
  return { version: '3.0.0', resources };
}
