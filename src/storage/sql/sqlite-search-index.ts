// Search on SQLite FTS5 (bm25), over one search document per id and search level.
// Spec: ../shared/spec/nuget-api/search-query-service-resource.md, search-autocomplete-service-resource.md
import { CompiledQuery, type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import { parseSearchQuery, type SearchField, searchableText } from '../../packages/parse-search-query.ts';
import type { SearchHit, SearchIndex, SearchQuery } from '../../packages/ports.ts';
import {
  isVisibleAtLevel,
  packageTypeNames,
  type SearchLevel,
  searchLevel,
  searchLevels,
} from '../../packages/search-filter.ts';
import { compareVersions, parseVersion } from '../../nuget/versioning/index.ts';
import type { PackageVersion } from '../../protocol/package-version.ts';
import { compiledOnce } from './compiled-once.ts';
import {
  loadSearchHits,
  rankedIds,
  rankedPage,
  type RankedRows,
  rankedRow,
  rankingCacheRows,
  rankingKey,
  searchedVersions,
  idRanking,
  spelledIds,
} from './search-hits.ts';
import { RankingCache, windowRange } from '../../packages/search-ranking.ts';
import type { Database } from './schema.ts';

const ftsColumns: Partial<Record<SearchField, string>> = {
  id: 'id',
  title: 'title',
  tags: 'tags',
  authors: 'authors',
  description: 'description',
  summary: 'summary',
  owners: 'owners',
};
const allTextColumns = '{id title description tags authors summary owners}';

/** "Newtonsoft.Json" -> "Newtonsoft.Json Newtonsoft Json"; "MyCompany.Http" also yields "My Company", so parts of ids are found. */
export function idSearchText(id: string): string {
  const camelSplit = id.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[._-]+/g, ' ');
  return `${id} ${camelSplit}`;
}

/** One FTS5 phrase for a user term, quoted so that nothing in it is FTS syntax; prefix-matched on its last token. */
function ftsPhrase(term: string): string | undefined {
  if (!/[\p{L}\p{N}]/u.test(term)) return undefined;
  return `"${term.replaceAll('"', '""')}"*`;
}

/**
 * Rebuilds the search documents of `lowerId` (one per search level: its latest version that level admits). After
 * a push, `inserted` (the version just added, nothing else of the id changed): only the levels whose latest
 * version it now is are rewritten, from the documents alone, not from every version of the id; an id with 5,000
 * versions costs a push what an id with one does (issue 17). Each step is one statement for every level at once.
 */
export async function refreshSearchDocuments(
  trx: Transaction<Database>,
  feed: string,
  lowerId: string,
  inserted?: PackageVersion,
): Promise<void> {
  const { rows: docs } = await selectDocuments(trx, { feed, lowerId });
  // A version that brings downloads of its own (copied with its history) changes the id's total: rebuilt. So does
  // an id without documents (its first version, or only unlisted ones): its downloads are on no document.
  const [first] = docs;
  if (inserted?.downloads === 0 && first)
    return refreshAfterInsert(trx, feed, inserted, docs, first.total_downloads);
  const { versions, totalDownloads } = await searchedVersions(trx, feed, lowerId);
  await deleteDocuments(
    trx,
    docs.map((d) => d.doc_id),
  );
  const latest = searchLevels.flatMap((level) => {
    const version = versions.filter((v) => isVisibleAtLevel(v, level)).at(-1);
    return version ? [{ level, version }] : [];
  });
  await insertDocuments(trx, feed, lowerId, totalDownloads, latest);
}

interface DocumentRow {
  doc_id: number;
  level: number;
  lower_version: string;
  total_downloads: number;
}

const selectDocuments = compiledOnce((db, p: { feed: string; lowerId: string }) =>
  db
    .selectFrom('search_documents')
    .select(['doc_id', 'level', 'lower_version', 'total_downloads'])
    .where('feed', '=', p.feed)
    .where('lower_id', '=', p.lowerId),
);

