// Retention: which versions of a feed to unlist or delete, decided from the versions' facts and the feed's rules
// alone (docs/retention.md). Pure: no clock, no I/O; the run (run-retention.ts) reads the facts, asks for the plan
// and carries it out, and a dry run prints the same plan object.
//
// How the rules combine: each removal rule picks versions of the ids its patterns match; a version picked by any
// rule is removed unless something keeps it (the protected list, being its id's latest stable version, being the
// exact dependency of a version that stays, or a keep-downloaded rule); delete wins over unlist. One pass can
// make a later pass pick more (a version unlisted now is an "unlisted version" next; a version removed now no
// longer protects its exact dependencies), so the plan repeats the pass on the state it leaves until nothing
// changes: carrying the plan out leaves a feed on which the same rules plan nothing.
import { matchesAnyIdPattern } from '../auth/id-pattern.ts';
import {
  anyVersionRange,
  compareVersions,
  type NuGetVersion,
  parseVersion,
  rangeSatisfies,
  tryParseVersionRange,
  type VersionRange,
  versionsEqual,
} from '../nuget/versioning/index.ts';

export type RetentionAction = 'unlist' | 'delete';

/** What a rule applies to: id patterns as API keys take them (src/auth/id-pattern.ts); absent = every id. */
interface Scoped {
  readonly packages?: readonly string[] | undefined;
}

export type RetentionRule = Scoped &
  (
    | {
        /** Keep the latest `count` versions (stable and prerelease) of each major (1.x) or major.minor (1.2.x). */
        readonly kind: 'keep-latest';
        readonly per: 'major' | 'minor';
        readonly count: number;
        readonly action: RetentionAction;
      }
    | {
        /** Keep the latest `count` prereleases of each release line (2.1.0-beta.1 ... 2.1.0-rc.3: line 2.1.0). */
        readonly kind: 'keep-latest-prereleases';
        readonly count: number;
        readonly action: RetentionAction;
      }
    | {
        /** Prereleases published more than `days` days ago. */
        readonly kind: 'prereleases-older-than';
        readonly days: number;
        readonly action: RetentionAction;
      }
    | {
        /** Unlisted versions published more than `days` days ago are deleted. */
        readonly kind: 'unlisted-older-than';
        readonly days: number;
      }
    | {
        /** Keeps every version downloaded in the last `days` days, whatever the other rules pick. */
        readonly kind: 'keep-downloaded';
        readonly days: number;
      }
  );

/** Versions never touched: an id pattern and a NuGet version range ('[1.0.0, 2.0.0)', '1.4.2', '*'). */
export interface ProtectedVersions {
  readonly id: string;
  readonly versions: string;
}

export interface RetentionPolicy {
  readonly rules: readonly RetentionRule[];
  readonly protected: readonly ProtectedVersions[];
}

export const emptyRetentionPolicy: RetentionPolicy = { rules: [], protected: [] };

/** One version of the feed, with the facts the rules read. */
export interface RetentionFacts {
  readonly id: string;
  readonly lowerId: string;
  /** Normalized version, as the flat container lists it (without build metadata). */
  readonly version: string;
  readonly lowerVersion: string;
  readonly listed: boolean;
  /** ISO 8601. */
  readonly published: string;
  /** ISO 8601 of the latest recorded download (to the download counter's flush interval); undefined: never. */
  readonly lastDownloaded?: string | undefined;
  /** Its dependencies, as its nuspec declares them (every target framework). */
  readonly dependencies: readonly { readonly id: string; readonly range: string }[];
}

export interface RetentionDecision {
  readonly id: string;
  readonly lowerId: string;
  readonly version: string;
  readonly lowerVersion: string;
  readonly action: RetentionAction;
  /** Why, one line per rule that picked it. */
  readonly reasons: readonly string[];
}

/** What a run does, in the order it does it: the dry run prints this object, the real run carries it out. */
export interface RetentionPlan {
  /** The time the rules were evaluated at (ISO 8601). */
  readonly at: string;
  readonly decisions: readonly RetentionDecision[];
  /** Versions a rule picked but something kept, with what kept them (for the dry run's report). */
  readonly kept: readonly {
    readonly id: string;
    readonly version: string;
    readonly because: readonly string[];
  }[];
}

/** A protected list's range: a NuGet version range ('[1.2.3]' is exactly 1.2.3, '1.2.3' is 1.2.3 or higher), or '*'. */
export const protectedRange = (text: string): VersionRange | undefined =>
  text.trim() === '*' ? anyVersionRange : tryParseVersionRange(text);

const dayMs = 24 * 60 * 60 * 1000;
const keyOf = (lowerId: string, lowerVersion: string) => `${lowerId}/${lowerVersion}`;

interface Current extends RetentionFacts {
  readonly parsed: NuGetVersion;
  listed: boolean;
}

