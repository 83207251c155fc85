// Quotas of a feed (docs/retention.md, "Quotas"): the most bytes of packages it holds, the most versions an id has.
// Checked inside the insert's transaction, under the feed's write lock (PackageStore.insert's `admit`), so
// concurrent pushes never overshoot a quota between the check and the commit.
//
// Refused with 413, not 409: `dotnet nuget push --skip-duplicate` takes any 409 for "already exists" and reports
// success, so a CI job would never learn that its package was refused (docs/decisions/0017-retention-and-quotas.md).
import { tooLarge } from '../errors.ts';
import type { PackageVersion } from '../protocol/package-version.ts';
import type { FeedSettings } from './feed.ts';
import type { FeedUsage } from './ports.ts';

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 'bytes';
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit} (${bytes} bytes)`;
}

/** The check to run inside the insert, or undefined when the feed has no quota. */
export function quotaAdmission(
  feed: { readonly name: string; readonly settings: Pick<FeedSettings, 'maxFeedSize' | 'maxVersionsPerId'> },
  version: Pick<PackageVersion, 'id' | 'version' | 'packageSize'>,
): ((usage: FeedUsage) => void) | undefined {
  const { maxFeedSize, maxVersionsPerId } = feed.settings;
  if (maxFeedSize === undefined && maxVersionsPerId === undefined) return undefined;
  const change = (setting: string) =>
    `nugget feed update ${feed.name} --set ${setting}=<higher limit>, or remove old versions (nugget retention run --feed ${feed.name}; docs/retention.md)`;
  return (usage) => {
    if (maxVersionsPerId !== undefined && usage.idVersions + 1 > maxVersionsPerId) {
      throw tooLarge(
        'quota_versions_per_id',
        `Feed '${feed.name}' is at its quota maxVersionsPerId: ${version.id} may have at most ${maxVersionsPerId} ` +
          `versions there and has ${usage.idVersions}, so ${version.version} is refused. Make room: ` +
          `${change('maxVersionsPerId')}.`,
      );
    }
    if (maxFeedSize !== undefined && usage.totalBytes + version.packageSize > maxFeedSize) {
      throw tooLarge(
        'quota_feed_size',
        `Feed '${feed.name}' is at its quota maxFeedSize: it may hold ${size(maxFeedSize)} of packages and holds ` +
          `${size(usage.totalBytes)}; ${version.id} ${version.version} (${size(version.packageSize)}) does not fit. ` +
          `Make room (deleted versions free space, unlisted ones do not): ${change('maxFeedSize')}.`,
      );
    }
  };
}
