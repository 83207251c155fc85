import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chooseVersion,
  groupsForFrameworks,
  type PrefetchDependencyGroup,
  prefetchPackages,
  type PrefetchSource,
} from './prefetch.ts';

describe('chooseVersion: what restore takes from a version list', () => {
  const available = ['1.0.0', '1.1.0', '1.2.0-beta', '2.0.0', '2.1.0'];
  const rows: [string, string | undefined][] = [
    ['[1.0.0, )', '1.0.0'], // the lowest applicable version
    ['[1.0.5, )', '1.1.0'],
    ['[2.0.0]', '2.0.0'],
    ['(1.1.0, 2.0.0)', '1.2.0-beta'],
    ['[3.0.0, )', undefined],
    ['1.*', '1.1.0'], // floating: the highest match, stable only
    ['1.*-*', '1.2.0-beta'],
    ['*', '2.1.0'],
  ];
  for (const [range, expected] of rows) {
    it(`${range} -> ${String(expected)}`, () => assert.equal(chooseVersion(range, available), expected));
  }
});

describe('groupsForFrameworks: the dependency groups a build uses', () => {
  const group = (targetFramework: string): PrefetchDependencyGroup => ({
    targetFramework,
    dependencies: [{ id: `dep-of-${targetFramework || 'any'}`, range: '[1.0.0, )' }],
  });
  const groups = [group('.NETFramework4.6.2'), group('net6.0'), group('net8.0'), group('.NETStandard2.0')];
  const names = (chosen: PrefetchDependencyGroup[]) => chosen.map((g) => g.targetFramework);
  it('the nearest .NET group at or below the project framework', () => {
    assert.deepEqual(names(groupsForFrameworks(groups, ['net10.0'])), ['net8.0']);
    assert.deepEqual(names(groupsForFrameworks(groups, ['net7.0'])), ['net6.0']);
  });
  it('.NET Standard when no .NET group fits', () => {
    assert.deepEqual(names(groupsForFrameworks(groups, ['netcoreapp3.1'])), ['.NETStandard2.0']);
    assert.deepEqual(names(groupsForFrameworks(groups, ['net48'])), ['.NETFramework4.6.2']);
  });
  it('one group per project framework', () => {
    assert.deepEqual(names(groupsForFrameworks(groups, ['net10.0', 'net462'])).sort(), [
      '.NETFramework4.6.2',
      'net8.0',
    ]);
  });
  it('the any-framework group when nothing nearer exists', () => {
    assert.deepEqual(names(groupsForFrameworks([group(''), group('net462')], ['net10.0'])), ['']);
  });
  it('every group when a framework matches none, or none is known (a superset, never a miss)', () => {
    assert.equal(groupsForFrameworks([group('net462')], ['net10.0']).length, 1);
    assert.equal(groupsForFrameworks(groups, []).length, groups.length);
  });
});

/** A feed in memory: id -> version -> dependency groups; records what was downloaded. */
function memorySource(feed: Record<string, Record<string, PrefetchDependencyGroup[]>>) {
  const downloads: string[] = [];
  const registrations: string[] = [];
  const source: PrefetchSource = {
    versions: async (lowerId) => (feed[lowerId] ? Object.keys(feed[lowerId]) : undefined),
    fetchPackage: async (lowerId, lowerVersion) => {
      if (lowerId === 'broken') throw new Error('404 from the feed');
      downloads.push(`${lowerId}/${lowerVersion}`);
      return { bytes: 10, dependencyGroups: feed[lowerId]?.[lowerVersion] ?? [] };
    },
    registration: async (lowerId) => {
      registrations.push(lowerId);
    },
  };
  return { source, downloads, registrations };
}

describe('prefetchPackages', () => {
  const deps = (targetFramework: string, ...list: [string, string][]) => ({
    targetFramework,
    dependencies: list.map(([id, range]) => ({ id, range })),
  });
  it('walks the transitive graph for the build frameworks and downloads each package once', async () => {
    const { source, downloads, registrations } = memorySource({
      app: {
        '1.0.0': [
          deps('net8.0', ['Core', '[2.0.0, )'], ['Shared', '[1.0.0, )']),
          deps('net462', ['NotForNet10', '[1.0.0, )']),
        ],
      },
      core: { '1.0.0': [], '2.0.0': [deps('', ['Shared', '[1.1.0, )'])], '3.0.0': [] },
      shared: { '1.0.0': [], '1.1.0': [deps('net462', ['Legacy', '[1.0.0, )'])], '1.2.0': [] },
      legacy: { '1.0.0': [] },
    });
    const summary = await prefetchPackages(source, {
      requests: [{ id: 'App', range: '[1.0.0, )', from: 'app.csproj' }],
      frameworks: ['net10.0'],
    });
    // Shared 1.0.0 and 1.1.0 are both candidates of some range: both are kept. Core 3.0.0 is not. Shared 1.1.0
    // has only a net462 group, which no net10.0 build uses; prefetch keeps Legacy anyway (a superset, never a miss).
    assert.deepEqual(summary.packages, [
      'app/1.0.0',
      'core/2.0.0',
      'legacy/1.0.0',
      'shared/1.0.0',
      'shared/1.1.0',
    ]);
    assert.deepEqual([...downloads].sort(), summary.packages);
    assert.deepEqual(registrations.sort(), ['app', 'core', 'legacy', 'shared']);
    assert.equal(summary.bytes, 50);
    assert.deepEqual(summary.missing, []);
  });

  it('names what the feed lacks, and what failed to download, without stopping', async () => {
    const { source } = memorySource({
      app: { '1.0.0': [deps('', ['Gone', '[1.0.0, )'], ['Old', '[5.0.0, )'], ['Broken', '[1.0.0]'])] },
      old: { '1.0.0': [] },
      broken: { '1.0.0': [] },
    });
    const summary = await prefetchPackages(source, {
      requests: [{ id: 'App', range: '[1.0.0]', from: 'app.csproj' }],
      frameworks: [],
    });
    assert.equal(summary.missing.length, 3, summary.missing.join('\n'));
    assert.match(summary.missing.join('\n'), /Gone: the feed has no such package \(needed by App 1\.0\.0\)/);
    assert.match(summary.missing.join('\n'), /Old: no version in \[5\.0\.0, \)/);
    assert.match(summary.missing.join('\n'), /Broken 1\.0\.0: 404 from the feed/);
  });

  it('ends on a dependency cycle', async () => {
    const { source } = memorySource({
      a: { '1.0.0': [deps('', ['B', '[1.0.0, )'])] },
      b: { '1.0.0': [deps('', ['A', '[1.0.0, )'])] },
    });
    const summary = await prefetchPackages(source, {
      requests: [{ id: 'A', range: '[1.0.0, )', from: 'x' }],
      frameworks: [],
    });
    assert.deepEqual(summary.packages, ['a/1.0.0', 'b/1.0.0']);
  });
});
