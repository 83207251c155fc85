// Reads another feed's catalog one page at a time for `nugget replicate`, in the order and with the cursor rules of
// ../shared/spec/nuget-api/catalog-resource.md ("Cursor", "Iterating over catalog items"):
// - pages and the items in a page come in no defined order: they are sorted by commitTimeStamp;
// - pages are fixed time ranges ("older pages are never added to or changed"), but one commit may end one page and
//   begin the next, so a commit is known to be complete only when an item of a later commit (or the end) is seen;
// - only what comes after the stored cursor is read, and a cursor may move to a commit timestamp only once every
//   item at or before it has been handled: the `committed` steps below say when.
// Memory holds the page list of the index and one page (pages that share one commitTimeStamp, which only a commit
// split over them can do, are read together as one window): never the whole catalog.
import { toLowerId } from '../nuget/packaging/index.ts';
import { toNormalizedString, tryParseVersion } from '../nuget/versioning/index.ts';
import { type RemoteFeed, RemoteFeedError } from './remote-feed.ts';

/** The catalog's minimum cursor: .NET's DateTimeOffset.MinValue (spec, "Initial value"). */
export const minimumCursor = '0001-01-01T00:00:00.000Z';

export interface CatalogItem {
  /** The leaf's URL. */
  readonly url: string;
  readonly type: 'PackageDetails' | 'PackageDelete';
  readonly id: string;
  readonly lowerId: string;
  /** As the page prints it: the full version of a PackageDetails, the nuspec's own string of a PackageDelete. */
  readonly version: string;
  /** Normalized and lower-cased, or undefined when the version does not parse. */
  readonly lowerVersion: string | undefined;
  /** As the source prints it (a cursor keeps the source's own value: spec, "Cursor"). */
  readonly commitTimeStamp: string;
}

export type CatalogStep =
  /** The latest item of one package version in the window: earlier ones in the same window only say less. */
  | { readonly kind: 'item'; readonly item: CatalogItem }
  /** Every item committed at or before this timestamp has been yielded: once they are handled, it is a cursor. */
  | { readonly kind: 'committed'; readonly commitTimeStamp: string }
  /** One window (a page, or the pages one commit spans) was read: `read` items, all yielded or passed over. */
  | { readonly kind: 'page'; readonly url: string; readonly read: number };

export interface CatalogReader {
  /** Items in the pages still to read (the first may hold a few the cursor already passed): for progress. */
  readonly total: number;
  readonly pages: number;
  steps(): AsyncGenerator<CatalogStep, void, undefined>;
}

export interface CatalogReadOptions {
  /** Read only what was committed after this; default {@link minimumCursor}. */
  readonly cursor?: string | undefined;
  /** Only items whose lower id this accepts are yielded; the others are read and passed over. */
  readonly includes?: ((lowerId: string) => boolean) | undefined;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const timestampPattern =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A key that orders commit timestamps as instants, to the precision the source prints: nuget.org prints seven
 * fractional digits ('2015-02-01T06:22:45.8488496Z'), nugget three, others none, and any may use an offset. As
 * strings those do not compare ('…45Z' > '…45.5Z'), and Date.parse drops everything below a millisecond, which
 * would merge two commits. A timestamp without a zone is read as UTC. Undefined when it is not a timestamp.
 */
export function commitTimeStampKey(text: string): string | undefined {
  const match = timestampPattern.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(0);
  date.setUTCFullYear(fields[0], fields[1] - 1, fields[2]);
  date.setUTCHours(fields[3], fields[4], fields[5], 0);
  // A field out of range (month 13, 25:00) rolls over in Date: refuse it instead.
  const roundTrip = [
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
  ];
  if (roundTrip.some((value, index) => value !== fields[index])) return undefined;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
    if (offsetMinutes > 18 * 60) return undefined;
    date.setTime(date.getTime() - sign * offsetMinutes * 60_000);
  }
  const iso = date.toISOString();
  // Years past 9999 print as '+010000-…', which would not sort: no catalog has them.
  if (iso.length !== 24) return undefined;
  return `${iso.slice(0, 19)}.${fraction.slice(0, 9).padEnd(9, '0')}`;
}

