// RegistrationsBaseUrl: the three hives. Spec: ../../../shared/spec/nuget-api/registration-base-url-resource.md
// What the client reads (catalogEntry fields, page bounds, real ranges never ""):
// ../../../shared/notes/client-behaviour.md §1.3.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import {
  assertClientError,
  assertHeadLikeGet,
  type JsonObject,
  origin,
  parseJson,
  pathOf,
  resourceId,
  startFeed,
  type TestFeed,
  testApiKey,
} from './feed-fixture.ts';

type Hive = 'plain' | 'gz' | 'semver2';
const hiveTypes: Record<Hive, string> = {
  plain: 'RegistrationsBaseUrl',
  gz: 'RegistrationsBaseUrl/3.4.0',
  semver2: 'RegistrationsBaseUrl/3.6.0',
};
const gzip = { 'accept-encoding': 'gzip, deflate' };
const isoUtc = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe('registration hives', () => {
  let feed: TestFeed;
  /** Path of each hive's base, discovered from the service index as the client does. */
  const base = {} as Record<Hive, string>;
  const pngBytes = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    randomBytes(16),
  ]);

  before(async () => {
    feed = await startFeed();
    const index = await feed.json('/v3/index.json');
    for (const hive of Object.keys(hiveTypes) as Hive[]) {
      base[hive] = pathOf(resourceId(index, hiveTypes[hive])).replace(/\/?$/, '/');
    }
    await feed.publish({
      id: 'Reg.Pkg',
      version: '1.0.0',
      authors: 'Ada Lovelace, Charles Babbage',
      description: 'A package with every field the catalog entry carries.',
      title: 'Registration Package',
      summary: 'Short summary',
      tags: ['alpha', 'beta'],
      projectUrl: 'https://example.com/reg-pkg',
      licenseExpression: 'MIT',
      readme: { path: 'README.md', content: '# Reg.Pkg' },
      icon: { path: 'icon.png', bytes: pngBytes },
      requireLicenseAcceptance: true,
      dependencyGroups: [
        {
          targetFramework: 'net8.0',
          dependencies: [
            { id: 'Dep.Min', range: '1.0' },
            { id: 'Dep.Between', range: '[1.0,2.0)' },
            { id: 'Dep.Any' },
          ],
        },
        { targetFramework: 'netstandard2.0', dependencies: [] },
      ],
    });
    await feed.publish({
      id: 'Reg.Pkg',
      version: '2.0.0-beta',
      iconUrl: 'https://example.com/icon.png',
    });
    // SemVer 2.0.0 by their version: a dotted pre-release label, and build metadata.
    await feed.publish({ id: 'Reg.Pkg', version: '2.1.0-beta.1' });
    await feed.publish({ id: 'Reg.Pkg', version: '3.0.0+build.7' });
    // SemVer 2.0.0 only through a dependency range bound.
    await feed.publish({
      id: 'Reg.DepSemVer2',
      version: '1.0.0',
      dependencyGroups: [{ dependencies: [{ id: 'Reg.Pkg', range: '[2.1.0-beta.1, )' }] }],
    });
    await feed.publish({ id: 'Reg.Unlisted', version: '1.0.0' });
    await feed.publish({ id: 'Reg.Unlisted', version: '1.1.0' });
    const unlist = await feed.request('DELETE', '/v3/package/Reg.Unlisted/1.1.0', {
      headers: { 'x-nuget-apikey': testApiKey },
    });
    assert.equal(unlist.statusCode, 204);
  });
  after(() => feed.close());

  const indexOf = (hive: Hive, lowerId: string) => feed.json(`${base[hive]}${lowerId}/index.json`, gzip);
  const versionsIn = (index: JsonObject): string[] =>
    index['items'].flatMap((page: JsonObject) =>
      page['items'].map((leaf: JsonObject) => leaf['catalogEntry']['version']),
    );
  const entryOf = async (hive: Hive, lowerId: string, version: string): Promise<JsonObject> => {
    const leaf = (await indexOf(hive, lowerId))['items']
      .flatMap((page: JsonObject) => page['items'])
      .find((l: JsonObject) => l['catalogEntry']['version'] === version);
    assert.ok(leaf, `${lowerId} ${version} in ${hive}`);
    return leaf['catalogEntry'];
  };

  test('the SemVer 1 hives leave SemVer 2.0.0 versions out; 3.6.0 has them all, with metadata', async () => {
    for (const hive of ['plain', 'gz'] as const) {
      assert.deepEqual(versionsIn(await indexOf(hive, 'reg.pkg')), ['1.0.0', '2.0.0-beta'], hive);
    }
    assert.deepEqual(versionsIn(await indexOf('semver2', 'reg.pkg')), [
      '1.0.0',
      '2.0.0-beta',
      '2.1.0-beta.1',
      '3.0.0+build.7',
    ]);
  });

  test('a package that is SemVer 2.0.0 only by a dependency range is in 3.6.0 only', async () => {
    for (const hive of ['plain', 'gz'] as const) {
      assertClientError(await feed.get(`${base[hive]}reg.depsemver2/index.json`, gzip), 404, hive);
      assertClientError(await feed.get(`${base[hive]}reg.depsemver2/1.0.0.json`, gzip), 404, hive);
    }
    assert.deepEqual(versionsIn(await indexOf('semver2', 'reg.depsemver2')), ['1.0.0']);
    const entry = await entryOf('semver2', 'reg.depsemver2', '1.0.0');
    assert.equal(entry['dependencyGroups'][0]['dependencies'][0]['range'], '[2.1.0-beta.1, )');
  });

  test('gz hives answer gzip to a client that accepts it; the plain hive never does', async () => {
    for (const hive of ['gz', 'semver2'] as const) {
      const response = await feed.get(`${base[hive]}reg.pkg/index.json`, gzip);
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-encoding'], 'gzip', hive);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      assert.equal(Number(response.headers['content-length']), response.rawPayload.length);
    }
    const plain = await feed.get(`${base.plain}reg.pkg/index.json`, gzip);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(Number(plain.headers['content-length']), plain.rawPayload.length);
    assert.doesNotThrow(() => JSON.parse(plain.body));
  });

  test('the index: count, pages with bounds, inlined leaves below 128 versions', async () => {
    const index = await indexOf('semver2', 'reg.pkg');
    assert.ok(index['@id'].endsWith('/reg.pkg/index.json'));
    assert.equal(index['count'], index['items'].length);
    assert.equal(index['count'], 1);
    const [page] = index['items'];
    assert.equal(page['count'], 4);
    assert.equal(page['items'].length, 4);
    assert.equal(page['lower'], '1.0.0');
    assert.equal(page['upper'], '3.0.0', 'bounds carry no build metadata');
    assert.equal(page['parent'], index['@id']);
    for (const leaf of page['items']) {
      assert.equal(typeof leaf['@id'], 'string');
      assert.equal(typeof leaf['packageContent'], 'string');
      assert.equal(leaf['packageContent'], leaf['catalogEntry']['packageContent']);
    }
  });

  test('catalogEntry carries the nuspec metadata the client reads', async () => {
    const entry = await entryOf('semver2', 'reg.pkg', '1.0.0');
    assert.equal(entry['id'], 'Reg.Pkg');
    assert.equal(entry['version'], '1.0.0');
    assert.equal(entry['listed'], true);
    assert.match(entry['published'], isoUtc);
    assert.ok(Math.abs(Date.parse(entry['published']) - Date.now()) < 10 * 60_000, 'published is about now');
    const authors = Array.isArray(entry['authors']) ? entry['authors'].join(', ') : entry['authors'];
    assert.equal(authors, 'Ada Lovelace, Charles Babbage');
    assert.equal(entry['description'], 'A package with every field the catalog entry carries.');
    assert.equal(entry['title'], 'Registration Package');
    assert.equal(entry['summary'], 'Short summary');
    const tags = Array.isArray(entry['tags']) ? entry['tags'] : String(entry['tags']).split(/[ ,]+/);
    assert.deepEqual(tags, ['alpha', 'beta']);
    assert.equal(entry['projectUrl'], 'https://example.com/reg-pkg');
    assert.equal(entry['requireLicenseAcceptance'], true);
    assert.equal(entry['licenseExpression'], 'MIT');
    assert.equal(entry['licenseUrl'], 'https://licenses.nuget.org/MIT');
  });

  test('dependency groups: normalized ranges, registration links, an empty framework group kept', async () => {
    const entry = await entryOf('semver2', 'reg.pkg', '1.0.0');
    const groups = entry['dependencyGroups'] as JsonObject[];
    assert.equal(groups.length, 2);
    const net8 = groups.find((g) => String(g['targetFramework']).toLowerCase() === 'net8.0');
    assert.ok(net8, `a net8.0 group in ${JSON.stringify(groups.map((g) => g['targetFramework']))}`);
    assert.deepEqual(
      net8['dependencies'].map((d: JsonObject) => [d['id'], d['range']]),
      [
        ['Dep.Min', '[1.0.0, )'],
        ['Dep.Between', '[1.0.0, 2.0.0)'],
        ['Dep.Any', '(, )'],
      ],
    );
    for (const dependency of net8['dependencies']) {
      assert.notEqual(dependency['range'], '', 'an empty range crashes some clients');
      assert.ok(
        dependency['registration'].endsWith(`/${dependency['id'].toLowerCase()}/index.json`),
        dependency['registration'],
      );
    }
    const standard = groups.find((g) => g !== net8);
    assert.ok(
      standard && /netstandard2\.0/i.test(String(standard['targetFramework'])),
      JSON.stringify(standard),
    );
    assert.deepEqual(standard['dependencies'] ?? [], []);
  });

  test('iconUrl and readmeUrl point at this feed for embedded files, and answer', async () => {
    const entry = await entryOf('semver2', 'reg.pkg', '1.0.0');
    assert.equal(entry['iconUrl'], `${origin}/v3/flatcontainer/reg.pkg/1.0.0/icon`);
    assert.equal(entry['readmeUrl'], `${origin}/v3/flatcontainer/reg.pkg/1.0.0/readme`);
    const icon = await feed.get(pathOf(entry['iconUrl']));
    assert.equal(icon.statusCode, 200);
    assert.ok(icon.rawPayload.equals(pngBytes));
    assert.equal((await feed.get(pathOf(entry['readmeUrl']))).body, '# Reg.Pkg');
  });

  test('an external iconUrl from the nuspec is passed through', async () => {
    const entry = await entryOf('semver2', 'reg.pkg', '2.0.0-beta');
    assert.equal(entry['iconUrl'], 'https://example.com/icon.png');
    assert.equal(entry['readmeUrl'], undefined);
  });

  test('packageContent is the flat container nupkg URL and downloads the package', async () => {
    for (const hive of ['plain', 'gz', 'semver2'] as const) {
      const entry = await entryOf(hive, 'reg.pkg', '1.0.0');
      assert.equal(entry['packageContent'], `${origin}/v3/flatcontainer/reg.pkg/1.0.0/reg.pkg.1.0.0.nupkg`);
      assert.equal((await feed.get(pathOf(entry['packageContent']))).statusCode, 200);
    }
    const metadata = await entryOf('semver2', 'reg.pkg', '3.0.0+build.7');
    assert.equal(
      metadata['packageContent'],
      `${origin}/v3/flatcontainer/reg.pkg/3.0.0/reg.pkg.3.0.0.nupkg`,
      'the nupkg URL uses the normalized version without metadata',
    );
    assert.equal((await feed.get(pathOf(metadata['packageContent']))).statusCode, 200);
  });

  test('unlisted versions stay in registration with listed:false', async () => {
    const index = await indexOf('plain', 'reg.unlisted');
    const listed = index['items'][0]['items'].map((leaf: JsonObject) => [
      leaf['catalogEntry']['version'],
      leaf['catalogEntry']['listed'],
    ]);
    assert.deepEqual(listed, [
      ['1.0.0', true],
      ['1.1.0', false],
    ]);
  });

  test('leaf documents: shape, links, listed, in every hive the version belongs to', async () => {
    for (const hive of ['plain', 'gz', 'semver2'] as const) {
      const leaf = await feed.json(`${base[hive]}reg.pkg/1.0.0.json`, gzip);
      assert.ok(leaf['@id'].endsWith(`${base[hive]}reg.pkg/1.0.0.json`), leaf['@id']);
      assert.equal(leaf['listed'], true);
      assert.match(leaf['published'], isoUtc);
      assert.equal(leaf['packageContent'], `${origin}/v3/flatcontainer/reg.pkg/1.0.0/reg.pkg.1.0.0.nupkg`);
      assert.equal(pathOf(leaf['registration']), `${base[hive]}reg.pkg/index.json`);
      assert.equal(typeof leaf['catalogEntry'], 'string');
    }
    const metadata = await feed.json(`${base.semver2}reg.pkg/3.0.0.json`, gzip);
    assert.equal(metadata['listed'], true);
    const unlisted = await feed.json(`${base.plain}reg.unlisted/1.1.0.json`);
    assert.equal(unlisted['listed'], false);
  });

  test('each leaf @id in an index answers', async () => {
    for (const hive of ['plain', 'gz', 'semver2'] as const) {
      const index = await indexOf(hive, 'reg.pkg');
      for (const leaf of index['items'][0]['items']) {
        const response = await feed.get(pathOf(leaf['@id']), gzip);
        assert.equal(response.statusCode, 200, `${hive} ${leaf['@id']}`);
      }
    }
  });

  test('leaf and index paths are matched case-insensitively', async () => {
    assert.equal((await feed.get(`${base.plain}Reg.Pkg/index.json`)).statusCode, 200);
    assert.equal((await feed.get(`${base.plain}REG.PKG/1.0.0.json`)).statusCode, 200);
    assert.equal((await feed.get(`${base.plain}reg.pkg/2.0.0-BETA.json`)).statusCode, 200);
  });

  const misses: [string, (b: Record<Hive, string>) => string][] = [
    ['an unknown id', (b) => `${b.semver2}no.such.package/index.json`],
    ['an unknown id in the plain hive', (b) => `${b.plain}no.such.package/index.json`],
    ['an unknown version leaf', (b) => `${b.semver2}reg.pkg/9.9.9.json`],
    ['a SemVer 2.0.0 leaf in the plain hive', (b) => `${b.plain}reg.pkg/2.1.0-beta.1.json`],
    ['a SemVer 2.0.0 leaf in the gz hive', (b) => `${b.gz}reg.pkg/3.0.0.json`],
    ['a leaf without .json', (b) => `${b.semver2}reg.pkg/1.0.0`],
    ['a leaf that is no version', (b) => `${b.semver2}reg.pkg/latest.json`],
    ['a page whose bounds do not exist', (b) => `${b.semver2}reg.pkg/page/0.0.1/0.0.2.json`],
    ['a page of an unknown id', (b) => `${b.semver2}nope/page/1.0.0/2.0.0.json`],
    ['an unknown hive', () => '/v3/registration-nope/reg.pkg/index.json'],
  ];
  for (const [name, url] of misses) {
    test(`404 JSON for ${name}`, async () => {
      assertClientError(await feed.get(url(base)), 404, url(base));
    });
  }

  test('HEAD answers like GET on index, leaf and misses, gzip or not', async () => {
    for (const hive of ['plain', 'gz', 'semver2'] as const) {
      await assertHeadLikeGet(feed, `${base[hive]}reg.pkg/index.json`, gzip);
      await assertHeadLikeGet(feed, `${base[hive]}reg.pkg/index.json`);
      await assertHeadLikeGet(feed, `${base[hive]}reg.pkg/1.0.0.json`, gzip);
      await assertHeadLikeGet(feed, `${base[hive]}no.such/index.json`, gzip);
    }
  });
});

