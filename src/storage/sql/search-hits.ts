// What SQLite's and PostgreSQL's search indexes share once each has ranked its page of ids.
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { SearchHit, SearchQuery } from '../../packages/ports.ts';
import { isVisibleAtLevel, type SearchLevel } from '../../packages/search-filter.ts';
import { pageOf, type RankedRow, type RankingCache, windowOf } from '../../packages/search-ranking.ts';
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

/** Rows of ranked windows an index keeps (about 230 bytes each with its id, under 5 MB in all): hundreds of pages of 20. */
export const rankingCacheRows = 20_000;

/** What a search's window is kept under: everything that chooses and orders its matches. */
export function rankingKey(level: SearchLevel, query: SearchQuery): string {
  return JSON.stringify([level, query.q, query.packageType ?? null, query.skip, query.take]);
}

/** One row of a ranking query (the keys as numbers: PostgreSQL sends bigint and numeric values as text). */
export function rankedRow(row: {
  lower_id: string;
  downloads: number | string;
  k1: number | string;
  k2: number | string;
  k3: number | string;
}): RankedRow {
  return {
    lowerId: row.lower_id,
    key: [Number(row.k1), Number(row.k2), Number(row.k3)],
    downloads: Number(row.downloads),
  };
}

/** The page of ranked rows, without keeping a window. */
export function rankedIds(ranked: RankedRows, take: number): { totalHits: number; lowerIds: string[] } {
  const lowerIds = ranked.rows.slice(ranked.start, ranked.start + take).map((r) => r.lowerId);
  return { totalHits: ranked.totalHits, lowerIds };
}

/** What a ranking query gives: the count, and the rows `windowRange` asked for, in rank order. */
export interface RankedRows {
  readonly totalHits: number;
  readonly rows: readonly RankedRow[];
  /** Where the page starts in `rows`. */
  readonly start: number;
}

/**
 * The ids of one page of a text search: from the window ranked at the current stamps, put in order again with the
 * download counts of now, or ranked in full (`rank`) when there is none. The stamps are those of every feed: SQLite's
 * bm25 weighs words by how many documents of the whole index hold them, so a push to any feed may reorder this one's.
 */
export async function rankedPage(
  db: Kysely<Database>,
  scope: { feed: string; level: SearchLevel; cache: RankingCache; key: string; skip: number; take: number },
  rank: () => Promise<RankedRows>,
): Promise<{ totalHits: number; lowerIds: string[] }> {
  const { feed, level, cache, key } = scope;
  // Read before the ranking, so a window is never stored under stamps newer than what it was ranked from.
  const feeds = await db.selectFrom('feeds').select(['name', 'stamp']).orderBy('name').execute();
  const stamp = feeds.map((f) => `${f.name} ${f.stamp}`).join('\n');
  const window = cache.get(key, stamp);
  if (window) {
    const rows = await db
      .selectFrom('search_documents')
      .select(['lower_id', 'total_downloads'])
      .where('feed', '=', feed)
      .where('level', '=', level)
      .where(
        'lower_id',
        'in',
        window.rows.map((r) => r.lowerId),
      )
      .execute();
    const lowerIds = pageOf(window, new Map(rows.map((r) => [r.lower_id, Number(r.total_downloads)])));
    if (lowerIds) return { totalHits: window.totalHits, lowerIds };
    cache.delete(key);
  }
  const ranked = await rank();
  const page = { skip: scope.skip, take: scope.take, totalHits: ranked.totalHits };
  const fresh = windowOf(ranked.rows, page);
  if (fresh) cache.set(key, stamp, fresh);
  return rankedIds(ranked, scope.take);
}

/**
 * What puts an exact id first and ids that begin with the query next (README.md, "Search"), both dialects alike:
 * as descending conditions for a browse without text, and as ascending keys (0 before 1) for a ranked window.
 */
export function idRanking(rankText: string): {
  readonly browse: RawBuilder<unknown>[];
  readonly exact: RawBuilder<unknown>;
  readonly idPrefix: RawBuilder<unknown>;
} {
  if (!rankText) return { browse: [], exact: sql`1`, idPrefix: sql`1` };
  // LIKE's own wildcards in the query match themselves.
  const prefix = `${rankText.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return {
    browse: [sql`(lower_id = ${rankText}) DESC`, sql`(lower_id LIKE ${prefix} ESCAPE '\\') DESC`],
    exact: sql`CASE WHEN d.lower_id = ${rankText} THEN 0 ELSE 1 END`,
    idPrefix: sql`CASE WHEN d.lower_id LIKE ${prefix} ESCAPE '\\' THEN 0 ELSE 1 END`,
  };
}