/** What a search document holds of its version, besides the id's downloads. */
const packageTypesOf = (latest: PackageVersion) => ` ${packageTypeNames(latest).join(' ').toLowerCase()} `;

/**
 * SQL text with `count` repeats of `each` (a parenthesized list of placeholders), made once per text and count:
 * the statement cache finds the statement by its text (sqlite-statement-cache.ts), and a push writes 1 to 4 rows.
 */
const repeatedSql = (() => {
  const made = new Map<string, string>();
  return (head: string, each: string, count: number, tail = ''): string => {
    const key = `${head}\u0000${each}\u0000${count}\u0000${tail}`;
    let text = made.get(key);
    if (text === undefined) {
      text = `${head}${Array.from({ length: count }, () => each).join(', ')}${tail}`;
      made.set(key, text);
    }
    return text;
  };
})();

async function run(trx: Transaction<Database>, text: string, parameters: unknown[]) {
  return trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, parameters));
}

/** Removes documents and their full-text rows (rowid = doc_id). */
async function deleteDocuments(trx: Transaction<Database>, docIds: readonly number[]): Promise<void> {
  if (docIds.length === 0) return;
  await run(trx, repeatedSql('DELETE FROM search_fts WHERE rowid IN (', '?', docIds.length, ')'), [
    ...docIds,
  ]);
  await run(trx, repeatedSql('DELETE FROM search_documents WHERE doc_id IN (', '?', docIds.length, ')'), [
    ...docIds,
  ]);
}

/** New documents of an id, each with its full-text row. */
async function insertDocuments(
  trx: Transaction<Database>,
  feed: string,
  lowerId: string,
  totalDownloads: number,
  documents: readonly { level: SearchLevel; version: PackageVersion }[],
): Promise<void> {
  if (documents.length === 0) return;
  const { rows } = await run(
    trx,
    repeatedSql(
      'INSERT INTO search_documents (feed, lower_id, level, total_downloads, lower_version, package_types) VALUES ',
      '(?, ?, ?, ?, ?, ?)',
      documents.length,
      ' RETURNING doc_id, level',
    ),
    documents.flatMap(({ level, version }) => [
      feed,
      lowerId,
      level,
      totalDownloads,
      version.lowerVersion,
      packageTypesOf(version),
    ]),
  );
  // RETURNING yields rows in no promised order (https://www.sqlite.org/lang_returning.html): matched by level.
  const docIdOf = new Map(rows.map((row) => [Number(row.level), Number(row.doc_id)]));
  await insertFtsRows(
    trx,
    documents.map(({ level, version }) => ({ docId: docIdOf.get(level) ?? NaN, version })),
  );
}

async function insertFtsRows(
  trx: Transaction<Database>,
  rows: readonly { docId: number; version: PackageVersion }[],
): Promise<void> {
  if (rows.length === 0) return;
  await run(
    trx,
    repeatedSql(
      'INSERT INTO search_fts (rowid, id, title, description, tags, authors, summary, owners) VALUES ',
      '(?, ?, ?, ?, ?, ?, ?, ?)',
      rows.length,
    ),
    rows.flatMap(({ docId, version }) => {
      const m = version.metadata;
      return [
        docId,
        idSearchText(version.id),
        m.title ?? '',
        m.description,
        m.tags.join(' '),
        m.authors,
        m.summary ?? '',
        m.owners ?? '',
      ];
    }),
  );
}

/**
 * The documents after `inserted` joined its id: a level it is visible at and whose document names a lower version
 * (or none) now names it. The id has documents (`docs`), so its downloads are known: a new version's are 0, the
 * id's total is what its other documents carry.
 */