const appliesTo = (rule: Scoped, id: string) => matchesAnyIdPattern(rule.packages ?? ['*'], id);
const isPrerelease = (v: NuGetVersion) => v.releaseLabels.length > 0;
const olderThan = (iso: string, days: number, now: number) => now - Date.parse(iso) > days * dayMs;

export function describeRule(rule: RetentionRule): string {
  const scope =
    rule.packages && !(rule.packages.length === 1 && rule.packages[0] === '*')
      ? ` of ${rule.packages.join(', ')}`
      : '';
  switch (rule.kind) {
    case 'keep-latest':
      return `keep the latest ${rule.count} per ${rule.per === 'major' ? 'major' : 'major.minor'}${scope} (${rule.action} the rest)`;
    case 'keep-latest-prereleases':
      return `keep the latest ${rule.count} prereleases per release line${scope} (${rule.action} the rest)`;
    case 'prereleases-older-than':
      return `${rule.action} prereleases older than ${rule.days} days${scope}`;
    case 'unlisted-older-than':
      return `delete unlisted versions older than ${rule.days} days${scope}`;
    case 'keep-downloaded':
      return `keep versions downloaded in the last ${rule.days} days${scope}`;
  }
}

/** The versions of one id, highest first. */
function byIdHighestFirst(state: ReadonlyMap<string, Current>): Map<string, Current[]> {
  const ids = new Map<string, Current[]>();
  for (const v of state.values()) {
    const list = ids.get(v.lowerId) ?? [];
    list.push(v);
    ids.set(v.lowerId, list);
  }
  for (const list of ids.values()) list.sort((a, b) => compareVersions(b.parsed, a.parsed));
  return ids;
}

/** Groups versions (highest first) by a key, keeping the order. */
function groupBy(versions: readonly Current[], key: (v: Current) => string): Current[][] {
  const groups = new Map<string, Current[]>();
  for (const v of versions) {
    const k = key(v);
    const group = groups.get(k) ?? [];
    group.push(v);
    groups.set(k, group);
  }
  return [...groups.values()];
}

const releaseLine = (v: NuGetVersion) => `${v.major}.${v.minor}.${v.patch}.${v.revision}`;

/** What each removal rule picks on this state: version key -> action and reasons. */
function picks(
  policy: RetentionPolicy,
  ids: ReadonlyMap<string, Current[]>,
  now: number,
): Map<string, { action: RetentionAction; reasons: string[] }> {
  const picked = new Map<string, { action: RetentionAction; reasons: string[] }>();
  const pick = (v: Current, action: RetentionAction, rule: RetentionRule) => {
    const key = keyOf(v.lowerId, v.lowerVersion);
    const entry = picked.get(key) ?? { action, reasons: [] };
    if (action === 'delete') entry.action = 'delete';
    entry.reasons.push(describeRule(rule));
    picked.set(key, entry);
  };
  for (const rule of policy.rules) {
    for (const versions of ids.values()) {
      if (!appliesTo(rule, versions[0]!.id)) continue;
      switch (rule.kind) {
        case 'keep-latest': {
          const key = (v: Current) =>
            rule.per === 'major' ? `${v.parsed.major}` : `${v.parsed.major}.${v.parsed.minor}`;
          for (const group of groupBy(versions, key)) {
            for (const v of group.slice(rule.count)) pick(v, rule.action, rule);
          }
          break;
        }
        case 'keep-latest-prereleases': {
          const prereleases = versions.filter((v) => isPrerelease(v.parsed));
          for (const group of groupBy(prereleases, (v) => releaseLine(v.parsed))) {
            for (const v of group.slice(rule.count)) pick(v, rule.action, rule);
          }
          break;
        }
        case 'prereleases-older-than':
          for (const v of versions) {
            if (isPrerelease(v.parsed) && olderThan(v.published, rule.days, now)) pick(v, rule.action, rule);
          }
          break;
        case 'unlisted-older-than':
          for (const v of versions) {
            if (!v.listed && olderThan(v.published, rule.days, now)) pick(v, 'delete', rule);
          }
          break;
        case 'keep-downloaded':
          break;
      }
    }
  }
  return picked;
}

/** The dependencies a version has on exactly one version (`[1.2.3]`). */
function exactDependencies(
  dependent: Pick<RetentionFacts, 'dependencies'>,
): { id: string; version: NuGetVersion }[] {
  const exact: { id: string; version: NuGetVersion }[] = [];
  for (const dependency of dependent.dependencies) {
    const range = tryParseVersionRange(dependency.range);
    if (!range?.minVersion || !range.maxVersion || !range.isMinInclusive || !range.isMaxInclusive) continue;
    if (versionsEqual(range.minVersion, range.maxVersion))
      exact.push({ id: dependency.id, version: range.minVersion });
  }
  return exact;
}

