// The contract every PackageStore + SearchIndex pair passes (docs/architecture.md rule 5). Run from test/storage/.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PackageSearchPorts } from '../../packages/ports.ts';
import type { PackageVersion } from '../../protocol/package-version.ts';
import { hostileTexts, printableNoise } from './hostile-text.ts';
import { seededRandom } from './seeded-random.ts';

export function samplePackageVersion(
  id: string,
  version: string,
  overrides: Partial<PackageVersion> = {},
): PackageVersion {
  const lowerVersion = version.toLowerCase();
  return {
    id,
    lowerId: id.toLowerCase(),
    version,
    lowerVersion,
    fullVersion: version,
    isPrerelease: version.includes('-'),
    isSemVer2: false,
    listed: true,
    published: '2026-11-20T10:00:00.000Z',
    downloads: 0,
    packageSize: 1234,
    packageHash: 'hash',
    blobPrefix: `packages/${id.toLowerCase()}/${lowerVersion}/p`,
    embeddedFiles: ['nuspec'],
    metadata: {
      authors: 'Contoso',
      description: `${id} does useful things`,
      tags: ['contoso', 'sample'],
      requireLicenseAcceptance: false,
      developmentDependency: false,
      packageTypes: [],
      dependencyGroups: [{ targetFramework: 'net8.0', dependencies: [{ id: 'Other', range: '[1.0.0, )' }] }],
    },
    ...overrides,
  };
}

const query = { q: '', skip: 0, take: 20, prerelease: false, semVer2: false };

