// `nugget prefetch`: make a feed hold everything a build needs, so the build restores when nothing but nugget is
// reachable (docs/upstreams.md, "Prefetch"). Given what the build asks for (project-references.ts), it walks the
// dependency graph the way restore does, through the feed itself: the version list of each id
// (package-base-address-resource.md), the lowest version a range accepts (NuGet's "lowest applicable version"
// rule; the highest for a floating version), the dependency groups of the .nuspec for the build's target
// frameworks, and then downloads every .nupkg and the registration of every id. Reading through the feed is what
// makes a virtual feed fetch and keep each of them from its upstream, with the checks and provenance of any
// other first download. The walk takes more than restore would (every candidate a range names, and every
// dependency group when a framework cannot be matched): a superset is what an air-gapped machine needs.
import {
  AnyFramework,
  type NuGetFramework,
  parseFramework,
  SpecialIdentifiers,
} from '../nuget/frameworks/index.ts';
import {
  compareVersions,
  isPrerelease,
  type NuGetVersion,
  parseVersionRangeOrReason,
  rangeSatisfies,
  toNormalizedString,
  tryParseVersion,
} from '../nuget/versioning/index.ts';
import type { PackageRequest } from './project-references.ts';

export interface PrefetchDependencyGroup {
  /** As the nuspec writes it; '' for "any framework". */
  readonly targetFramework: string;
  readonly dependencies: readonly { readonly id: string; readonly range: string }[];
}

/** The feed, as prefetch reads it (the CLI's adapter reads it over HTTP, like a client). */
export interface PrefetchSource {
  /** The versions of an id (lower-case, normalized), or undefined when the feed has no such id. */
  versions(lowerId: string): Promise<readonly string[] | undefined>;
  /** Downloads the .nupkg (so the feed keeps it): its size and the dependency groups of its nuspec. */
  fetchPackage(
    lowerId: string,
    lowerVersion: string,
  ): Promise<{ readonly bytes: number; readonly dependencyGroups: readonly PrefetchDependencyGroup[] }>;
  /** Reads the registration of an id (so the feed keeps its metadata for `dotnet list package` offline). */
  registration(lowerId: string): Promise<void>;
}

export interface PrefetchProgress {
  /** The graph grew: `total` packages are known so far. */
  found?(total: number): void;
  downloaded?(lowerId: string, lowerVersion: string, bytes: number): void;
  warn?(line: string): void;
}

export interface PrefetchSummary {
  /** `lower id/lower version`, sorted. */
  readonly packages: readonly string[];
  readonly bytes: number;
  /** What could not be found or fetched, one line each; empty when the build has everything. */
  readonly missing: readonly string[];
}

// The frameworks each project framework can use, nearest first (simplified from NuGet's compatibility table:
// same family at or below the version, then .NET Standard as the .NET Standard docs map it).
// https://learn.microsoft.com/dotnet/standard/net-standard#net-implementation-support
const standardFor = (f: NuGetFramework): number => {
  const [major = 0, minor = 0] = f.version.split('.').map(Number);
  if (f.framework === '.NETCoreApp') return major >= 3 ? 2.1 : major >= 2 ? 2.0 : 1.6;
  if (f.framework === '.NETFramework') {
    const v = major * 100 + minor * 10 + Number(f.version.split('.')[2] ?? 0);
    return v >= 461 ? 2.0 : v >= 460 ? 1.3 : v >= 451 ? 1.2 : v >= 450 ? 1.1 : 0;
  }
  if (f.framework === '.NETStandard') return major + minor / 10;
  return 0;
};

const versionNumber = (f: NuGetFramework): number => {
  const [major = 0, minor = 0, build = 0] = f.version.split('.').map(Number);
  return major * 10_000 + minor * 100 + build;
};

/** How well a group's framework suits a project framework: higher is nearer, undefined is not compatible. */
function nearness(project: NuGetFramework, group: NuGetFramework): number | undefined {
  if (group.framework === SpecialIdentifiers.Any) return 0;
  if (
    group.framework === project.framework &&
    group.profile === '' &&
    versionNumber(group) <= versionNumber(project)
  )
    return 2_000_000 + versionNumber(group);
  if (group.framework === '.NETStandard') {
    const standard = versionNumber(group) / 10_000;
    if (standard <= standardFor(project) + 1e-9) return 1_000_000 + versionNumber(group);
  }
  return undefined;
}

/**
 * The dependency groups a build for `frameworks` uses: per framework the nearest compatible group. Every group
 * when no framework is known, or when a framework matches none (a superset rather than a missed dependency).
 */
