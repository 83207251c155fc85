// The read side of a virtual feed, and of an upstream feed served on its own (a virtual feed whose one member is
// itself), as the FeedStores every read route already uses (docs/upstreams.md): version lists and registrations
// merge the members' versions by the rules of virtual-merge.ts; search and autocomplete page across the members,
// hosted first; advisories are the feed's own with its members'. Writes are refused before they get here
// (http/request-feed.ts). Change stamps are the sums of the members' (each only grows, so the sum moves whenever
// one of them does), so every response cache of decision 0003 works for virtual feeds unchanged.
import { forbidden } from '../errors.ts';
import type { PackageVersion } from '../protocol/package-version.ts';
import type { VulnerabilityAdvisory } from '../protocol/vulnerability-info.ts';
import type { VirtualSettings } from './feed.ts';
import type {
  AdvisoryStore,
  CatalogStore,
  ChangeStamps,
  Clock,
  FeedStores,
  PackageStore,
  SearchIndex,
  SearchQuery,
  SymbolStore,
} from './ports.ts';
import type { UpstreamMember } from './upstream-member.ts';
import { advisoriesOfEntries } from './upstream-entry.ts';
import { fnvSeed, foldStamps, hashText } from './fold-stamps.ts';
import {
  hiddenByInternalId,
  inCooldown,
  mergeVersions,
  type MemberPage,
  pageAcross,
} from './virtual-merge.ts';

export type VirtualMember =
  | { readonly name: string; readonly kind: 'hosted'; readonly stores: FeedStores }
  | {
      readonly name: string;
      readonly kind: 'upstream';
      readonly stores: FeedStores;
      readonly upstream: UpstreamMember;
    };

export interface VirtualFeedDeps {
  readonly name: string;
  /** The feed's own stores: its advisories (and, for an upstream feed on its own, its cached packages). */
  readonly own: FeedStores;
  readonly rules: Pick<VirtualSettings, 'cooldown' | 'upstreamAllowed'>;
  /** The feed's own kind settings as text: part of its change stamps. */
  readonly settingsKey: string;
  /** The members as they are now, in order (a member's settings may change between two requests). */
  readonly members: () => Promise<VirtualMember[]>;
  readonly clock: Clock;
  /** Whether the own stores are one member's too (an upstream feed on its own): then not counted twice. */
  readonly ownIsMember: boolean;
  /** The shortest metadata TTL of the upstream members: cached answers are rebuilt behind the answer after it. */
  readonly maxAgeMs: () => number | undefined;
}

/** Fetches what a download of a virtual feed needs: the stored version, caching it from an upstream first. */
export interface PackageContentSource {
  /** The version as stored (with its blob), or undefined when no member can give it now. */
  materialize(version: PackageVersion): Promise<PackageVersion | undefined>;
}

const readOnly = (): never => {
  throw forbidden('feed_read_only', 'This feed merges other feeds and takes no changes: change its members.');
};

const emptyCatalog: CatalogStore = {
  pages: async () => [],
  page: async () => [],
  entry: async () => undefined,
};

const emptySymbols: SymbolStore = {
  findPackage: async () => undefined,
  findFile: async () => undefined,
  insert: readOnly,
  remove: readOnly,
  referencedBlobPrefixes: async () => [],
};

const registrationKey = (lowerId: string) => `registration/${lowerId}`;

export class VirtualFeed {
  readonly #deps: VirtualFeedDeps;
  readonly stores: FeedStores;
  readonly content: PackageContentSource;
  #lastMembers: VirtualMember[] | undefined;

  constructor(deps: VirtualFeedDeps) {
    this.#deps = deps;
    this.stores = {
      packages: this.#packageStore(),
      search: this.#searchIndex(),
      catalog: emptyCatalog,
      advisories: this.#advisoryStore(),
      symbols: emptySymbols,
      stamps: this.#stamps((s) => s.stamps),
      searchStamps: this.#stamps((s) => s.searchStamps ?? s.stamps),
      replicationCursors: deps.own.replicationCursors,
    };
    this.content = { materialize: (version) => this.#materialize(version) };
  }

  #rules(now: number) {
    return { cooldownMs: this.#deps.rules.cooldown, upstreamAllowed: this.#deps.rules.upstreamAllowed, now };
  }

  async #hostedHas(members: readonly VirtualMember[], lowerId: string): Promise<boolean> {
    for (const m of members) {
      if (m.kind === 'hosted' && (await m.stores.packages.findVersions(lowerId)).length > 0) return true;
    }
    return false;
  }

