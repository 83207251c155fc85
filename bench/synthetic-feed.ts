// The synthetic feed of the server benchmark (bench/run.ts): deterministic for a given seed, shaped like a
// company feed rather than like uniform test data. bench/README.md describes the distributions.
import { seededRandom } from '../src/storage/contracts/seeded-random.ts';
import type { NupkgSpec } from '../test/fixtures/build-nupkg.ts';

// Real-looking words, so search and autocomplete get queries people type. Earlier words are picked more often
// (Zipf-like), as in real descriptions where "client", "json" and "http" are far more common than "geospatial".
export const words = [
  'client',
  'core',
  'json',
  'http',
  'logging',
  'data',
  'api',
  'async',
  'azure',
  'test',
  'extensions',
  'web',
  'configuration',
  'serialization',
  'sdk',
  'storage',
  'cache',
  'sql',
  'auth',
  'identity',
  'messaging',
  'events',
  'abstractions',
  'tools',
  'common',
  'service',
  'framework',
  'library',
  'runtime',
  'collections',
  'diagnostics',
  'metrics',
  'tracing',
  'queue',
  'grpc',
  'protobuf',
  'xml',
  'csv',
  'yaml',
  'parser',
  'validation',
  'mapping',
  'dependency',
  'injection',
  'hosting',
  'worker',
  'scheduler',
  'retry',
  'resilience',
  'policy',
  'redis',
  'kafka',
  'postgres',
  'sqlite',
  'mongo',
  'elastic',
  'search',
  'blob',
  'files',
  'compression',
  'crypto',
  'security',
  'jwt',
  'oauth',
  'graphql',
  'rest',
  'websocket',
  'signalr',
  'blazor',
  'razor',
  'mvc',
  'minimal',
  'analyzers',
  'generators',
  'source',
  'build',
  'msbuild',
  'templates',
  'cli',
  'console',
  'terminal',
  'colors',
  'images',
  'pdf',
  'excel',
  'reporting',
  'charts',
  'geospatial',
  'time',
  'money',
  'units',
  'localization',
  'globalization',
  'email',
  'sms',
  'notifications',
  'payments',
  'billing',
  'invoices',
  'orders',
  'inventory',
  'shipping',
  'customers',
  'accounts',
  'ledger',
  'audit',
  'workflow',
  'rules',
  'engine',
  'plugins',
  'modules',
  'features',
  'flags',
  'experiments',
  'telemetry',
  'health',
  'checks',
  'benchmarks',
  'mocks',
  'fixtures',
  'assertions',
];
const companies = [
  'Contoso',
  'Fabrikam',
  'Northwind',
  'AdventureWorks',
  'Tailspin',
  'Woodgrove',
  'Litware',
  'Proseware',
  'Wingtip',
  'Lucerne',
  'Margie',
  'Trey',
  'Alpine',
  'Coho',
  'Humongous',
  'Wide',
  'Blue',
  'Fourth',
  'Graphic',
  'Lamna',
];
const frameworks = ['net8.0', 'net9.0', 'netstandard2.0', 'net10.0', 'net472'];

