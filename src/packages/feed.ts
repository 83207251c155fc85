// A feed: one named set of packages on this server, with its own settings (docs/feeds.md). Every package, catalog
// entry, symbol, deprecation, advisory, replication cursor and audit entry belongs to one; URLs name it
// (`/feeds/{name}/v3/index.json`, protocol/resource-urls.ts), and the feed named `default` is also served at
// `/v3/index.json`, where every NuGet.Config written before feeds existed points.
import { invalidInput } from '../errors.ts';

export const defaultFeedName = 'default';

/** What DELETE does on a feed (package-publish-resource.md, "Delete a package"). */
export type DeleteBehavior = 'unlist' | 'delete';

/** The settings a feed may set for itself; unset ones follow the server-wide defaults of the configuration. */
export interface FeedSettings {
  /** Reads need a key with the read scope on this feed. */
  readonly private: boolean;
  /** What DELETE does: unlist (default) or remove the version and its files. */
  readonly deleteBehavior: DeleteBehavior;
  /** The largest .nupkg a push may send, in bytes. */
  readonly maxPackageSize: number;
  /** Whether a version deleted for good may be pushed again (never by default: a restore must not change). */
  readonly allowRepushAfterDelete: boolean;
  /** The longest lifetime, in ms, of an API key valid for this feed; undefined = no limit. */
  readonly maxApiKeyLifetime?: number | undefined;
  /** Quota: the most bytes of .nupkg files the feed may hold (docs/retention.md); undefined = no limit. */
  readonly maxFeedSize?: number | undefined;
  /** Quota: the most versions (listed or not) one id may have on the feed; undefined = no limit. */
  readonly maxVersionsPerId?: number | undefined;
}

/** What a feed sets for itself; undefined follows the server default. */
export type FeedOverrides = { readonly [K in keyof FeedSettings]?: FeedSettings[K] | undefined };

/**
 * What a feed is (docs/upstreams.md): `hosted` holds what is pushed to it (every feed before upstreams existed);
 * `upstream` stands for another V3 feed and keeps what it fetched from there; `virtual` merges member feeds under
 * one URL. The kind is chosen at creation and never changes.
 */
export type FeedKind = 'hosted' | 'upstream' | 'virtual';

export const feedKinds: readonly FeedKind[] = ['hosted', 'upstream', 'virtual'];

/** What an upstream feed sets for itself (docs/upstreams.md, "Interface"); times in ms. */
export interface UpstreamOverrides {
  readonly metadataTtl?: number | undefined;
  readonly metadataTimeout?: number | undefined;
  readonly packageTimeout?: number | undefined;
  readonly allow?: readonly string[] | undefined;
  readonly deny?: readonly string[] | undefined;
  readonly breakerFailures?: number | undefined;
  readonly breakerCooldown?: number | undefined;
}

/** An upstream feed's settings in effect. */
export interface UpstreamSettings {
  /** The V3 service index the upstream is read through. */
  readonly source: string;
  readonly metadataTtl: number;
  readonly metadataTimeout: number;
  readonly packageTimeout: number;
  /** Id patterns (auth/id-pattern.ts) the upstream is asked for; deny wins. */
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  readonly breakerFailures: number;
  readonly breakerCooldown: number;
}

export const upstreamDefaults: Omit<UpstreamSettings, 'source'> = {
  metadataTtl: 10 * 60_000,
  metadataTimeout: 10_000,
  packageTimeout: 60_000,
  allow: ['*'],
  deny: [],
  breakerFailures: 5,
  breakerCooldown: 30_000,
};

/** An upstream member that may offer ids matching `pattern` even where a hosted member has the id. */
export interface UpstreamAllowance {
  readonly feed: string;
  readonly pattern: string;
}

export interface VirtualOverrides {
  readonly cooldown?: number | undefined;
  readonly upstreamAllowed?: readonly UpstreamAllowance[] | undefined;
}

export interface VirtualSettings {
  /** Hosted and upstream feeds, in the order their versions win. */
  readonly members: readonly string[];
  /** Upstream versions published less than this many ms ago are not offered (0: off). */
  readonly cooldown: number;
  readonly upstreamAllowed: readonly UpstreamAllowance[];
}

/** What a feed of each kind stores beside the common settings. */
export type KindRecord =
  | { readonly kind: 'hosted' }
  | { readonly kind: 'upstream'; readonly source: string; readonly overrides: UpstreamOverrides }
  | { readonly kind: 'virtual'; readonly members: readonly string[]; readonly overrides: VirtualOverrides };