  /** Every version the feed offers of an id, with the upstream entries' advisories. */
  async #versions(
    lowerId: string,
  ): Promise<{ versions: PackageVersion[]; advisories: VulnerabilityAdvisory[] }> {
    const members = await this.#members();
    const hostedHas = await this.#hostedHas(members, lowerId);
    const rules = this.#rules(this.#deps.clock.now().getTime());
    const perMember = await Promise.all(
      members.map(async (m) => {
        if (m.kind === 'hosted')
          return {
            member: m.name,
            kind: m.kind,
            versions: await m.stores.packages.findVersions(lowerId),
            entries: [],
          };
        // A hidden upstream is not asked at all: nothing of it would be shown.
        if (hiddenByInternalId(rules, m.name, lowerId, hostedHas))
          return { member: m.name, kind: m.kind, versions: [], entries: [] };
        const { entries } = await m.upstream.versions(lowerId);
        return { member: m.name, kind: m.kind, versions: entries.map((e) => e.version), entries };
      }),
    );
    const versions = mergeVersions(lowerId, perMember, rules);
    const updated = this.#deps.clock.now().toISOString();
    const advisories = perMember.flatMap((m) => advisoriesOfEntries(m.entries, updated));
    return { versions, advisories };
  }

  #packageStore(): PackageStore {
    return {
      findVersions: async (lowerId) => (await this.#versions(lowerId)).versions,
      hasVersions: async (lowerId) => (await this.#versions(lowerId)).versions.length > 0,
      findVersionKeys: async (lowerId) => (await this.#versions(lowerId)).versions,
      findVersionsIn: async (lowerId, lowerVersions) =>
        (await this.#versions(lowerId)).versions.filter((v) => lowerVersions.includes(v.lowerVersion)),
      findVersion: async (lowerId, lowerVersion) =>
        (await this.#versions(lowerId)).versions.find((v) => v.lowerVersion === lowerVersion),
      insert: readOnly,
      setListed: readOnly,
      setDeprecation: readOnly,
      remove: readOnly,
      // Downloads of a virtual feed are not counted per feed (docs/upstreams.md).
      addDownloads: async () => {},
      downloadsPerDay: async () => [],
      // Retention works on the feeds that hold packages; a virtual feed holds none of its own.
      publishedAfter: async () => [],
      listWithActivity: async () => [],
      referencedBlobPrefixes: async () => [],
      wasDeleted: async () => false,
    };
  }

  async #materialize(version: PackageVersion): Promise<PackageVersion | undefined> {
    if (version.blobPrefix !== '') return version;
    const members = await this.#members();
    const rules = this.#rules(this.#deps.clock.now().getTime());
    const hostedHas = await this.#hostedHas(members, version.lowerId);
    for (const m of members) {
      if (m.kind !== 'upstream' || hiddenByInternalId(rules, m.name, version.lowerId, hostedHas)) continue;
      const { entries } = await m.upstream.versions(version.lowerId);
      const entry = entries.find((e) => e.version.lowerVersion === version.lowerVersion);
      if (!entry || inCooldown(rules, entry.version)) continue;
      return m.upstream.ensure(version.lowerId, version.lowerVersion);
    }
    return undefined;
  }

  /** Members hosted first, then upstream ones, each in the feed's order (docs/upstreams.md, search). */
  async #searchOrder(): Promise<VirtualMember[]> {
    const members = await this.#members();
    return [...members.filter((m) => m.kind === 'hosted'), ...members.filter((m) => m.kind === 'upstream')];
  }

  /** Keeps an item of member `m` unless its id was already on the page or a hosted member hides it. */
  #keeper(members: readonly VirtualMember[]) {
    const rules = this.#rules(0);
    return async (item: { member: VirtualMember; lowerId: string }, kept: readonly { lowerId: string }[]) => {
      if (kept.some((k) => k.lowerId === item.lowerId)) return false;
      if (item.member.kind === 'hosted') return true;
      return !hiddenByInternalId(
        rules,
        item.member.name,
        item.lowerId,
        await this.#hostedHas(members, item.lowerId),
      );
    };
  }

  /** One page merged from every member's answers, hosted members first, by the rules of pageAcross. */
  async #mergedPage<T>(
    query: SearchQuery,
    ask: (member: VirtualMember, q: SearchQuery) => Promise<MemberPage<T>>,
    lowerIdOf: (item: T) => string,
  ): Promise<{ totalHits: number; items: T[] }> {
    const members = await this.#searchOrder();
    const pages = members.map((member) => async (skip: number, take: number) => {
      const answer = await ask(member, { ...query, skip, take });
      return {
        totalHits: answer.totalHits,
        items: answer.items.map((item) => ({ member, lowerId: lowerIdOf(item), item })),
      };
    });
    const { totalHits, items } = await pageAcross(pages, query.skip, query.take, this.#keeper(members));
    return { totalHits, items: items.map((kept) => kept.item) };
  }

  #searchIndex(): SearchIndex {
    return {
      search: async (query: SearchQuery) => {
        const { totalHits, items } = await this.#mergedPage(
          query,
          async (m, q) => {
            const answer = m.kind === 'hosted' ? await m.stores.search.search(q) : await m.upstream.search(q);
            return { totalHits: answer.totalHits, items: answer.hits };
          },
          (hit) => hit.lowerId,
        );
        return { totalHits, hits: items };
      },
      autocompleteIds: async (query: SearchQuery) => {
        const { totalHits, items } = await this.#mergedPage(
          query,
          async (m, q) => {
            const answer =
              m.kind === 'hosted'
                ? await m.stores.search.autocompleteIds(q)
                : await m.upstream.autocomplete(q);
            return { totalHits: answer.totalHits, items: answer.ids };
          },
          (id) => id.toLowerCase(),
        );
        return { totalHits, ids: items };
      },
    };
  }

  /** The feed's own advisory stores and its members', each once. */
  async #advisorySources(): Promise<AdvisoryStore[]> {
    const members = await this.#members();
    const stores = members.map((m) => m.stores.advisories);
    return this.#deps.ownIsMember ? stores : [this.#deps.own.advisories, ...stores];
  }

  #advisoryStore(): AdvisoryStore {
    const own = this.#deps.own.advisories;
    return {
      findAdvisories: async (lowerIds) => {
        const found = (
          await Promise.all((await this.#advisorySources()).map((s) => s.findAdvisories(lowerIds)))
        ).flat();
        // What the upstreams said about the versions they list (registration `vulnerabilities`), as kept, for
        // the advisories no store holds: one that a store holds (e.g. mirrored from the upstream's
        // VulnerabilityInfo, with its real range) is listed once, not once more per version.
        const updated = this.#deps.clock.now().toISOString();
        const stored = new Set(found.map((a) => `${a.lowerId}\n${a.url}`));
        for (const m of await this.#members()) {
          if (m.kind !== 'upstream') continue;
          for (const lowerId of lowerIds)
            for (const kept of advisoriesOfEntries(await m.upstream.keptEntries(lowerId), updated))
              if (!stored.has(`${kept.lowerId}\n${kept.url}`)) found.push(kept);
        }
        return unique(found);
      },
      listAdvisories: async () =>
        unique((await Promise.all((await this.#advisorySources()).map((s) => s.listAdvisories()))).flat()),
      lastUpdated: async () => {
        const all = await Promise.all((await this.#advisorySources()).map((s) => s.lastUpdated()));
        return all
          .filter((u): u is string => u !== undefined)
          .sort()
          .at(-1);
      },
      // `nugget vulnerabilities import --feed <virtual>` imports the feed's own advisories.
      importAdvisories: (advisories, options) => own.importAdvisories(advisories, options),
    };
  }

  /**
   * The stamps of the feed and of each member (and of what each upstream member learnt), folded into one number.
   * Cached values compare stamps for equality only, so a digest does: it changes whenever any part does, also
   * when a member is removed (where a sum could come back to an earlier value). On embedded SQLite the same
   * digest is also read synchronously, over the members last resolved, so the raw-HTTP fast path serves a warm
   * virtual feed as it serves a hosted one: a member list that changed since moves the feed's own stamp, which is
   * part of the digest, so a stale member list can only make the fast path miss.
   */
  /** The feed's stamps, made of `of` of its own stores and of every member's. */
  #stamps(of: (stores: FeedStores) => ChangeStamps): ChangeStamps {
    // The settings are part of the stamp: a cooldown, an allowance or a member's deny list changed changes which
    // versions of an id are offered, although no member's data moved. Hashed once per member list.
    const prefixes = new WeakMap<readonly VirtualMember[], readonly [number, number]>();
    const fold = (members: readonly VirtualMember[], parts: number[]) => {
      let prefix = prefixes.get(members);
      if (!prefix) {
        const settings = members.map((m) =>
          m.kind === 'upstream' ? `${m.name}${JSON.stringify(m.upstream.settings)}` : m.name,
        );
        prefix = hashText(fnvSeed, `${this.#deps.settingsKey}|${settings.join(',')}`);
        prefixes.set(members, prefix);
      }
      return foldStamps(prefix, parts);
    };
    const digest = async (
      read: (stamps: ChangeStamps) => Promise<number>,
      documents: (m: UpstreamMember) => Promise<number>,
    ) => {
      const members = await this.#members();
      const parts = this.#deps.ownIsMember ? [] : [await read(of(this.#deps.own))];
      for (const m of members) {
        parts.push(await read(of(m.stores)));
        if (m.kind === 'upstream') {
          parts.push(await documents(m.upstream));
          // A breaker that opens makes lists shrink to what is cached (and grow again once it closes).
          parts.push(breakerPart(m.upstream.source.breaker));
        }
      }
      return fold(members, parts);
    };
    type SyncStamps = NonNullable<ChangeStamps['sync']>;
    const syncDigest = (
      read: (stamps: SyncStamps) => number,
      documents: (sync: NonNullable<UpstreamMember['syncDocuments']>) => number,
    ): number => {
      const members = this.#lastMembers;
      const own = of(this.#deps.own).sync;
      // Not resolved yet, or a member without synchronous stamps: a number equal to nothing (the fast path misses).
      if (!members || !own) return Number.NaN;
      const parts = this.#deps.ownIsMember ? [] : [read(own)];
      for (const m of members) {
        const sync = of(m.stores).sync;
        if (!sync) return Number.NaN;
        parts.push(read(sync));
        if (m.kind === 'upstream') {
          const docs = m.upstream.syncDocuments;
          if (!docs) return Number.NaN;
          parts.push(documents(docs));
          parts.push(breakerPart(m.upstream.source.breaker));
        }
      }
      return fold(members, parts);
    };
    const maxAgeMs = this.#deps.maxAgeMs;
    const canSync = of(this.#deps.own).sync !== undefined;
    return {
      latest: () =>
        digest(
          (s) => s.latest(),
          (u) => u.latestChange(),
        ),
      latestFor: (lowerId) =>
        digest(
          (s) => s.latestFor(lowerId),
          (u) => u.changedAt(registrationKey(lowerId)),
        ),
      get maxAgeMs() {
        return maxAgeMs();
      },
      sync: canSync
        ? {
            latest: () =>
              syncDigest(
                (s) => s.latest(),
                (d) => d.latestChange(),
              ),
            latestFor: (lowerId) =>
              syncDigest(
                (s) => s.latestFor(lowerId),
                (d) => d.changedAt(registrationKey(lowerId)),
              ),
            // The feed's settings and every member's: a member made private makes the feed private
            // (http/request-feed.ts), and the fast path must stop answering for it at once.
            settings: () => {
              const members = this.#lastMembers;
              const own = of(this.#deps.own).sync;
              if (!members || !own) return Number.NaN;
              const parts = [own.settings()];
              for (const m of members) {
                const sync = of(m.stores).sync;
                if (!sync) return Number.NaN;
                parts.push(sync.settings());
              }
              return fold(members, parts);
            },
          }
        : undefined,
    };
  }

  /** The members as they are now; remembered for the synchronous stamps. */
  async #members(): Promise<VirtualMember[]> {
    const members = await this.#deps.members();
    this.#lastMembers = members;
    return members;
  }
}

/**
 * The breaker's state in the change stamps: an opening breaker makes lists shrink to what is cached, a half-open
 * one makes the next answer a trial, a closing one makes lists grow again.
 */
const breakerPart = (state: UpstreamMember['source']['breaker']): number =>
  state === 'closed' ? 0 : state === 'half-open' ? 1 : 2;

function unique(advisories: VulnerabilityAdvisory[]): VulnerabilityAdvisory[] {
  const seen = new Map<string, VulnerabilityAdvisory>();
  for (const a of advisories) {
    const key = `${a.lowerId}\n${a.url}\n${a.versions}`;
    if (!seen.has(key)) seen.set(key, a);
  }
  return [...seen.values()];
}
