// Which feeds exist and what each one's stores are: what a request or command addressing a feed by name gets.
// The feeds table is the truth, shared by every node on one database: a feed created, changed or deleted on one
// node is seen by the next request on every other one (the lookup reads the feed's stamp each time, and re-reads
// the feed's settings only when the stamp moved).
import { notFound } from '../errors.ts';
import type { DownloadCounter } from './download-counter.ts';
import { couldBeFeedName, type Feed, type FeedSettings, kindOf, resolveFeed } from './feed.ts';
import type { FeedStore, FeedStores } from './ports.ts';
import type { PackageContentSource } from './virtual-feed.ts';

/** A feed with the stores that read and write its rows. */
export interface OpenFeed {
  readonly feed: Feed;
  readonly stores: FeedStores;
  /** Counts .nupkg downloads of this feed and writes them in batches. */
  readonly downloads: DownloadCounter;
  /**
   * Upstream and virtual feeds: where a download gets the stored package (fetching it from an upstream first).
   * Their `stores` are then the merged read side (virtual-feed.ts); their own rows are in `storesOf(name)`.
   */
  readonly content?: PackageContentSource | undefined;
}

export interface FeedDirectoryDeps {
  readonly feeds: FeedStore;
  /** The server-wide settings every feed follows unless it sets its own. */
  readonly defaults: FeedSettings;
  /** The stores of a feed (built once per name, on first use). */
  readonly storesFor: (name: string) => { stores: FeedStores; downloads: DownloadCounter };
  /** A faster stamp lookup than feeds.stampOf, where the database allows one. */
  readonly stampOf?: ((name: string) => number | undefined) | undefined;
  /** The read side of an upstream or virtual feed (built each time the feed's record is read again). */
  readonly viewFor?:
    | ((
        feed: Feed,
        own: { stores: FeedStores; downloads: DownloadCounter },
        directory: FeedDirectory,
      ) => { stores: FeedStores; content: PackageContentSource })
    | undefined;
}

export const noSuchFeed = (name: string) =>
  notFound(
    'feed_not_found',
    `There is no feed '${name.slice(0, 80)}' on this server (nugget feed list shows the feeds; an admin creates one with nugget feed create).`,
  );

export class FeedDirectory {
  readonly #deps: FeedDirectoryDeps;
  readonly #known = new Map<string, { stamp: number; open: OpenFeed }>();
  readonly #stores = new Map<string, { stores: FeedStores; downloads: DownloadCounter }>();

  constructor(deps: FeedDirectoryDeps) {
    this.#deps = deps;
  }

  get defaults(): FeedSettings {
    return this.#deps.defaults;
  }

  /** The stores of a feed by name, whether or not it exists now (for commands that check existence themselves). */
  storesOf(name: string): { stores: FeedStores; downloads: DownloadCounter } {
    let stores = this.#stores.get(name);
    if (!stores) {
      stores = this.#deps.storesFor(name);
      this.#stores.set(name, stores);
    }
    return stores;
  }

  /** The feed named `name` as it is now, or undefined when there is none. */
  async find(name: string): Promise<OpenFeed | undefined> {
    if (!couldBeFeedName(name)) return undefined;
    const stamp = this.#deps.stampOf ? this.#deps.stampOf(name) : await this.#deps.feeds.stampOf(name);
    if (stamp === undefined) {
      this.#known.delete(name);
      return undefined;
    }
    const known = this.#known.get(name);
    if (known && known.stamp === stamp) return known.open;
    const record = await this.#deps.feeds.find(name);
    if (!record) return undefined;
    const feed = resolveFeed(record, this.#deps.defaults);
    const own = this.storesOf(name);
    const view = kindOf(feed) !== 'hosted' ? this.#deps.viewFor?.(feed, own, this) : undefined;
    const open: OpenFeed = { feed, ...own, ...view };
    this.#known.set(name, { stamp, open });
    return open;
  }

  /** The feed named `name`; 404 naming it when there is none. */
  async get(name: string): Promise<OpenFeed> {
    const open = await this.find(name);
    if (!open) throw noSuchFeed(name);
    return open;
  }

  /** Every feed, with the settings in effect. */
  async list(): Promise<Feed[]> {
    return (await this.#deps.feeds.list()).map((record) => resolveFeed(record, this.#deps.defaults));
  }

  /** Writes every feed's pending download counts. */
  async close(): Promise<void> {
    for (const { downloads } of this.#stores.values()) await downloads.close();
  }
}
