import { compareVersions, parseVersion } from '../nuget/versioning/index.ts';
import type { PackageVersion } from '../protocol/package-version.ts';

/** Sorts versions lowest first by NuGet's precedence (not by string). */
export function sortByVersion<T extends Pick<PackageVersion, 'fullVersion'>>(versions: readonly T[]): T[] {
  const keyed = versions.map((v) => ({ v, parsed: parseVersion(v.fullVersion) }));
  keyed.sort((a, b) => compareVersions(a.parsed, b.parsed));
  return keyed.map((k) => k.v);
}
