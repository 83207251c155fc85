// PackageBaseAddress (flat container) version list: ../shared/spec/nuget-api/package-base-address-resource.md
// Every version, listed or not (restore resolves unlisted versions too), lower-cased and normalized, lowest first.
import type { PackageVersion } from './package-version.ts';

export function buildVersionList(versionsLowestFirst: readonly Pick<PackageVersion, 'lowerVersion'>[]) {
  return { versions: versionsLowestFirst.map((v) => v.lowerVersion) };
}
