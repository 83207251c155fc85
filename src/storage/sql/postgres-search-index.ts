// Search on PostgreSQL (tsvector, ts_rank_cd), over one search document per id and search level, answering the
// same query syntax as the SQLite FTS5 index and ranking alike: exact id, id prefix, text rank, downloads, id.
// Spec: ../shared/spec/nuget-api/search-query-service-resource.md, search-autocomplete-service-resource.md
//
// The tsvector is built here rather than by to_tsvector(): PostgreSQL's parser reads "Newtonsoft.Json" as one
// host name and "1.0.0" as a version, and its idea of a letter depends on the database locale. Tokenizing in
// code like SQLite's unicode61 (runs of letters and digits, lower-cased, diacritics removed) makes both databases
// find the same words. Every lexeme carries its field ("t:json" is "json" in the title) so that field filters
// and phrases stay within one field, and a weight (id A, title B, tags C, the rest D) for ts_rank_cd.
// https://www.postgresql.org/docs/15/datatype-textsearch.html, .../textsearch-controls.html#TEXTSEARCH-RANKING
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import { parseSearchQuery, type SearchField, searchableText } from '../../packages/parse-search-query.ts';
import type { SearchHit, SearchIndex, SearchQuery } from '../../packages/ports.ts';
import {
  isVisibleAtLevel,
  packageTypeNames,
  type SearchLevel,
  searchLevel,
  searchLevels,
} from '../../packages/search-filter.ts';
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
import { idSearchText } from './sqlite-search-index.ts';

type TextField = Exclude<SearchField, 'packageid' | 'version'>;
type Weight = 'A' | 'B' | 'C' | 'D';

/** Each text field's lexeme prefix and weight; the weights follow the SQLite bm25 weights' order. */
const textFields: Record<TextField, { code: string; weight: Weight }> = {
  id: { code: 'i', weight: 'A' },
  title: { code: 't', weight: 'B' },
  tags: { code: 'g', weight: 'C' },
  description: { code: 'd', weight: 'D' },
  authors: { code: 'a', weight: 'D' },
  summary: { code: 's', weight: 'D' },
  owners: { code: 'o', weight: 'D' },
};
const allTextFields = Object.keys(textFields) as TextField[];
/** ts_rank_cd weights in the order {D, C, B, A}. */
const rankWeights = '{0.1, 0.3, 0.5, 1.0}';

// tsvector limits: positions 1..16383, at most 256 positions per lexeme, lexemes under 2 KiB, 1 MiB in all.
const maxPosition = 16383;
const maxPositionsPerLexeme = 256;
const maxTokenLength = 500;
const maxDocumentBytes = 512 * 1024;

/** Runs of letters and digits, lower-cased, diacritics removed: what SQLite's unicode61 tokenizer yields. */
export function searchTokens(text: string): string[] {
  const plain = text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  return (plain.match(/[\p{L}\p{N}\p{Co}]+/gu) ?? []).map((t) => t.slice(0, maxTokenLength));
}

function lexeme(field: TextField, token: string): string {
  // Tokens hold only letters and digits, so nothing in a lexeme needs escaping inside its quotes.
  return `'${textFields[field].code}:${token}'`;
}

/** The tsvector literal of one search document. */
export function searchDocumentVector(texts: Readonly<Record<TextField, string>>): string {
  const positions = new Map<string, string[]>();
  let position = 0;
  let bytes = 0;
  for (const field of allTextFields) {
    const { weight } = textFields[field];
    for (const token of searchTokens(texts[field])) {
      position = Math.min(position + 1, maxPosition);
      const key = lexeme(field, token);
      let list = positions.get(key);
      if (!list) {
        // Past the size limit, new words go unindexed rather than failing the push.
        bytes += Buffer.byteLength(key) + 8;
        if (bytes > maxDocumentBytes) continue;
        list = [];
        positions.set(key, list);
      }
      if (list.length < maxPositionsPerLexeme) list.push(`${position}${weight}`);
    }
    // A gap between fields, so no phrase spans two of them.
    position = Math.min(position + 1, maxPosition);
  }
  return [...positions].map(([key, list]) => `${key}:${[...new Set(list)].join(',')}`).join(' ');
}

/**
 * One user term as a tsquery over the given fields: its tokens as a phrase, the last one prefix-matched (the
 * FTS5 index does the same with `"term"*`). Undefined when the term has no letters or digits.
 */
export function termQuery(term: string, fields: readonly TextField[]): string | undefined {
  const tokens = searchTokens(term);
  if (tokens.length === 0) return undefined;
  const phrases = fields.map((field) =>
    tokens.map((token, i) => `${lexeme(field, token)}${i === tokens.length - 1 ? ':*' : ''}`).join(' <-> '),
  );
  return phrases.length === 1 ? (phrases[0] as string) : `(${phrases.map((p) => `(${p})`).join(' | ')})`;
}