export function packageStoreContract(name: string, create: () => Promise<PackageSearchPorts>): void {
  describe(`PackageStore and SearchIndex contract: ${name}`, () => {
    it('inserts a version and finds it by lower id and version, with every field intact', async () => {
      const { packages } = await create();
      const v = samplePackageVersion('Contoso.Core', '1.0.0');
      assert.equal(await packages.insert(v), 'inserted');
      assert.deepEqual(await packages.findVersion('contoso.core', '1.0.0'), v);
      assert.deepEqual(await packages.findVersions('contoso.core'), [v]);
      assert.equal(await packages.findVersion('contoso.core', '2.0.0'), undefined);
      assert.deepEqual(await packages.findVersions('nothing'), []);
    });

    it('hasVersions: any version of the id, listed or not, and only of that id', async () => {
      const { packages } = await create();
      assert.equal(await packages.hasVersions('contoso.has'), false);
      await packages.insert(samplePackageVersion('Contoso.Has', '1.0.0', { listed: false }));
      assert.equal(await packages.hasVersions('contoso.has'), true, 'an unlisted version counts');
      assert.equal(await packages.hasVersions('contoso.ha'), false, 'not a prefix match');
      await packages.remove('contoso.has', '1.0.0');
      assert.equal(await packages.hasVersions('contoso.has'), false, 'a removed one does not');
    });

    it('finds the versions of an id without metadata, and the versions named, of that id only', async () => {
      const { packages } = await create();
      const one = samplePackageVersion('Contoso.Keys', '1.0.0');
      const two = samplePackageVersion('Contoso.Keys', '2.0.0-beta.1', {
        fullVersion: '2.0.0-beta.1+build',
        isSemVer2: true,
      });
      await packages.insert(one);
      await packages.insert(two);
      await packages.insert(samplePackageVersion('Contoso.Other', '1.0.0'));
      const keys = (await packages.findVersionKeys('contoso.keys')).sort((a, b) =>
        a.lowerVersion.localeCompare(b.lowerVersion),
      );
      assert.deepEqual(
        keys,
        [one, two].map((v) => ({
          lowerVersion: v.lowerVersion,
          version: v.version,
          fullVersion: v.fullVersion,
          isSemVer2: v.isSemVer2,
        })),
      );
      assert.deepEqual(await packages.findVersionKeys('nothing'), []);
      assert.deepEqual(await packages.findVersionsIn('contoso.keys', [two.lowerVersion, '9.0.0']), [two]);
      assert.deepEqual(await packages.findVersionsIn('contoso.other', [two.lowerVersion]), []);
      assert.deepEqual(await packages.findVersionsIn('contoso.keys', []), []);
    });

    it('refuses a second row for the same lower id and version', async () => {
      const { packages } = await create();
      assert.equal(await packages.insert(samplePackageVersion('Contoso.Dup', '1.0.0')), 'inserted');
      assert.equal(
        await packages.insert(samplePackageVersion('CONTOSO.DUP', '1.0.0', { blobPrefix: 'other' })),
        'duplicate',
      );
      const rows = await packages.findVersions('contoso.dup');
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.blobPrefix, 'packages/contoso.dup/1.0.0/p');
    });

    it('unlists and relists; an unknown version answers false', async () => {
      const { packages, search } = await create();
      await packages.insert(samplePackageVersion('Contoso.Listing', '1.0.0'));
      assert.equal(await packages.setListed('contoso.listing', '1.0.0', false), true);
      assert.equal((await packages.findVersion('contoso.listing', '1.0.0'))?.listed, false);
      assert.equal((await search.search({ ...query, q: 'Contoso.Listing' })).totalHits, 0);
      assert.equal(await packages.setListed('contoso.listing', '1.0.0', true), true);
      assert.equal((await search.search({ ...query, q: 'Contoso.Listing' })).totalHits, 1);
      assert.equal(await packages.setListed('contoso.listing', '9.0.0', true), false);
    });

    it('removes a version and returns what it removed', async () => {
      const { packages, search } = await create();
      const v = samplePackageVersion('Contoso.Gone', '1.0.0');
      await packages.insert(v);
      assert.deepEqual(await packages.remove('contoso.gone', '1.0.0'), v);
      assert.equal(await packages.remove('contoso.gone', '1.0.0'), undefined);
      assert.deepEqual(await packages.findVersions('contoso.gone'), []);
      assert.equal((await search.search({ ...query, q: 'Contoso.Gone' })).totalHits, 0);
    });

    it('keeps downloads per version and day, added to by every batch and gone with the version', async () => {
      const { packages } = await create();
      await packages.insert(samplePackageVersion('Contoso.Daily', '1.0.0'));
      await packages.insert(samplePackageVersion('Contoso.Daily', '2.0.0'));
      await packages.insert(samplePackageVersion('Contoso.Other', '1.0.0'));
      const batch = (entries: [string, string, number][]) =>
        packages.addDownloads(
          new Map(
            entries.map(([lowerId, lowerVersion, count]) => [
              `${lowerId}/${lowerVersion}`,
              { lowerId, lowerVersion, count },
            ]),
          ),
        );
      await batch([
        ['contoso.daily', '1.0.0', 3],
        ['contoso.other', '1.0.0', 7],
      ]);
      await batch([
        ['contoso.daily', '1.0.0', 2],
        ['contoso.daily', '2.0.0', 1],
      ]);
      // Summed over days, so the test holds across midnight; the batches' day is the store clock's.
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const perVersion = async () => {
        const totals = new Map<string, number>();
        for (const row of await packages.downloadsPerDay('contoso.daily', yesterday)) {
          assert.match(row.day, /^\d{4}-\d\d-\d\d$/);
          totals.set(row.lowerVersion, (totals.get(row.lowerVersion) ?? 0) + row.downloads);
        }
        return Object.fromEntries([...totals].sort());
      };
      assert.deepEqual(await perVersion(), { '1.0.0': 5, '2.0.0': 1 });
      assert.deepEqual(await packages.downloadsPerDay('contoso.daily', '9999-01-01'), []);
      await packages.remove('contoso.daily', '1.0.0');
      assert.deepEqual(await perVersion(), { '2.0.0': 1 });
    });

    it('adds downloads per version and totals them in search', async () => {
      const { packages, search } = await create();
      await packages.insert(samplePackageVersion('Contoso.Counted', '1.0.0'));
      await packages.insert(samplePackageVersion('Contoso.Counted', '2.0.0'));
      await packages.addDownloads(
        new Map([
          ['a', { lowerId: 'contoso.counted', lowerVersion: '1.0.0', count: 3 }],
          ['b', { lowerId: 'contoso.counted', lowerVersion: '2.0.0', count: 2 }],
        ]),
      );
      assert.equal((await packages.findVersion('contoso.counted', '1.0.0'))?.downloads, 3);
      const { hits } = await search.search({ ...query, q: 'packageid:Contoso.Counted' });
      assert.deepEqual(
        hits[0]?.versions.map((v) => [v.version, v.downloads]),
        [
          ['1.0.0', 3],
          ['2.0.0', 2],
        ],
      );
    });

    it('searches the latest version a filter admits: prerelease and SemVer 2.0.0 levels', async () => {
      const { packages, search } = await create();
      await packages.insert(samplePackageVersion('Contoso.Levels', '1.0.0'));
      await packages.insert(samplePackageVersion('Contoso.Levels', '2.0.0-beta'));
      await packages.insert(samplePackageVersion('Contoso.Levels', '3.0.0-beta.1', { isSemVer2: true }));
      const latest = async (prerelease: boolean, semVer2: boolean) => {
        const { hits } = await search.search({
          ...query,
          q: 'packageid:contoso.levels',
          prerelease,
          semVer2,
        });
        return hits[0]?.versions.map((v) => v.version);
      };
      assert.deepEqual(await latest(false, false), ['1.0.0']);
      assert.deepEqual(await latest(true, false), ['1.0.0', '2.0.0-beta']);
      assert.deepEqual(await latest(true, true), ['1.0.0', '2.0.0-beta', '3.0.0-beta.1']);
    });

    it('ranks an exact id first, then id prefixes, then the rest', async () => {
      const { packages, search } = await create();
      await packages.insert(
        samplePackageVersion('Zeta.Tools', '1.0.0', {
          metadata: { ...samplePackageVersion('x', '1.0.0').metadata, description: 'works with logging' },
        }),
      );
      await packages.insert(samplePackageVersion('Logging.Extensions', '1.0.0'));
      await packages.insert(samplePackageVersion('Logging', '1.0.0'));
      const { hits, totalHits } = await search.search({ ...query, q: 'logging' });
      assert.equal(totalHits, 3);
      assert.deepEqual(
        hits.map((h) => h.lowerId),
        ['logging', 'logging.extensions', 'zeta.tools'],
      );
    });

    it('orders ids that tie on text by the downloads of now, page after page, asked again at the same stamp', async () => {
      const { packages, search } = await create();
      // Same token counts in every field and the same description: the text rank ties, downloads decide.
      const names = ['Tied.Aa', 'Tied.Bb', 'Tied.Cc', 'Tied.Dd', 'Tied.Ee'];
      const tied = (id: string) =>
        samplePackageVersion(id, '1.0.0', {
          metadata: { ...samplePackageVersion('x', '1.0.0').metadata, description: 'tiedword' },
        });
      for (const id of names) await packages.insert(tied(id));
      const page = async (skip: number, take: number) => {
        const result = await search.search({ ...query, q: 'tiedword', skip, take });
        return [result.totalHits, ...result.hits.map((h) => h.lowerId)];
      };
      const download = (lowerId: string, count: number) =>
        packages.addDownloads(new Map([[lowerId, { lowerId, lowerVersion: '1.0.0', count }]]));
      assert.deepEqual(await page(0, 2), [5, 'tied.aa', 'tied.bb']);
      assert.deepEqual(await page(2, 2), [5, 'tied.cc', 'tied.dd']);
      // Downloads move no change stamp; the pages asked before must still follow them.
      await download('tied.ee', 5);
      await download('tied.cc', 2);
      assert.deepEqual(await page(0, 2), [5, 'tied.ee', 'tied.cc']);
      assert.deepEqual(await page(2, 2), [5, 'tied.aa', 'tied.bb']);
      await download('tied.bb', 9);
      assert.deepEqual(await page(0, 2), [5, 'tied.bb', 'tied.ee']);
      assert.deepEqual(await page(2, 2), [5, 'tied.cc', 'tied.aa']);
      assert.deepEqual(await page(4, 2), [5, 'tied.dd']);
      // A push (a new stamp) adds its id to the pages at once.
      await packages.insert(tied('Tied.Ab'));
      await download('tied.ab', 20);
      assert.deepEqual(await page(0, 2), [6, 'tied.ab', 'tied.bb']);
      await packages.setListed('tied.ab', '1.0.0', false);
      assert.deepEqual(await page(0, 2), [5, 'tied.bb', 'tied.ee']);
      // Relisted, deleted (an id inside the kept window, then one beside it): each a new stamp, each seen at once.
      await packages.setListed('tied.ab', '1.0.0', true);
      assert.deepEqual(await page(0, 2), [6, 'tied.ab', 'tied.bb']);
      await packages.remove('tied.bb', '1.0.0');
      assert.deepEqual(await page(0, 2), [5, 'tied.ab', 'tied.ee']);
      await download('tied.dd', 30);
      assert.deepEqual(await page(0, 2), [5, 'tied.dd', 'tied.ab']);
      await packages.remove('tied.ee', '1.0.0');
      assert.deepEqual(await page(2, 2), [4, 'tied.cc', 'tied.aa']);
    });

    it('orders a tie longer than a page and its margin by the downloads of now', async () => {
      const { packages, search } = await create();
      const ids = Array.from({ length: 45 }, (_, i) => `Long.Tie${String(i).padStart(2, '0')}`);
      for (const id of ids) {
        await packages.insert(
          samplePackageVersion(id, '1.0.0', {
            metadata: { ...samplePackageVersion('x', '1.0.0').metadata, description: 'longtieword' },
          }),
        );
      }
      const page = async (skip: number) => {
        const result = await search.search({ ...query, q: 'longtieword', skip, take: 3 });
        return result.hits.map((h) => h.lowerId);
      };
      assert.deepEqual(await page(0), ['long.tie00', 'long.tie01', 'long.tie02']);
      assert.deepEqual(await page(40), ['long.tie40', 'long.tie41', 'long.tie42']);
      const download = (lowerId: string, count: number) =>
        packages.addDownloads(new Map([[lowerId, { lowerId, lowerVersion: '1.0.0', count }]]));
      await download('long.tie44', 3);
      await download('long.tie00', 1);
      assert.deepEqual(await page(0), ['long.tie44', 'long.tie00', 'long.tie01']);
      assert.deepEqual(await page(40), ['long.tie39', 'long.tie40', 'long.tie41']);
    });

    it('pages with skip and take and counts every hit', async () => {
      const { packages, search } = await create();
      for (const n of [1, 2, 3, 4, 5]) await packages.insert(samplePackageVersion(`Paged.P${n}`, '1.0.0'));
      const page = await search.search({ ...query, q: 'paged', skip: 2, take: 2 });
      assert.equal(page.totalHits, 5);
      assert.deepEqual(
        page.hits.map((h) => h.lowerId),
        ['paged.p3', 'paged.p4'],
      );
      // Past the last hit, and with take=0, the page is empty but totalHits still counts every match.
      for (const [skip, take] of [
        [5, 2],
        [100, 20],
        [0, 0],
        [3, 0],
      ] as const) {
        const empty = await search.search({ ...query, q: 'paged', skip, take });
        assert.deepEqual([empty.totalHits, empty.hits], [5, []], `skip=${skip} take=${take}`);
        const ids = await search.autocompleteIds({ ...query, q: 'paged', skip, take });
        assert.deepEqual([ids.totalHits, ids.ids], [5, []], `autocomplete skip=${skip} take=${take}`);
      }
      const nothing = await search.search({ ...query, q: 'nomatchanywhere', skip: 0, take: 20 });
      assert.deepEqual([nothing.totalHits, nothing.hits], [0, []]);
    });

    it('autocompletes id prefixes as the latest version spells them', async () => {
      const { packages, search } = await create();
      await packages.insert(samplePackageVersion('AutoComplete.One', '1.0.0'));
      await packages.insert(samplePackageVersion('AutoComplete.Two', '1.0.0'));
      await packages.insert(samplePackageVersion('Other.Thing', '1.0.0'));
      const { ids, totalHits } = await search.autocompleteIds({ ...query, q: 'autoc' });
      assert.equal(totalHits, 2);
      assert.deepEqual(ids.sort(), ['AutoComplete.One', 'AutoComplete.Two']);
    });

    it('filters on package type; a package without one is a Dependency', async () => {
      const { packages, search } = await create();
      const base = samplePackageVersion('x', '1.0.0').metadata;
      await packages.insert(
        samplePackageVersion('Typed.Tool', '1.0.0', {
          metadata: { ...base, packageTypes: [{ name: 'DotnetTool' }] },
        }),
      );
      await packages.insert(samplePackageVersion('Typed.Lib', '1.0.0'));
      const ids = async (packageType: string) =>
        (await search.search({ ...query, q: 'typed', packageType })).hits.map((h) => h.lowerId);
      assert.deepEqual(await ids('DotnetTool'), ['typed.tool']);
      assert.deepEqual(await ids('dependency'), ['typed.lib']);
      assert.deepEqual(await ids('NoSuchType'), []);
    });

    it('answers every hostile query without a fault, and still finds a word wrapped in syntax', async () => {
      const { packages, search } = await create();
      const base = samplePackageVersion('x', '1.0.0').metadata;
      // The words of both query languages are in the text, so a query that uses them as words can match.
      await packages.insert(
        samplePackageVersion('Fuzz.Target', '1.0.0', {
          metadata: { ...base, description: 'Fuzz target: and or not near json', tags: ['json', 'near'] },
        }),
      );
      await packages.insert(samplePackageVersion('Other.Package', '1.0.0'));
      const packageTypes = [undefined, '\u0000', '"', "' OR 1=1 --", '%', 'dependency\u0000', ' '];
      const texts = hostileTexts({ seed: 11, count: 300, maxLength: 1000 });
      for (const [i, q] of texts.entries()) {
        const packageType = packageTypes[i % packageTypes.length];
        const what = `text #${i} ${JSON.stringify(q).slice(0, 120)} packageType ${JSON.stringify(packageType)}`;
        const found = await search.search({ ...query, q, packageType }).catch((error: unknown) => {
          assert.fail(`search ${what}: ${String(error)}`);
        });
        assert.ok(Number.isInteger(found.totalHits) && found.totalHits >= found.hits.length, what);
        const completed = await search
          .autocompleteIds({ ...query, q, packageType })
          .catch((error: unknown) => {
            assert.fail(`autocomplete ${what}: ${String(error)}`);
          });
        assert.ok(Number.isInteger(completed.totalHits) && completed.totalHits >= completed.ids.length, what);
      }
      const random = seededRandom(12);
      for (let i = 0; i < 100; i++) {
        const [before, after] = [printableNoise(random), printableNoise(random)];
        const spaced = i % 2 === 0 ? ' ' : '';
        const q = `${before}${spaced}Fuzz.Target${spaced}${after}`;
        const { hits } = await search.search({ ...query, q });
        assert.equal(hits[0]?.lowerId, 'fuzz.target', `search ${JSON.stringify(q)} finds Fuzz.Target first`);
        const completed = await search.autocompleteIds({ ...query, q: `${before}Fuzz.Tar` });
        assert.deepEqual(
          completed.ids,
          ['Fuzz.Target'],
          `autocomplete ${JSON.stringify(`${before}Fuzz.Tar`)}`,
        );
      }
    });
  });
}