/** Whether `dependent` depends on exactly the version `target` names. */
export function dependsExactlyOn(
  dependent: Pick<RetentionFacts, 'dependencies'>,
  target: Pick<RetentionFacts, 'lowerId' | 'version'>,
): boolean {
  const version = parseVersion(target.version);
  return exactDependencies(dependent).some(
    (d) => d.id.toLowerCase() === target.lowerId && versionsEqual(d.version, version),
  );
}

/** Why a version must stay on this state, or an empty list when nothing keeps it. */
function keepers(
  policy: RetentionPolicy,
  state: ReadonlyMap<string, Current>,
  ids: ReadonlyMap<string, Current[]>,
  now: number,
): Map<string, string[]> {
  const kept = new Map<string, string[]>();
  const keep = (v: Pick<Current, 'lowerId' | 'lowerVersion'>, because: string) => {
    const key = keyOf(v.lowerId, v.lowerVersion);
    kept.set(key, [...(kept.get(key) ?? []), because]);
  };
  const protectedRanges = policy.protected.map((p) => ({ ...p, range: protectedRange(p.versions) }));
  for (const versions of ids.values()) {
    // The latest stable version: the highest listed one, or with none listed the highest there is.
    const stable = versions.filter((v) => !isPrerelease(v.parsed));
    const latestStable = stable.find((v) => v.listed) ?? stable[0];
    if (latestStable) keep(latestStable, 'it is the latest stable version');
    // Patterns are matched once per id, not once per version.
    const id = versions[0]!.id;
    const protecting = protectedRanges.filter((p) => matchesAnyIdPattern([p.id], id));
    const downloadRules = policy.rules.filter(
      (rule) => rule.kind === 'keep-downloaded' && appliesTo(rule, id),
    );
    for (const v of versions) {
      for (const p of protecting) {
        if (p.range && rangeSatisfies(p.range, v.parsed)) {
          keep(v, `protected (${p.id} ${p.versions})`);
        }
      }
      for (const rule of downloadRules) {
        if (rule.kind !== 'keep-downloaded') continue;
        if (v.lastDownloaded !== undefined && !olderThan(v.lastDownloaded, rule.days, now)) {
          keep(v, describeRule(rule).replace('keep versions ', ''));
        }
      }
    }
  }
  // A version that stays and depends on exactly one version ([1.2.3]) keeps it: its restore needs it. Unlisted
  // versions count too: a lock file or a pinned project restores them.
  for (const dependent of state.values()) {
    for (const { id, version } of exactDependencies(dependent)) {
      for (const v of ids.get(id.toLowerCase()) ?? []) {
        if (versionsEqual(v.parsed, version)) {
          keep(v, `${dependent.id} ${dependent.version} depends on exactly this version`);
        }
      }
    }
  }
  return kept;
}

/** Decides what retention does to a feed with these versions at time `now`. */
export function planRetention(
  versions: readonly RetentionFacts[],
  policy: RetentionPolicy,
  now: Date,
): RetentionPlan {
  const state = new Map<string, Current>();
  for (const v of versions)
    state.set(keyOf(v.lowerId, v.lowerVersion), { ...v, parsed: parseVersion(v.version) });
  const decisions = new Map<string, { decision: RetentionDecision; order: number }>();
  const keptBy = new Map<string, { id: string; version: string; because: string[] }>();
  let order = 0;
  for (;;) {
    const ids = byIdHighestFirst(state);
    const picked = picks(policy, ids, now.getTime());
    const kept = keepers(policy, state, ids, now.getTime());
    const step: { key: string; v: Current; action: RetentionAction; reasons: string[] }[] = [];
    for (const [key, { action, reasons }] of picked) {
      const v = state.get(key)!;
      const because = kept.get(key);
      if (because) {
        keptBy.set(key, { id: v.id, version: v.version, because });
        continue;
      }
      if (action === 'unlist' && !v.listed) continue;
      step.push({ key, v, action, reasons });
    }
    if (step.length === 0) break;
    step.sort((a, b) => a.v.lowerId.localeCompare(b.v.lowerId) || compareVersions(a.v.parsed, b.v.parsed));
    for (const { key, v, action, reasons } of step) {
      keptBy.delete(key);
      const earlier = decisions.get(key);
      decisions.set(key, {
        order: earlier?.order ?? order++,
        decision: {
          id: v.id,
          lowerId: v.lowerId,
          version: v.version,
          lowerVersion: v.lowerVersion,
          action,
          reasons: [...new Set([...(earlier?.decision.reasons ?? []), ...reasons])],
        },
      });
      if (action === 'delete') state.delete(key);
      else v.listed = false;
    }
  }
  return {
    at: now.toISOString(),
    decisions: [...decisions.values()].sort((a, b) => a.order - b.order).map((d) => d.decision),
    kept: [...keptBy.values()].sort((a, b) => a.id.localeCompare(b.id) || a.version.localeCompare(b.version)),
  };
}