export interface SyntheticPackage {
  readonly id: string;
  readonly title: string | undefined;
  readonly authors: string;
  readonly description: string;
  readonly tags: readonly string[];
  /** Target frameworks of the dependency groups (one group each). */
  readonly frameworks: readonly string[];
  /** Dependencies on earlier ids of the feed, with a minimum version. */
  readonly dependencies: readonly { readonly id: string; readonly range: string }[];
  /** Normalized versions, lowest first. */
  readonly versions: readonly string[];
  /** Indexes into `versions` of the unlisted ones. */
  readonly unlisted: ReadonlySet<number>;
}

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** Picks index i of n with weight 1/(i+1): a Zipf-like choice. */
function zipfPicker(n: number, random: () => number): () => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (let i = 0; i < n; i++) cumulative.push((sum += 1 / (i + 1)));
  return () => {
    const target = random() * sum;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((cumulative[mid] ?? 0) < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}

/** Standard normal from two uniforms (Box-Muller). */
const gaussian = (random: () => number) =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/**
 * Versions per id: log-normal (most ids have a handful, a few have hundreds), scaled so the total is exact,
 * at least 1 and at most max(2000, 20 x the mean) per id.
 */
export function versionCounts(ids: number, total: number, random: () => number): number[] {
  if (total < ids) throw new Error(`--versions (${total}) must be at least --ids (${ids})`);
  const cap = Math.max(2000, Math.ceil((20 * total) / ids));
  const raw = Array.from({ length: ids }, () => Math.exp(1.3 * gaussian(random)));
  const scale = (total - ids) / raw.reduce((a, b) => a + b, 0);
  const counts = raw.map((r) => Math.min(cap, 1 + Math.floor(r * scale)));
  let missing = total - counts.reduce((a, b) => a + b, 0);
  // Hand out the rounding remainder one by one, over ids that are still under the cap.
  for (let i = 0; missing !== 0 && i < ids * 64; i++) {
    const index = Math.floor(random() * ids);
    const count = counts[index] ?? 1;
    if (missing > 0 && count < cap) {
      counts[index] = count + 1;
      missing--;
    } else if (missing < 0 && count > 1) {
      counts[index] = count - 1;
      missing++;
    }
  }
  if (missing !== 0) throw new Error(`cannot spread ${total} versions over ${ids} ids`);
  return counts;
}

/**
 * A version history: mostly patch releases, some minor and a few major ones; about one release in five is
 * preceded by prereleases, half SemVer 2 (`-beta.2`, dotted) and half SemVer 1 (`-preview2`).
 */
function versionHistory(count: number, random: () => number): string[] {
  const versions: string[] = [];
  let major = random() < 0.3 ? 0 : 1;
  let minor = major === 0 ? 1 : 0;
  let patch = 0;
  while (versions.length < count) {
    if (random() < 0.2) {
      const semver2 = random() < 0.5;
      const label = ['alpha', 'beta', 'preview', 'rc'][Math.floor(random() * 4)] ?? 'beta';
      const prereleases = 1 + Math.floor(random() * 3);
      for (let n = 1; n <= prereleases && versions.length < count - 1; n++) {
        versions.push(`${major}.${minor}.${patch}-${label}${semver2 ? '.' : ''}${n}`);
      }
    }
    versions.push(`${major}.${minor}.${patch}`);
    const step = random();
    if (step < 0.65) patch++;
    else if (step < 0.95) [minor, patch] = [minor + 1, 0];
    else [major, minor, patch] = [major + 1, 0, 0];
  }
  return versions;
}

export interface SyntheticFeedOptions {
  readonly ids: number;
  readonly versions: number;
  readonly seed?: number;
  /**
   * One more id, after the others, with this many versions (issue 17: large real feeds have an id with thousands,
   * a monorepo's nightly builds). Drawn after every other id, so the rest of the feed is the same with or without.
   */
  readonly bigIdVersions?: number;
}

/** The id of the one big id (SyntheticFeedOptions.bigIdVersions). */
export const bigId = 'Contoso.Monorepo.Nightly';

export function syntheticFeed(options: SyntheticFeedOptions): SyntheticPackage[] {
  const random = seededRandom(options.seed ?? 7);
  const pickWord = zipfPicker(words.length, random);
  const word = () => words[pickWord()] ?? 'core';
  const counts = versionCounts(options.ids, options.versions, random);
  const seen = new Set<string>();
  const packages: SyntheticPackage[] = [];
  for (let index = 0; index < options.ids; index++) {
    const company = companies[Math.floor(random() * companies.length)] ?? 'Contoso';
    const parts = [company, capitalize(word())];
    if (random() < 0.6) parts.push(capitalize(word()));
    let id = parts.join('.');
    // Keep ids unique (case-insensitively, as NuGet does) by numbering the rare repeats.
    for (let n = 2; seen.has(id.toLowerCase()); n++) id = `${parts.join('.')}${n}`;
    seen.add(id.toLowerCase());

    const descriptionWords = Array.from({ length: 5 + Math.floor(random() * 36) }, word);
    const tags = [...new Set(Array.from({ length: Math.floor(random() * 7) }, word))];
    const groupCount = random() < 0.3 ? 0 : 1 + Math.floor(random() * 2);
    const groupFrameworks = [
      ...new Set(
        Array.from(
          { length: groupCount },
          () => frameworks[Math.floor(random() * frameworks.length)] ?? 'net8.0',
        ),
      ),
    ];
    const dependencies: { id: string; range: string }[] = [];
    const dependencyCount = index === 0 ? 0 : Math.floor(random() * random() * 6);
    for (let d = 0; d < dependencyCount; d++) {
      const target = packages[Math.floor(random() * packages.length)];
      if (target && !dependencies.some((dep) => dep.id === target.id)) {
        dependencies.push({ id: target.id, range: `[${target.versions[0] ?? '1.0.0'}, )` });
      }
    }
    const versions = versionHistory(counts[index] ?? 1, random);
    const unlisted = new Set<number>();
    for (let v = 0; v < versions.length - 1; v++) if (random() < 0.01) unlisted.add(v);
    packages.push({
      id,
      title: random() < 0.4 ? parts.join(' ') : undefined,
      authors: `${company} Engineering`,
      description: `${capitalize(descriptionWords.join(' '))}.`,
      tags,
      frameworks: groupFrameworks,
      dependencies,
      versions,
      unlisted,
    });
  }
  if (options.bigIdVersions) {
    packages.push({
      id: bigId,
      title: 'Contoso monorepo nightly',
      authors: 'Contoso Engineering',
      description: 'Every nightly build of the Contoso monorepo, one version a night.',
      tags: ['nightly', 'monorepo'],
      frameworks: ['net8.0'],
      dependencies: [],
      versions: versionHistory(options.bigIdVersions, random),
      unlisted: new Set(),
    });
  }
  return packages;
}

/** The nuspec of one version of a synthetic package, for buildNupkg. */
export function nupkgSpecOf(pkg: SyntheticPackage, version: string): NupkgSpec {
  return {
    id: pkg.id,
    version,
    authors: pkg.authors,
    description: pkg.description,
    ...(pkg.title === undefined ? {} : { title: pkg.title }),
    tags: [...pkg.tags],
    licenseExpression: 'MIT',
    projectUrl: `https://example.com/${pkg.id.toLowerCase()}`,
    dependencyGroups: pkg.frameworks.map((targetFramework) => ({
      targetFramework,
      dependencies: pkg.dependencies.map((d) => ({ id: d.id, range: d.range })),
    })),
  };
}