export async function refreshPostgresSearchDocuments(
  trx: Transaction<Database>,
  feed: string,
  lowerId: string,
): Promise<void> {
  const { versions, totalDownloads } = await searchedVersions(trx, feed, lowerId);

  await trx.deleteFrom('search_documents').where('feed', '=', feed).where('lower_id', '=', lowerId).execute();
  for (const level of searchLevels) {
    const latest = versions.filter((v) => isVisibleAtLevel(v, level)).at(-1);
    if (!latest) continue;
    const m = latest.metadata;
    const document = searchDocumentVector({
      id: idSearchText(latest.id),
      title: m.title ?? '',
      tags: m.tags.join(' '),
      description: m.description,
      authors: m.authors,
      summary: m.summary ?? '',
      owners: m.owners ?? '',
    });
    const packageTypes = ` ${packageTypeNames(latest).join(' ').toLowerCase()} `;
    await sql`INSERT INTO search_documents (feed, lower_id, level, lower_version, total_downloads, package_types,
      document) VALUES (${feed}, ${lowerId}, ${level}, ${latest.lowerVersion}, ${totalDownloads}, ${packageTypes},
              ${document}::tsvector)`.execute(trx);
  }
}

interface Plan {
  /** A tsquery literal, or undefined when nothing is text-matched. */
  match: string | undefined;
  filters: RawBuilder<unknown>[];
  /** The free text as typed, lower-cased, for exact-id and id-prefix ranking. */
  rankText: string;
}

export class PostgresSearchIndex implements SearchIndex {
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
    const { totalHits, lowerIds } = await this.#run(this.#plan(query.q, 'autocomplete'), level, query);
    if (lowerIds.length === 0) return { totalHits, ids: [] };
    return { totalHits, ids: await spelledIds(this.#db, this.#feed, lowerIds, level) };
  }

  #plan(q: string, mode: 'search' | 'autocomplete'): Plan {
    if (mode === 'autocomplete') {
      // nuget.org matches the prefix of id tokens; the whole q is one prefix.
      const prefix = searchableText(q).trim();
      return { match: termQuery(prefix, ['id']), filters: [], rankText: prefix.toLowerCase() };
    }
    const parsed = parseSearchQuery(q);
    const clauses: string[] = [];
    const filters: RawBuilder<unknown>[] = [];
    for (const term of parsed.terms) {
      const clause = termQuery(term, allTextFields);
      if (clause) clauses.push(clause);
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
          const clause = termQuery(value, [field]);
          if (clause) clauses.push(clause);
        }
      }
    }
    const rankText = parsed.terms.join(' ').toLowerCase();
    return { match: clauses.length > 0 ? clauses.join(' & ') : undefined, filters, rankText };
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
    if (plan.match) conditions.push(sql`d.document @@ ${plan.match}::tsquery`);
    if (query.packageType) {
      conditions.push(
        sql`strpos(d.package_types, ${` ${searchableText(query.packageType).trim().toLowerCase()} `}) > 0`,
      );
    }
    const where = sql.join(conditions, sql` AND `);

    const countAll = async () => {
      const count = await sql<{
        n: number;
      }>`SELECT count(*) AS n FROM search_documents d WHERE ${where}`.execute(this.#db);
      return Number(count.rows[0]?.n ?? 0);
    };
    if (query.take === 0) return { totalHits: await countAll(), lowerIds: [] };

    const ids = idRanking(plan.rankText);
    // "C" collation: ids order by code point, as SQLite's BINARY collation does, whatever the database locale.
    const byDownloads = [sql`total_downloads DESC`, sql`lower_id COLLATE "C"`];
    if (!plan.match) {
      // Without text (the client's browse tab) the count reads the (feed, level, total_downloads) index alone.
      const totalHits = await countAll();
      if (totalHits === 0) return { totalHits, lowerIds: [] };
      const page = await sql<{ lower_id: string }>`SELECT lower_id FROM search_documents d WHERE ${where}
        ORDER BY ${sql.join([...ids.browse, ...byDownloads], sql`, `)} LIMIT ${query.take} OFFSET ${query.skip}`.execute(
        this.#db,
      );
      return { totalHits, lowerIds: page.rows.map((r) => r.lower_id) };
    }
    // Exact id first, then id prefixes, then the text rank (higher is better; normalization 1 divides by 1 +
    // log(document length): shorter documents win ties, as with bm25), then downloads and the id: the first three
    // as ascending keys, which a window of the page keeps (search-ranking.ts).
    const { exact, idPrefix } = ids;
    const rank = async (): Promise<RankedRows> => {
      const { offset, limit } = windowRange(query.skip, query.take);
      // A common word matches most of a big feed: the count and the page share one walk over the matches (ranked
      // once each, the document not carried further) instead of walking twice; the sort keeps only offset + limit
      // rows.
      const page = await sql<{
        lower_id: string;
        downloads: string;
        k1: number;
        k2: number;
        k3: number;
        n: string;
      }>`WITH matches AS MATERIALIZED (
          SELECT d.lower_id, d.total_downloads AS downloads, ${exact} AS k1, ${idPrefix} AS k2,
            -ts_rank_cd(${rankWeights}, d.document, ${plan.match}::tsquery, 1) AS k3
          FROM search_documents d WHERE ${where})
        SELECT lower_id, downloads, k1, k2, k3, (SELECT count(*) FROM matches) AS n FROM matches
        ORDER BY k1, k2, k3, downloads DESC, lower_id COLLATE "C"
        LIMIT ${limit} OFFSET ${offset}`.execute(this.#db);
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