interface PageRef {
  readonly url: string;
  readonly key: string;
  readonly count: number;
}

/** One item of a page: its commit, and what it is when it is a package item to yield. */
interface Entry {
  readonly key: string;
  readonly commitTimeStamp: string;
  readonly item: CatalogItem | undefined;
}

const describeTimestamp = (value: unknown) =>
  typeof value === 'string' ? `'${value.slice(0, 60)}'` : 'no commitTimeStamp';

function itemTypeOf(value: unknown): CatalogItem['type'] | undefined {
  const types = Array.isArray(value) ? value : [value];
  if (types.some((t) => t === 'nuget:PackageDetails' || t === 'PackageDetails')) return 'PackageDetails';
  if (types.some((t) => t === 'nuget:PackageDelete' || t === 'PackageDelete')) return 'PackageDelete';
  return undefined;
}

const lowerVersionOf = (text: string): string | undefined => {
  const parsed = tryParseVersion(text);
  return parsed && toNormalizedString(parsed).toLowerCase();
};

/**
 * The entries of one page document and how many items it has in all; a page the protocol does not allow is the
 * source's fault, said plainly. Every entry has its commit timestamp (the cursor rules need them all); only the
 * package items `includes` accepts are described in full (most of a big catalog is passed over by --ids).
 */
function entriesOfPage(
  url: string,
  document: unknown,
  includes: (lowerId: string) => boolean,
): { entries: Entry[]; count: number } {
  const items = isObject(document) ? document['items'] : undefined;
  if (!Array.isArray(items)) {
    throw new RemoteFeedError(url, `The catalog page ${url} has no items array: it is not a catalog page.`);
  }
  const entries: Entry[] = [];
  for (const [index, item] of items.entries()) {
    const where = `item ${index} of the catalog page ${url}`;
    if (!isObject(item)) throw new RemoteFeedError(url, `The ${where} is not an object.`);
    const commitTimeStamp = item['commitTimeStamp'];
    const key = typeof commitTimeStamp === 'string' ? commitTimeStampKey(commitTimeStamp) : undefined;
    if (key === undefined) {
      throw new RemoteFeedError(
        url,
        `The ${where} has ${describeTimestamp(commitTimeStamp)} where a commit timestamp belongs.`,
      );
    }
    const [leaf, id, version] = [item['@id'], item['nuget:id'], item['nuget:version']];
    if (typeof leaf !== 'string' || typeof id !== 'string' || typeof version !== 'string') {
      throw new RemoteFeedError(url, `The ${where} lacks its @id, nuget:id or nuget:version.`);
    }
    const type = itemTypeOf(item['@type']);
    const lowerId = toLowerId(id);
    // Spec: every item is one of the two types; anything else is no package event and is passed over.
    const included = type !== undefined && includes(lowerId);
    entries.push({
      key,
      commitTimeStamp: commitTimeStamp as string,
      item: included
        ? {
            url: new URL(leaf, url).href,
            type,
            id,
            lowerId,
            version,
            lowerVersion: lowerVersionOf(version),
            commitTimeStamp: commitTimeStamp as string,
          }
        : undefined,
    });
  }
  return { entries, count: items.length };
}

