// What SQLite's and PostgreSQL's search indexes share once each has ranked its page of ids.
import type { Kysely, Transaction } from 'kysely';
import type { SearchHit } from '../../packages/ports.ts';
import { isVisibleAtLevel, type SearchLevel } from '../../packages/search-filter.ts';
import { sortByVersion } from '../../packages/version-order.ts';
import type { PackageVersion } from '../../protocol/package-version.ts';
import { compiledOnce } from './compiled-once.ts';
import type { Database } from './schema.ts';
import { toPackageVersion } from './sql-package-store.ts';

/** The hits of a page of ranked ids, in rank order: each with the versions its search level admits, lowest first. */
export async function loadSearchHits(
  db: Kysely<Database>,
  feed: string,
  lowerIds: readonly string[],
  level: SearchLevel,
): Promise<SearchHit[]> {
  const rows = await db
    .selectFrom('package_versions')
    .selectAll()
    .where('feed', '=', feed)
    .where('lower_id', 'in', lowerIds)
    .execute();
  const byId = new Map<string, PackageVersion[]>();
  for (const row of rows) {
    const v = toPackageVersion(row);
    if (!isVisibleAtLevel(v, level)) continue;
    const list = byId.get(v.lowerId) ?? [];
    list.push(v);
    byId.set(v.lowerId, list);
  }
  const hits = lowerIds.map((lowerId) => ({ lowerId, versions: sortByVersion(byId.get(lowerId) ?? []) }));
  return hits.filter((h) => h.versions.length > 0);
}

/** Autocomplete answers with ids as the latest version the level admits spells them. */
export async function spelledIds(
  db: Kysely<Database>,
  feed: string,
  lowerIds: readonly string[],
  level: SearchLevel,
): Promise<string[]> {
  const rows = await db
    .selectFrom('search_documents as d')
    .innerJoin('package_versions as v', (j) =>
      j
        .onRef('v.feed', '=', 'd.feed')
        .onRef('v.lower_id', '=', 'd.lower_id')
        .onRef('v.lower_version', '=', 'd.lower_version'),
    )
    .select(['d.lower_id', 'v.id'])
    .where('d.feed', '=', feed)
    .where('d.level', '=', level)
    .where('d.lower_id', 'in', lowerIds)
    .execute();
  const spelled = new Map(rows.map((r) => [r.lower_id, r.id]));
  return lowerIds.map((lowerId) => spelled.get(lowerId) ?? lowerId);
}

const selectVersionsOf = compiledOnce((db, p: { feed: string; lowerId: string }) =>
  db.selectFrom('package_versions').selectAll().where('feed', '=', p.feed).where('lower_id', '=', p.lowerId),
);

/** What both indexers build an id's search documents from: its versions in the feed, lowest first, and their downloads. */
export async function searchedVersions(
  trx: Transaction<Database>,
  feed: string,
  lowerId: string,
): Promise<{ versions: PackageVersion[]; totalDownloads: number }> {
  const { rows } = await selectVersionsOf(trx, { feed, lowerId });
  const versions = sortByVersion(rows.map(toPackageVersion));
  return { versions, totalDownloads: versions.reduce((sum, v) => sum + v.downloads, 0) };
}
