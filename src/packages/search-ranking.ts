// Ranked pages of search answers that can be put in order again when only download counts have moved.
// Spec: ../shared/spec/nuget-api/search-query-service-resource.md (the order is the server's; ours is in README.md)
//
// Search orders its matches by exact id, id prefix, text rank, then the id's downloads and the id. Every key but
// the downloads comes from the search documents, which change only with a change stamp; the downloads change every
// second (the counter's flush). So the part of the order a page depends on, ranked once at a stamp, stays valid at
// that stamp: with fresh download counts, only ids whose keys tie can swap. A page can then only gain the ids that
// tie with its first or its last result, so keeping those (the window) and sorting them again with the counts of
// now gives exactly the page a full ranking would, without walking every match again (at a million versions a
// common word matches 100,000 documents: 100-250 ms of CPU, bench/README.md "Search at scale").

/** One match in rank order: what orders it besides its downloads (ascending: the best first), and its downloads. */
export interface RankedRow {
  readonly lowerId: string;
  /** Exact id (0) or not (1), id prefix (0) or not (1), text rank (lower is better). */
  readonly key: readonly [number, number, number];
  readonly downloads: number;
}

/** The matches a page may hold after download counts change, in rank order, and where the page starts in them. */
export interface RankedWindow {
  readonly totalHits: number;
  readonly rows: readonly RankedRow[];
  /** Rows of the window before the page (they tie with its first result). */
  readonly before: number;
  readonly take: number;
}

/** Rows fetched beyond each end of a page to find the ids that tie with it; a longer tie is ranked again in full. */
export const windowMargin = 32;

/** Ids in code-point order, as SQLite's BINARY collation and PostgreSQL's "C" collation compare them. */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 order differs from code-point order only between surrogates and U+E000..U+FFFF; compare those by
  // code point.
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** The search order: keys ascending, then downloads descending, then the id. */
export function compareRanked(a: RankedRow, b: RankedRow): number {
  for (let i = 0; i < 3; i++) {
    const d = (a.key[i] ?? 0) - (b.key[i] ?? 0);
    if (d !== 0) return d;
  }
  if (a.downloads !== b.downloads) return b.downloads - a.downloads;
  return compareIds(a.lowerId, b.lowerId);
}

const sameKey = (a: RankedRow, b: RankedRow) =>
  a.key[0] === b.key[0] && a.key[1] === b.key[1] && a.key[2] === b.key[2];

/** The rows to fetch, in rank order, for the page at skip/take and its window: LIMIT `limit` OFFSET `offset`. */
export function windowRange(skip: number, take: number): { offset: number; limit: number } {
  const offset = Math.max(0, skip - windowMargin);
  return { offset, limit: skip - offset + take + windowMargin };
}

/**
 * The window of a page, from the rows `windowRange` asked for (in rank order); undefined when the page is empty
 * or an end of it ties with more rows than were fetched (it is then ranked again in full when counts change).
 */
export function windowOf(
  rows: readonly RankedRow[],
  page: { skip: number; take: number; totalHits: number },
): RankedWindow | undefined {
  const { offset, limit } = windowRange(page.skip, page.take);
  const start = page.skip - offset;
  const first = rows[start];
  const last = rows[Math.min(rows.length, start + page.take) - 1];
  if (!first || !last) return undefined;
  let from = start;
  while (from > 0 && sameKey(rows[from - 1] as RankedRow, first)) from--;
  // The first fetched row ties with the page: rows before it might too.
  if (from === 0 && offset > 0) return undefined;
  let to = Math.min(rows.length, start + page.take);
  while (to < rows.length && sameKey(rows[to] as RankedRow, last)) to++;
  // The last fetched row ties with the page and more matches follow: they might too.
  if (to === rows.length && rows.length === limit) return undefined;
  return { totalHits: page.totalHits, rows: rows.slice(from, to), before: start - from, take: page.take };
}

/**
 * The page of a window with the download counts of now, in rank order; undefined when an id of the window has no
 * count (its document is gone: then the window is out of date, whatever its stamp said).
 */
export function pageOf(window: RankedWindow, downloads: ReadonlyMap<string, number>): string[] | undefined {
  const rows: RankedRow[] = [];
  for (const row of window.rows) {
    const count = downloads.get(row.lowerId);
    if (count === undefined) return undefined;
    rows.push({ ...row, downloads: count });
  }
  rows.sort(compareRanked);
  return rows.slice(window.before, window.before + window.take).map((r) => r.lowerId);
}

/** Bytes a row of a window holds besides its id (the row, its key array, numbers): measured about 230 with an id. */
const rowBytes = 200;
/** Bytes of an entry besides its key and rows (the map's entry, the window and entry objects, the stamp). */
const entryBytes = 150;

/**
 * About what a window kept under `key` holds in memory: strings counted at two bytes a character (V8 keeps them in
 * one byte only when they are Latin-1). A key holds a query of up to 1,000 characters: counted by rows alone, a
 * flood of distinct long queries with a match each held 33 MB of a cache meant to hold under 5 MB.
 */
function bytesOf(key: string, window: RankedWindow): number {
  let bytes = entryBytes + 2 * key.length;
  for (const row of window.rows) bytes += rowBytes + 2 * row.lowerId.length;
  return bytes;
}

/**
 * Windows by query, each valid at the stamp it was ranked at (a number: every feed's stamps folded, foldStamps);
 * bounded by the bytes they hold with their keys (least recently used first out).
 */
export class RankingCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, { stamp: number; window: RankedWindow; bytes: number }>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get(key: string, stamp: number): RankedWindow | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.stamp !== stamp) {
      this.#bytes -= entry.bytes;
      return undefined;
    }
    this.#entries.set(key, entry);
    return entry.window;
  }

  set(key: string, stamp: number, window: RankedWindow): void {
    this.delete(key);
    const bytes = bytesOf(key, window);
    if (bytes > this.#maxBytes) return;
    this.#entries.set(key, { stamp, window, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  /** A window that turned out to be out of date. */
  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** About the bytes the windows hold, with their keys. */
  get bytes(): number {
    return this.#bytes;
  }
}