/** A feed as stored: its name, description and the settings it overrides. */
export interface FeedRecord {
  readonly name: string;
  readonly description: string;
  readonly overrides: FeedOverrides;
  /** ISO 8601. */
  readonly created: string;
  /** Absent: hosted (rows written before kinds existed). */
  readonly kind?: KindRecord | undefined;
}

export const kindOf = (record: Pick<FeedRecord, 'kind'>): FeedKind => record.kind?.kind ?? 'hosted';

export function upstreamSettingsOf(kind: KindRecord | undefined): UpstreamSettings | undefined {
  if (kind?.kind !== 'upstream') return undefined;
  const set = Object.fromEntries(Object.entries(kind.overrides).filter(([, value]) => value !== undefined));
  return { ...upstreamDefaults, ...set, source: kind.source };
}

export function virtualSettingsOf(kind: KindRecord | undefined): VirtualSettings | undefined {
  if (kind?.kind !== 'virtual') return undefined;
  return {
    members: kind.members,
    cooldown: kind.overrides.cooldown ?? 0,
    upstreamAllowed: kind.overrides.upstreamAllowed ?? [],
  };
}

/** A feed as a request or command addresses it: its record with the settings in effect. */
export interface Feed extends FeedRecord {
  readonly settings: FeedSettings;
}

export const resolveFeed = (record: FeedRecord, defaults: FeedSettings): Feed => ({
  ...record,
  settings: {
    private: record.overrides.private ?? defaults.private,
    deleteBehavior: record.overrides.deleteBehavior ?? defaults.deleteBehavior,
    maxPackageSize: record.overrides.maxPackageSize ?? defaults.maxPackageSize,
    allowRepushAfterDelete: record.overrides.allowRepushAfterDelete ?? defaults.allowRepushAfterDelete,
    maxApiKeyLifetime: record.overrides.maxApiKeyLifetime ?? defaults.maxApiKeyLifetime,
    maxFeedSize: record.overrides.maxFeedSize ?? defaults.maxFeedSize,
    maxVersionsPerId: record.overrides.maxVersionsPerId ?? defaults.maxVersionsPerId,
  },
});

const namePattern = /^[a-z0-9._-]{1,64}$/;

/**
 * Names a feed may not take: the path segments nugget uses or will use beside `/feeds/{name}/` (the web UI,
 * the admin API, the upstream proxy), and names that read as paths.
 */
export const reservedFeedNames: ReadonlySet<string> = new Set([
  '.',
  '..',
  'admin',
  'api',
  'v2',
  'v3',
  'feeds',
  'all',
  'new',
  'health',
  'metrics',
  'static',
  'ui',
  'upstream',
  'upstreams',
  'login',
  'logout',
]);

/** Why `name` cannot name a new feed, or undefined when it can. */
export function feedNameProblem(name: string): string | undefined {
  if (!namePattern.test(name)) {
    return (
      `'${name.slice(0, 80)}' is not a feed name: use 1 to 64 lower-case letters, digits, '-', '.' or '_' ` +
      `(for example 'ci' or 'team-a.release').`
    );
  }
  if (reservedFeedNames.has(name)) {
    return `'${name}' is reserved (nugget uses it in its URLs): choose another feed name, such as '${name}-feed'.`;
  }
  return undefined;
}

/** Checks a name given for a new feed: 400 with what to do when it cannot be one. */
export function requireFeedName(name: string): string {
  const problem = feedNameProblem(name);
  if (problem) throw invalidInput('feed_name_invalid', problem);
  return name;
}

/** Whether `name` could be an existing feed's name (a cheap check before any lookup). */
export const couldBeFeedName = (name: string): boolean => namePattern.test(name);

/** Every blob of a feed's pushes is under this prefix, so deleting or moving a feed touches no other feed's files. */
export const feedBlobRoot = (feed: string): string => `feeds/${feed}`;

/**
 * The prefix of one push's blobs: `feeds/{feed}/{packages|symbols}/{lower id}/{lower version}/{push id}`, unique
 * per push (docs/decisions/0002-safe-writes.md). Versions stored before feeds existed keep their `packages/...`
 * prefix (the row records it): the default feed's older files are not moved.
 */
export const pushBlobPrefix = (
  feed: string,
  kind: 'packages' | 'symbols',
  lowerId: string,
  lowerVersion: string,
  pushId: string,
): string => `${feedBlobRoot(feed)}/${kind}/${lowerId}/${lowerVersion}/${pushId}`;
