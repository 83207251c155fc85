// A feed may cap how long its API keys live (docs/security.md, "Key lifetime"; nuget.org offers 1, 8 or 30 days
// for the same reason: a leaked key stops working on its own). A key valid for several feeds obeys the strictest.
import { invalidInput } from '../errors.ts';
import type { FeedSettings } from '../packages/feed.ts';

export interface LifetimeCap {
  /** The feed whose setting it is. */
  readonly feed: string;
  readonly maxMs: number;
}

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** '30 days', '12 hours', '1 day 6 hours'. */
export function describeLifetime(ms: number): string {
  const days = Math.floor(ms / dayMs);
  const hours = Math.round((ms - days * dayMs) / hourMs);
  const parts = [
    ...(days > 0 ? [`${days} day${days === 1 ? '' : 's'}`] : []),
    ...(hours > 0 || days === 0 ? [`${hours} hour${hours === 1 ? '' : 's'}`] : []),
  ];
  return parts.join(' ');
}

/** The strictest of the caps, or undefined when none applies. */
export function strictestCap(caps: readonly (LifetimeCap | undefined)[]): LifetimeCap | undefined {
  let strictest: LifetimeCap | undefined;
  for (const cap of caps) if (cap && (!strictest || cap.maxMs < strictest.maxMs)) strictest = cap;
  return strictest;
}

const capOwner = (cap: LifetimeCap): string =>
  cap.feed === '*' ? 'This server (--max-api-key-lifetime)' : `Feed '${cap.feed}'`;

/** Refuses an expiry beyond the cap (or none at all, under a cap) with the longest one allowed. */
export function checkKeyLifetime(cap: LifetimeCap | undefined, expires: Date | undefined, now: Date): void {
  if (!cap) return;
  const allowed = describeLifetime(cap.maxMs);
  if (expires === undefined) {
    throw invalidInput(
      'api_key_lifetime_too_long',
      `${capOwner(cap)} allows API keys of at most ${allowed}: give an expiry (e.g. --expires ` +
        `${Math.max(1, Math.floor(cap.maxMs / hourMs))}h) instead of never.`,
    );
  }
  if (expires.getTime() - now.getTime() > cap.maxMs) {
    throw invalidInput(
      'api_key_lifetime_too_long',
      `${capOwner(cap)} allows API keys of at most ${allowed}; this one would live until ` +
        `${expires.toISOString()}. Give a shorter expiry.`,
    );
  }
}

/** The feeds and the server-wide defaults, as the feed directory knows them. */
export interface FeedSettingsSource {
  readonly defaults: Pick<FeedSettings, 'maxApiKeyLifetime'>;
  list(): Promise<
    readonly { readonly name: string; readonly settings: Pick<FeedSettings, 'maxApiKeyLifetime'> }[]
  >;
}

/**
 * The cap on a key valid for `feeds` (['*'] = every feed, today's and tomorrow's, so the server default counts
 * too): the strictest of theirs.
 */
export async function lifetimeCapFor(
  source: FeedSettingsSource,
  feeds: readonly string[],
): Promise<LifetimeCap | undefined> {
  const every = feeds.includes('*');
  const caps = (await source.list())
    .filter((feed) => every || feeds.includes(feed.name))
    .map((feed) =>
      feed.settings.maxApiKeyLifetime === undefined
        ? undefined
        : { feed: feed.name, maxMs: feed.settings.maxApiKeyLifetime },
    );
  const serverDefault = source.defaults.maxApiKeyLifetime;
  if (every && serverDefault !== undefined) caps.push({ feed: '*', maxMs: serverDefault });
  return strictestCap(caps);
}
