// Which versions a search or autocomplete client may see.
// Spec: ../shared/spec/nuget-api/search-query-service-resource.md ("prerelease", "semVerLevel"):
// without prerelease=true prereleases are hidden; without semVerLevel=2.0.0 SemVer 2.0.0 packages are hidden;
// unlisted versions are never shown.
import type { PackageVersion } from '../protocol/package-version.ts';
import type { SearchFilter } from './ports.ts';

/** The four search levels: bit 0 admits prereleases, bit 1 admits SemVer 2.0.0 packages. */
export const searchLevels = [0, 1, 2, 3] as const;
export type SearchLevel = (typeof searchLevels)[number];

export function searchLevel(filter: Pick<SearchFilter, 'prerelease' | 'semVer2'>): SearchLevel {
  return ((filter.prerelease ? 1 : 0) | (filter.semVer2 ? 2 : 0)) as SearchLevel;
}

export function isVisibleAtLevel(version: PackageVersion, level: SearchLevel): boolean {
  return (
    version.listed &&
    (!version.isPrerelease || (level & 1) !== 0) &&
    (!version.isSemVer2 || (level & 2) !== 0)
  );
}

/** `semVerLevel` is "a SemVer 1.0.0 version string"; 2.0.0 or above opts in to SemVer 2.0.0 packages. */
export function parseSemVerLevel(value: string | undefined): boolean {
  if (!value) return false;
  const major = Number.parseInt(value.trim().split('.')[0] ?? '', 10);
  return Number.isFinite(major) && major >= 2;
}

/** The package types a version declares; a package that declares none is a 'Dependency' package. */
export function packageTypeNames(version: PackageVersion): string[] {
  const names = version.metadata.packageTypes.map((t) => t.name);
  return names.length > 0 ? names : ['Dependency'];
}