function pagesOfIndex(url: string, document: unknown, cursorKey: string): PageRef[] {
  const items = isObject(document) ? document['items'] : undefined;
  if (!Array.isArray(items)) {
    throw new RemoteFeedError(url, `The catalog index ${url} has no items array: it is not a catalog index.`);
  }
  const pages: PageRef[] = [];
  for (const [index, page] of items.entries()) {
    const key =
      isObject(page) && typeof page['commitTimeStamp'] === 'string'
        ? commitTimeStampKey(page['commitTimeStamp'])
        : undefined;
    if (!isObject(page) || typeof page['@id'] !== 'string' || key === undefined) {
      throw new RemoteFeedError(
        url,
        `Page ${index} of the catalog index ${url} lacks its @id or a valid commitTimeStamp.`,
      );
    }
    if (key <= cursorKey) continue;
    const count = typeof page['count'] === 'number' && page['count'] >= 0 ? page['count'] : 0;
    pages.push({ url: new URL(page['@id'], url).href, key, count });
  }
  // Array.prototype.sort is stable: pages that share a timestamp keep the index's order.
  return pages.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Downloads the catalog index and prepares a page-by-page read of everything after the cursor. */
export async function openCatalog(
  remote: RemoteFeed,
  catalogUrl: string,
  options: CatalogReadOptions = {},
): Promise<CatalogReader> {
  const cursor = options.cursor ?? minimumCursor;
  const cursorKey = commitTimeStampKey(cursor);
  if (cursorKey === undefined) {
    throw new RemoteFeedError(catalogUrl, `The stored cursor '${cursor}' is not a commit timestamp.`);
  }
  const index = await remote.getJson(catalogUrl);
  if (index === undefined)
    throw new RemoteFeedError(catalogUrl, `The catalog index ${catalogUrl} answered 404.`);
  const pages = pagesOfIndex(catalogUrl, index, cursorKey);
  const includes = options.includes ?? (() => true);
  return {
    total: pages.reduce((sum, page) => sum + page.count, 0),
    pages: pages.length,
    steps: () => readPages(remote, pages, cursorKey, includes),
  };
}

async function* readPages(
  remote: RemoteFeed,
  pages: readonly PageRef[],
  cursorKey: string,
  includes: (lowerId: string) => boolean,
): AsyncGenerator<CatalogStep, void, undefined> {
  /** The latest commit seen: complete once a later one (or the end) shows up. */
  let open: Entry | undefined;
  for (let start = 0; start < pages.length;) {
    let end = start + 1;
    while (end < pages.length && pages[end]!.key === pages[start]!.key) end += 1;
    let read = 0;
    let window: Entry[] = [];
    for (const page of pages.slice(start, end)) {
      const document = await remote.getJson(page.url);
      if (document === undefined) {
        throw new RemoteFeedError(
          page.url,
          `The catalog page ${page.url}, listed by the index, answered 404.`,
        );
      }
      const { entries, count } = entriesOfPage(page.url, document, includes);
      read += count;
      window = window.concat(entries.filter((entry) => entry.key > cursorKey));
    }
    window.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    // Only the latest item of a package version matters: a leaf is a whole snapshot (spec, "Catalog leaf").
    const latest = new Map<string, CatalogItem>();
    for (const { item } of window) if (item) latest.set(identityOf(item), item);
    for (const entry of window) {
      if (open && entry.key < open.key) {
        throw new RemoteFeedError(
          pages[start]!.url,
          `The catalog page ${pages[start]!.url} has an item committed at ${entry.commitTimeStamp}, before ` +
            `${open.commitTimeStamp} in an earlier page: the catalog is not in commit order, so no cursor over it ` +
            'is safe (catalog-resource.md: older pages are never changed).',
        );
      }
      if (open && entry.key > open.key) yield { kind: 'committed', commitTimeStamp: open.commitTimeStamp };
      open = entry;
      if (entry.item && latest.get(identityOf(entry.item)) === entry.item)
        yield { kind: 'item', item: entry.item };
    }
    yield { kind: 'page', url: pages[start]!.url, read };
    start = end;
  }
  if (open) yield { kind: 'committed', commitTimeStamp: open.commitTimeStamp };
}

const identityOf = (item: CatalogItem) =>
  `${item.lowerId}/${item.lowerVersion ?? item.version.toLowerCase()}`;