async function refreshAfterInsert(
  trx: Transaction<Database>,
  feed: string,
  inserted: PackageVersion,
  docs: readonly DocumentRow[],
  totalDownloads: number,
): Promise<void> {
  const version = parseVersion(inserted.fullVersion);
  const replaced: number[] = [];
  const created: { level: SearchLevel; version: PackageVersion }[] = [];
  for (const level of searchLevels) {
    if (!isVisibleAtLevel(inserted, level)) continue;
    const doc = docs.find((d) => d.level === level);
    if (!doc) created.push({ level, version: inserted });
    else if (compareVersions(parseVersion(doc.lower_version), version) < 0) replaced.push(doc.doc_id);
  }
  if (replaced.length > 0) {
    await run(
      trx,
      repeatedSql('DELETE FROM search_fts WHERE rowid IN (', '?', replaced.length, ')'),
      replaced,
    );
    await run(
      trx,
      repeatedSql(
        'UPDATE search_documents SET lower_version = ?, package_types = ? WHERE doc_id IN (',
        '?',
        replaced.length,
        ')',
      ),
      [inserted.lowerVersion, packageTypesOf(inserted), ...replaced],
    );
    await insertFtsRows(
      trx,
      replaced.map((docId) => ({ docId, version: inserted })),
    );
  }
  await insertDocuments(trx, feed, inserted.lowerId, totalDownloads, created);
}

interface Plan {
  match: string | undefined;
  filters: RawBuilder<unknown>[];
  /** The free text as typed, lower-cased, for exact-id and id-prefix ranking. */
  rankText: string;
}

export class SqliteSearchIndex implements SearchIndex {
  readonly #db: Kysely<Database>;
  readonly #feed: string;
  readonly #rankings = new RankingCache(rankingCacheRows);

  constructor(db: Kysely<Database>, feed: string) {
    this.#db = db;
    this.#feed = feed;
  }

