// NuGet versioning: versions, ranges and SemVer 2 detection.
// Spec: ../../../../shared/spec/reference/Package-Versioning.md

import { isSemVer2Version, type NuGetVersion } from './nuget-version.ts';
import { isSemVer2Range, type VersionRange } from './version-range.ts';

export {
  compareVersions,
  isPrerelease,
  isSemVer2Version,
  maxVersionPart,
  type NuGetVersion,
  normalizeVersion,
  parseVersion,
  parseVersionOrReason,
  toFullString,
  toNormalizedString,
  tryParseVersion,
  versionsEqual,
} from './nuget-version.ts';
export {
  anyVersionRange,
  formatVersionRange,
  isSemVer2Range,
  parseVersionRange,
  parseVersionRangeOrReason,
  rangeSatisfies,
  tryParseVersionRange,
  type VersionRange,
} from './version-range.ts';

/**
 * nuget.org's rule ("Semantic Versioning 2.0.0"): a package is SemVer 2 when its own version is,
 * or when any dependency range has a SemVer 2 minimum or maximum. Older clients cannot see it.
 */
export function isSemVer2Package(input: {
  version: NuGetVersion;
  dependencyRanges: readonly VersionRange[];
}): boolean {
  return isSemVer2Version(input.version) || input.dependencyRanges.some(isSemVer2Range);
}