describe('registration pages (128 versions or more)', () => {
  let feed: TestFeed;
  const total = 130;

  before(async () => {
    feed = await startFeed();
    // Built in parallel (pure CPU, small), pushed one by one.
    const packages = await Promise.all(
      Array.from({ length: total }, (_, i) => buildNupkg({ id: 'Many.Versions', version: `1.0.${i}` })),
    );
    for (const nupkg of packages) {
      const response = await feed.push(nupkg, { chunked: false });
      assert.equal(response.statusCode, 201, response.body);
    }
    await feed.publish({ id: 'Few.Versions', version: '1.0.0' });
  });
  after(() => feed.close());

  test('the index has pages of 64, not inlined, with bounds', async () => {
    const index = await feed.json('/v3/registration-gz-semver2/many.versions/index.json');
    assert.equal(index['count'], 3);
    assert.deepEqual(
      index['items'].map((page: JsonObject) => [page['count'], page['lower'], page['upper']]),
      [
        [64, '1.0.0', '1.0.63'],
        [64, '1.0.64', '1.0.127'],
        [2, '1.0.128', '1.0.129'],
      ],
    );
    for (const page of index['items']) {
      assert.equal(page['items'], undefined, 'pages are not inlined at 128+ versions');
      assert.equal(typeof page['@id'], 'string');
    }
  });

  test('each page @id answers with the leaves between its bounds', async () => {
    const index = await feed.json('/v3/registration-gz-semver2/many.versions/index.json');
    const seen: string[] = [];
    for (const ref of index['items']) {
      const response = await feed.get(pathOf(ref['@id']), gzip);
      assert.equal(response.statusCode, 200, ref['@id']);
      const page = parseJson(response);
      assert.equal(page['@id'], ref['@id']);
      assert.equal(page['lower'], ref['lower']);
      assert.equal(page['upper'], ref['upper']);
      assert.equal(page['count'], ref['count']);
      assert.equal(page['items'].length, ref['count']);
      assert.equal(page['parent'], index['@id']);
      const versions = page['items'].map((leaf: JsonObject) => leaf['catalogEntry']['version']);
      assert.equal(versions[0], ref['lower']);
      assert.equal(versions.at(-1), ref['upper']);
      seen.push(...versions);
    }
    assert.deepEqual(
      seen,
      Array.from({ length: total }, (_, i) => `1.0.${i}`),
    );
  });

  test('every hive pages the same way, and page URLs answer in each', async () => {
    for (const hive of ['registration', 'registration-gz']) {
      const index = await feed.json(`/v3/${hive}/many.versions/index.json`, gzip);
      assert.equal(index['count'], 3, hive);
      for (const ref of index['items']) {
        assert.equal((await feed.get(pathOf(ref['@id']), gzip)).statusCode, 200, ref['@id']);
      }
    }
  });

  test('HEAD answers like GET on a page', async () => {
    const index = await feed.json('/v3/registration-gz-semver2/many.versions/index.json');
    await assertHeadLikeGet(feed, pathOf(index['items'][1]['@id']), gzip);
  });

  test('fewer than 128 versions are inlined', async () => {
    const index = await feed.json('/v3/registration-gz-semver2/few.versions/index.json');
    assert.equal(index['count'], 1);
    assert.equal(index['items'][0]['items'].length, 1);
  });
});