export function groupsForFrameworks(
  groups: readonly PrefetchDependencyGroup[],
  frameworks: readonly string[],
): PrefetchDependencyGroup[] {
  const parsed = frameworks
    .map((f) => parseFramework(f))
    .filter((f) => f.framework !== SpecialIdentifiers.Unsupported);
  if (parsed.length === 0 || groups.length === 0) return [...groups];
  const chosen = new Set<PrefetchDependencyGroup>();
  for (const project of parsed) {
    let best: { group: PrefetchDependencyGroup; score: number } | undefined;
    for (const group of groups) {
      const framework = group.targetFramework === '' ? AnyFramework : parseFramework(group.targetFramework);
      const score = nearness(project, framework);
      if (score !== undefined && (best === undefined || score > best.score)) best = { group, score };
    }
    if (best) chosen.add(best.group);
    else return [...groups];
  }
  return [...chosen];
}

/**
 * The version restore would take for a request from the versions the feed lists: the lowest in the range, or for
 * a floating version (`1.*`, `1.2.*-*`, `*`) the highest that matches. Undefined when none does.
 */
export function chooseVersion(range: string, available: readonly string[]): string | undefined {
  const versions = available
    .map((text) => ({ text, version: tryParseVersion(text) }))
    .filter((v): v is { text: string; version: NuGetVersion } => v.version !== undefined)
    .sort((a, b) => compareVersions(a.version, b.version));
  if (range.includes('*')) {
    const [release = '', pre] = range.split(/-(.*)/s, 2);
    const pattern = new RegExp(
      `^${release.replace(/[.+]/g, '\\$&').replace('*', '.*')}${pre === undefined ? '' : `-${pre.replace(/[.+]/g, '\\$&').replace('*', '.*')}`}$`,
      'i',
    );
    const match = versions.filter(
      (v) => (pre !== undefined || !isPrerelease(v.version)) && pattern.test(toNormalizedString(v.version)),
    );
    return match.at(-1)?.text;
  }
  const parsed = parseVersionRangeOrReason(range);
  if (typeof parsed === 'string') return undefined;
  return versions.find((v) => rangeSatisfies(parsed, v.version))?.text;
}

/** A bound on how many requests run at once. */
function limiter(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** Resolves the graph of `requests` through `source`, downloading every package in it, `concurrency` at a time. */
export async function prefetchPackages(
  source: PrefetchSource,
  input: { requests: readonly PackageRequest[]; frameworks: readonly string[]; concurrency?: number },
  progress: PrefetchProgress = {},
): Promise<PrefetchSummary> {
  const limit = limiter(Math.max(1, input.concurrency ?? 4));
  const versionLists = new Map<string, Promise<readonly string[] | undefined>>();
  const versionsOf = (lowerId: string) => {
    let list = versionLists.get(lowerId);
    if (!list) {
      list = limit(() => source.versions(lowerId));
      versionLists.set(lowerId, list);
    }
    return list;
  };
  const packages = new Set<string>();
  const downloaded: string[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  let bytes = 0;

  const visit = async (request: { id: string; range: string; from: string }): Promise<void> => {
    const lowerId = request.id.toLowerCase();
    const key = `${lowerId} ${request.range}`;
    if (seen.has(key)) return;
    seen.add(key);
    const versions = await versionsOf(lowerId);
    if (!versions) {
      missing.push(`${request.id}: the feed has no such package (needed by ${request.from})`);
      return;
    }
    const lowerVersion = chooseVersion(request.range, versions)?.toLowerCase();
    if (!lowerVersion) {
      missing.push(`${request.id}: no version in ${request.range} (needed by ${request.from})`);
      return;
    }
    const packageKey = `${lowerId}/${lowerVersion}`;
    if (packages.has(packageKey)) return;
    packages.add(packageKey);
    progress.found?.(packages.size);
    let fetched;
    try {
      fetched = await limit(() => source.fetchPackage(lowerId, lowerVersion));
    } catch (error) {
      const line = `${request.id} ${lowerVersion}: ${(error as Error).message}`;
      missing.push(line);
      progress.warn?.(line);
      return;
    }
    bytes += fetched.bytes;
    downloaded.push(packageKey);
    progress.downloaded?.(lowerId, lowerVersion, fetched.bytes);
    const next = groupsForFrameworks(fetched.dependencyGroups, input.frameworks).flatMap((group) =>
      group.dependencies.map((d) => ({ id: d.id, range: d.range, from: `${request.id} ${lowerVersion}` })),
    );
    await Promise.all(next.map(visit));
  };
  await Promise.all(input.requests.map(visit));

  for (const lowerId of new Set(downloaded.map((key) => key.split('/')[0] as string))) {
    try {
      await limit(() => source.registration(lowerId));
    } catch (error) {
      progress.warn?.(`${lowerId}: registration: ${(error as Error).message}`);
    }
  }
  return { packages: downloaded.sort(), bytes, missing: missing.sort() };
}
