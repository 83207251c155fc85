// The rules of a virtual feed (docs/upstreams.md), pure: which member's versions of an id a client is offered.
// - internal id wins: when a hosted member has the id (any version, listed or not), upstream members offer none of
//   it, unless the feed allows that upstream for a pattern matching the id (dependency confusion defence);
// - cooldown: upstream versions published (the upstream's own date) less than `cooldownMs` ago are not offered;
// - union: every member's versions, the first member in order winning a version two members have.
import { matchesIdPattern } from '../auth/id-pattern.ts';
import type { PackageVersion } from '../protocol/package-version.ts';
import type { FeedKind, UpstreamAllowance } from './feed.ts';

export interface MemberVersions {
  readonly member: string;
  readonly kind: Exclude<FeedKind, 'virtual'>;
  readonly versions: readonly PackageVersion[];
}

export interface MergeRules {
  readonly cooldownMs: number;
  readonly upstreamAllowed: readonly UpstreamAllowance[];
  /** ms since the epoch. */
  readonly now: number;
}

/** Whether an upstream member may offer `id` although a hosted member has it. */
export const upstreamAllowedFor = (
  allowances: readonly UpstreamAllowance[],
  member: string,
  id: string,
): boolean => allowances.some((a) => a.feed === member && matchesIdPattern(a.pattern, id));

/** Whether the upstream member's versions of the id are hidden (a hosted member has the id). */
export const hiddenByInternalId = (
  rules: Pick<MergeRules, 'upstreamAllowed'>,
  member: string,
  id: string,
  hostedHasId: boolean,
): boolean => hostedHasId && !upstreamAllowedFor(rules.upstreamAllowed, member, id);

/** Whether an upstream version is still in its cooldown. */
export function inCooldown(rules: Pick<MergeRules, 'cooldownMs' | 'now'>, version: PackageVersion): boolean {
  if (rules.cooldownMs <= 0) return false;
  const published = Date.parse(version.published);
  // An unparseable date is treated as brand new: offering it could break the rule, hiding it cannot.
  return Number.isNaN(published) || published > rules.now - rules.cooldownMs;
}

/** The versions a virtual feed offers of one id, each once, from the member that wins it; in member order. */
export function mergeVersions(
  lowerId: string,
  members: readonly MemberVersions[],
  rules: MergeRules,
): PackageVersion[] {
  const hostedHasId = members.some((m) => m.kind === 'hosted' && m.versions.length > 0);
  const offered = new Map<string, PackageVersion>();
  for (const member of members) {
    if (member.kind === 'upstream' && hiddenByInternalId(rules, member.member, lowerId, hostedHasId))
      continue;
    for (const version of member.versions) {
      if (member.kind === 'upstream' && inCooldown(rules, version)) continue;
      if (!offered.has(version.lowerVersion)) offered.set(version.lowerVersion, version);
    }
  }
  return [...offered.values()];
}

/** One member's page of search hits or ids, with the total it reports. */
export interface MemberPage<T> {
  readonly totalHits: number;
  readonly items: readonly T[];
}

/** How many items one member is asked for at a time while a page is filled (at most what search allows). */
const maxChunk = 1000;
/** Members are not asked past this offset (nuget.org's and nugget's largest `skip`). */
const maxOffset = 3000;

/**
 * Pages a merged result: the members' results one after another (in the order given: hosted first), `skip` and
 * `take` counted over what is kept. `keep` drops items (a duplicate id, an id a hosted member hides); a member is
 * asked again further on when it dropped some, so a page is full whenever there is more, and a page begins where
 * the one before it ended. The total is the members' totals less what was dropped among the items seen.
 */
export async function pageAcross<T>(
  members: readonly ((skip: number, take: number) => Promise<MemberPage<T>>)[],
  skip: number,
  take: number,
  keep: (item: T, kept: readonly T[]) => Promise<boolean>,
): Promise<{ totalHits: number; items: T[] }> {
  const kept: T[] = [];
  let totalHits = 0;
  for (const ask of members) {
    let offset = 0;
    let total: number | undefined;
    while (kept.length < skip + take && offset <= maxOffset) {
      const chunk = Math.min(Math.max(skip + take - kept.length, 20), maxChunk);
      const page = await ask(offset, chunk);
      total = page.totalHits;
      const answered = page.items.slice(0, chunk);
      for (const item of answered) {
        if (await keep(item, kept)) kept.push(item);
        else totalHits -= 1;
      }
      offset += answered.length;
      if (answered.length < chunk || offset >= page.totalHits) break;
    }
    // Past the page: the member's total only.
    total ??= (await ask(0, 0)).totalHits;
    totalHits += total;
  }
  return { totalHits: Math.max(totalHits, kept.length), items: kept.slice(skip, skip + take) };
}