  async search(query: SearchQuery): Promise<{ totalHits: number; hits: SearchHit[] }> {
    const level = searchLevel(query);
    const plan = this.#plan(query.q, 'search');
    const { totalHits, lowerIds } = await this.#run(plan, level, query, rankingKey(level, query));
    if (lowerIds.length === 0) return { totalHits, hits: [] };
    return { totalHits, hits: await loadSearchHits(this.#db, this.#feed, lowerIds, level) };
  }

  async autocompleteIds(query: SearchQuery): Promise<{ totalHits: number; ids: string[] }> {
    const level = searchLevel(query);
    const plan = this.#plan(query.q, 'autocomplete');
    const { totalHits, lowerIds } = await this.#run(plan, level, query);
    if (lowerIds.length === 0) return { totalHits, ids: [] };
    return { totalHits, ids: await spelledIds(this.#db, this.#feed, lowerIds, level) };
  }

  #plan(q: string, mode: 'search' | 'autocomplete'): Plan {
    if (mode === 'autocomplete') {
      // nuget.org matches the prefix of id tokens; the whole q is one prefix.
      const prefix = searchableText(q).trim();
      const phrase = ftsPhrase(prefix);
      return { match: phrase && `id : ${phrase}`, filters: [], rankText: prefix.toLowerCase() };
    }
    const parsed = parseSearchQuery(q);
    const clauses: string[] = [];
    const filters: RawBuilder<unknown>[] = [];
    for (const term of parsed.terms) {
      const phrase = ftsPhrase(term);
      if (phrase) clauses.push(`${allTextColumns} : ${phrase}`);
    }
    for (const [field, values] of parsed.fields) {
      for (const value of values) {
        if (field === 'packageid') {
          filters.push(sql`d.lower_id = ${value.toLowerCase()}`);
        } else if (field === 'version') {
          filters.push(
            sql`EXISTS (SELECT 1 FROM package_versions pv WHERE pv.feed = d.feed AND pv.lower_id = d.lower_id
                AND pv.listed = 1
                AND (pv.lower_version = ${value.toLowerCase()} OR lower(pv.full_version) = ${value.toLowerCase()}))`,
          );
        } else {
          const phrase = ftsPhrase(value);
          if (phrase) clauses.push(`${ftsColumns[field]} : ${phrase}`);
        }
      }
    }
    const rankText = (
      parsed.terms.length === 1 ? (parsed.terms[0] ?? '') : parsed.terms.join(' ')
    ).toLowerCase();
    return { match: clauses.length > 0 ? clauses.join(' AND ') : undefined, filters, rankText };
  }

  async #run(
    plan: Plan,
    level: SearchLevel,
    query: SearchQuery,
    /** Where the page's window is kept (search answers are rebuilt as download counts move); none: not kept. */
    cacheKey?: string,
  ): Promise<{ totalHits: number; lowerIds: string[] }> {
    const conditions: RawBuilder<unknown>[] = [
      sql`d.feed = ${this.#feed}`,
      sql`d.level = ${level}`,
      ...plan.filters,
    ];
    if (plan.match) conditions.push(sql`search_fts MATCH ${plan.match}`);
    if (query.packageType) {
      conditions.push(
        sql`instr(d.package_types, ${` ${searchableText(query.packageType).trim().toLowerCase()} `}) > 0`,
      );
    }
    const where = sql.join(conditions, sql` AND `);
    const from = plan.match
      ? sql`search_documents d JOIN search_fts ON search_fts.rowid = d.doc_id`
      : sql`search_documents d`;

    const countAll = async () => {
      const count = await sql<{ n: number }>`SELECT count(*) AS n FROM ${from} WHERE ${where}`.execute(
        this.#db,
      );
      return Number(count.rows[0]?.n ?? 0);
    };
    if (query.take === 0) return { totalHits: await countAll(), lowerIds: [] };

    const ids = idRanking(plan.rankText);
    if (!plan.match) {
      const terms = [...ids.browse, sql`total_downloads DESC`, sql`lower_id`];
      // Without text (the client's browse tab) the count reads the (feed, level, total_downloads) index alone.
      const totalHits = await countAll();
      if (totalHits === 0) return { totalHits, lowerIds: [] };
      const page = await sql<{
        lower_id: string;
      }>`SELECT d.lower_id, d.total_downloads FROM ${from} WHERE ${where}
        ORDER BY ${sql.join(terms, sql`, `)} LIMIT ${query.take} OFFSET ${query.skip}`.execute(this.#db);
      return { totalHits, lowerIds: page.rows.map((r) => r.lower_id) };
    }
    // Exact id first, then id prefixes, then bm25 (lower is better), then downloads and the id: the first three as
    // ascending keys, which a window of the page keeps (search-ranking.ts).
    const { exact, idPrefix } = ids;
    const rank = async (): Promise<RankedRows> => {
      const { offset, limit } = windowRange(query.skip, query.take);
      // A common word matches most of a big feed, and FTS5 spends its time walking the matches and computing bm25
      // for each: the count and the page share one materialized walk instead of walking twice (SQLite's sorter keeps
      // only offset + limit rows for ORDER BY ... LIMIT). bm25's weights follow the column order of search_fts: id,
      // title, description, tags, authors, summary, owners.
      const page = await sql<{
        lower_id: string;
        downloads: number;
        k1: number;
        k2: number;
        k3: number;
        n: number;
      }>`WITH matches AS MATERIALIZED (
          SELECT d.lower_id, d.total_downloads AS downloads, ${exact} AS k1, ${idPrefix} AS k2,
            bm25(search_fts, 10.0, 5.0, 1.0, 3.0, 2.0, 2.0, 1.0) AS k3
          FROM ${from} WHERE ${where})
        SELECT lower_id, downloads, k1, k2, k3, (SELECT count(*) FROM matches) AS n FROM matches
        ORDER BY k1, k2, k3, downloads DESC, lower_id LIMIT ${limit} OFFSET ${offset}`.execute(this.#db);
      const first = page.rows[0];
      // A page past the last match has no row to carry the count.
      const totalHits = first ? Number(first.n) : query.skip === 0 ? 0 : await countAll();
      return { totalHits, rows: page.rows.map(rankedRow), start: query.skip - offset };
    };
    if (cacheKey === undefined) return rankedIds(await rank(), query.take);
    return rankedPage(
      this.#db,
      { feed: this.#feed, level, cache: this.#rankings, key: cacheKey, ...query },
      rank,
    );
  }
}
