// The record of one package version as the feed stores it: everything the V3 documents (flat container,
// registration, search) are built from. It lives beside the builders because protocol/ is below packages/.

export interface PackageDependencyRecord {
  readonly id: string;
  /** Normalized range as registration documents print it, e.g. '[1.0.0, )'. */
  readonly range: string;
}

export interface DependencyGroupRecord {
  /** Normalized target framework; '' means "any framework". */
  readonly targetFramework: string;
  readonly dependencies: readonly PackageDependencyRecord[];
}

export interface PackageTypeRecord {
  readonly name: string;
  readonly version?: string | undefined;
}

/** Metadata from the nuspec, as stored (JSON) with each version. */
export interface PackageMetadata {
  readonly title?: string | undefined;
  readonly authors: string;
  readonly owners?: string | undefined;
  readonly description: string;
  readonly summary?: string | undefined;
  readonly releaseNotes?: string | undefined;
  readonly copyright?: string | undefined;
  readonly language?: string | undefined;
  readonly tags: readonly string[];
  readonly projectUrl?: string | undefined;
  /** The iconUrl the nuspec gives (an external URL); an embedded icon is `iconFile`. */
  readonly iconUrl?: string | undefined;
  readonly iconFile?: string | undefined;
  readonly readmeFile?: string | undefined;
  readonly licenseUrl?: string | undefined;
  readonly licenseExpression?: string | undefined;
  readonly licenseFile?: string | undefined;
  readonly requireLicenseAcceptance: boolean;
  readonly developmentDependency: boolean;
  readonly minClientVersion?: string | undefined;
  readonly repository?:
    | { readonly type?: string; readonly url?: string; readonly branch?: string; readonly commit?: string }
    | undefined;
  readonly packageTypes: readonly PackageTypeRecord[];
  readonly dependencyGroups: readonly DependencyGroupRecord[];
}

/** Spec: ../shared/spec/nuget-api/registration-base-url-resource.md, "Package deprecation". */
export interface PackageDeprecation {
  /** Legacy, CriticalBugs and/or Other. */
  readonly reasons: readonly string[];
  readonly message?: string | undefined;
  readonly alternatePackage?: { readonly id: string; readonly range?: string | undefined } | undefined;
}

/** The embedded files of a package that the feed serves beside the nupkg. */
export type EmbeddedFileKind = 'nuspec' | 'readme' | 'icon' | 'license';

export interface PackageVersion {
  /** The id as the nuspec of this version spells it. */
  readonly id: string;
  readonly lowerId: string;
  /** Normalized version, no metadata: '1.0.0-beta'. */
  readonly version: string;
  readonly lowerVersion: string;
  /** Normalized version with build metadata: '1.0.0+build.5'. */
  readonly fullVersion: string;
  readonly isPrerelease: boolean;
  readonly isSemVer2: boolean;
  readonly listed: boolean;
  /** UTC ISO 8601. */
  readonly published: string;
  readonly downloads: number;
  readonly packageSize: number;
  /** Base64 SHA-512 of the nupkg, as NuGet's catalog prints packageHash. */
  readonly packageHash: string;
  /** Where this version's files live in the blob store (unique per push: see publish-package.ts). */
  readonly blobPrefix: string;
  readonly embeddedFiles: readonly EmbeddedFileKind[];
  readonly metadata: PackageMetadata;
  readonly deprecation?: PackageDeprecation | undefined;
  /** Where a version an upstream feed cached came from (docs/upstreams.md); shown in its registration leaf. */
  readonly provenance?: PackageProvenance | undefined;
}

export interface PackageProvenance {
  /** The upstream feed's name. */
  readonly upstream: string;
  /** Its service index URL. */
  readonly source: string;
  /** ISO 8601: when nugget fetched and stored the package. */
  readonly cachedAt: string;
}

export const nupkgFileName = (lowerId: string, lowerVersion: string): string =>
  `${lowerId}.${lowerVersion}.nupkg`;
