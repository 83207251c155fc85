// SearchQueryService: ../../../shared/spec/nuget-api/search-query-service-resource.md
// The client requires an integer totalHits and id/version on every result; it stops after `take` results
// (../../../shared/notes/client-behaviour.md §1.4).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertClientError,
  assertHeadLikeGet,
  type JsonObject,
  pathOf,
  startFeed,
  type TestFeed,
} from './feed-fixture.ts';
import { publishSearchCatalog, stableSemVer1Ids } from './search-catalog.ts';

describe('search', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
    await publishSearchCatalog(feed);
  });
  after(() => feed.close());

  const search = (query: string) => feed.json(`/v3/search?${query}`);
  const idsOf = async (query: string): Promise<string[]> =>
    ((await search(query))['data'] as JsonObject[]).map((hit) => hit['id']);
  const q = (text: string) => `q=${encodeURIComponent(text)}`;
  const hitOf = async (query: string, id: string): Promise<JsonObject> => {
    const hit = ((await search(query))['data'] as JsonObject[]).find((h) => h['id'] === id);
    assert.ok(hit, `${id} in ${query}`);
    return hit;
  };

  test('an empty q returns every listed stable SemVer 1 package, with totalHits', async () => {
    const result = await search('q=');
    assert.ok(Number.isInteger(result['totalHits']));
    assert.equal(result['totalHits'], stableSemVer1Ids.length);
    assert.deepEqual(
      (result['data'] as JsonObject[]).map((hit) => hit['id']).sort(),
      [...stableSemVer1Ids].sort(),
    );
    assert.deepEqual(await idsOf(''), await idsOf('q='), 'no q at all is the same as an empty q');
  });

  test('each result has the shape the client reads', async () => {
    const result = await search(`${q('packageid:Newtonsoft.Json')}&semVerLevel=2.0.0`);
    assert.deepEqual(Object.keys(result).sort(), ['data', 'totalHits']);
    const [hit] = result['data'] as JsonObject[];
    assert.ok(hit);
    assert.equal(hit['@type'], 'Package');
    assert.equal(hit['id'], 'Newtonsoft.Json');
    assert.equal(hit['version'], '13.0.1', 'the latest version describes the result');
    assert.equal(hit['description'], 'Json.NET is a popular high-performance JSON framework for .NET');
    const authors = Array.isArray(hit['authors']) ? hit['authors'] : [hit['authors']];
    assert.deepEqual(authors, ['James Newton-King']);
    assert.ok(Number.isInteger(hit['totalDownloads']));
    assert.deepEqual(hit['packageTypes'], [{ name: 'Dependency' }]);
    assert.deepEqual(
      hit['versions'].map((v: JsonObject) => v['version']),
      ['12.0.3', '13.0.1'],
    );
    for (const version of hit['versions']) {
      assert.ok(Number.isInteger(version['downloads']));
      assert.equal((await feed.get(pathOf(version['@id']), {})).statusCode, 200, version['@id']);
    }
    assert.equal((await feed.get(pathOf(hit['registration']))).statusCode, 200, hit['registration']);
  });

  test('the exact id comes first, ahead of packages that only mention it', async () => {
    for (const text of ['newtonsoft.json', 'Newtonsoft.Json', 'NEWTONSOFT.JSON']) {
      const ids = await idsOf(q(text));
      assert.equal(ids[0], 'Newtonsoft.Json', `${text}: ${ids.join(', ')}`);
      assert.ok(ids.includes('Json.Mentions'), `${text}: the package mentioning it is found too`);
    }
  });

  test('an id prefix finds the ids that start with it, first', async () => {
    const ids = await idsOf(q('newt'));
    assert.deepEqual(ids.slice(0, 2).sort(), ['Newtonsoft.Json', 'Newtonsoft.Json.Bson']);
    assert.deepEqual(await idsOf(q('serilog')), ['Serilog']);
  });

  const fields: [string, string[]][] = [
    ['id:newtonsoft', ['Newtonsoft.Json', 'Newtonsoft.Json.Bson']],
    ['packageid:Newtonsoft.Json', ['Newtonsoft.Json']],
    ['packageid:newtonsoft.json', ['Newtonsoft.Json']],
    ['version:12.0.3', ['Newtonsoft.Json']],
    ['title:widget', ['Title.Pkg']],
    ['tags:quokka', ['Tagged.Pkg']],
    ['tag:wombat', ['Tagged.Pkg']],
    ['author:grace', ['Authored.Pkg']],
    ['authors:hopper', ['Authored.Pkg']],
    ['description:aardvark', ['Described.Pkg']],
    ['summary:zebra', ['Summary.Pkg']],
    ['owner:contoso', ['Owned.Pkg']],
    ['owners:contoso', ['Owned.Pkg']],
    ['id:newtonsoft bson', ['Newtonsoft.Json.Bson']],
    ['aardvark', ['Described.Pkg']],
    ['title:"fancy widget"', ['Title.Pkg']],
    ['packageid:Newtonsoft', []],
    ['title:aardvark', []],
  ];
  for (const [text, expected] of fields) {
    test(`q=${text}`, async () => {
      assert.deepEqual((await idsOf(q(text))).sort(), [...expected].sort());
    });
  }

  test('skip and take page through the results; totalHits ignores them', async () => {
    const all = await idsOf('q=&take=100');
    assert.equal(all.length, stableSemVer1Ids.length);
    const paged: string[] = [];
    for (let skip = 0; skip < all.length; skip += 5) {
      const page = await search(`q=&skip=${skip}&take=5`);
      assert.equal(page['totalHits'], all.length);
      assert.ok(page['data'].length <= 5);
      paged.push(...page['data'].map((hit: JsonObject) => hit['id']));
    }
    assert.deepEqual(paged, all, 'pages follow the same order without gaps or repeats');
    const beyond = await search('q=&skip=100&take=5');
    assert.deepEqual(beyond['data'], []);
    assert.equal(beyond['totalHits'], all.length);
    const none = await search('q=&take=0');
    assert.deepEqual(none['data'], []);
    assert.equal(none['totalHits'], all.length);
  });

  test('take defaults to 20', async () => {
    // 13 stable packages only; with prerelease and SemVer 2.0.0 there are 16, still under 20.
    const result = await search('q=&prerelease=true&semVerLevel=2.0.0');
    assert.equal(result['data'].length, result['totalHits']);
  });

  test('prerelease=false hides prereleases; prerelease=true shows them as the latest', async () => {
    const stable = await hitOf(q('serilog'), 'Serilog');
    assert.equal(stable['version'], '3.0.0');
    assert.deepEqual(
      stable['versions'].map((v: JsonObject) => v['version']),
      ['3.0.0'],
    );
    const pre = await hitOf(`${q('serilog')}&prerelease=true`, 'Serilog');
    assert.equal(pre['version'], '4.0.0-beta');
    assert.deepEqual(
      pre['versions'].map((v: JsonObject) => v['version']),
      ['3.0.0', '4.0.0-beta'],
    );
    assert.deepEqual(await idsOf(`${q('pre.only')}&prerelease=false`), []);
    assert.deepEqual(await idsOf(`${q('pre.only')}&prerelease=true`), ['Pre.Only']);
    assert.deepEqual(await idsOf(`${q('pre.only')}&prerelease=True`), ['Pre.Only']);
  });

  test('semVerLevel=2.0.0 opts in to SemVer 2.0.0 packages; the version keeps its metadata', async () => {
    assert.deepEqual(await idsOf(q('semver2')), []);
    assert.deepEqual(await idsOf(`${q('semver2')}&semVerLevel=1.0.0`), []);
    assert.deepEqual(await idsOf(`${q('semver2')}&semVerLevel=2.0.0`), ['SemVer2.Meta']);
    assert.deepEqual((await idsOf(`${q('semver2')}&semVerLevel=2.0.0&prerelease=true`)).sort(), [
      'SemVer2.Dotted',
      'SemVer2.Meta',
    ]);
    const meta = await hitOf(`${q('semver2.meta')}&semVerLevel=2.0.0`, 'SemVer2.Meta');
    assert.equal(meta['version'], '1.0.0+abc');
    assert.equal((await feed.get(pathOf(meta['registration']))).statusCode, 200, meta['registration']);
  });

  test('versions[] holds the versions the filter admits, per level', async () => {
    const levels: [string, string[]][] = [
      ['', ['1.0.0']],
      ['&prerelease=true', ['1.0.0', '1.3.0-beta']],
      ['&semVerLevel=2.0.0', ['1.0.0', '1.1.0+meta']],
      ['&prerelease=true&semVerLevel=2.0.0', ['1.0.0', '1.1.0+meta', '1.2.0-beta.1', '1.3.0-beta']],
    ];
    for (const [params, expected] of levels) {
      const hit = await hitOf(`${q('packageid:Mixed.Levels')}${params}`, 'Mixed.Levels');
      assert.deepEqual(
        hit['versions'].map((v: JsonObject) => v['version']),
        expected,
        params,
      );
      assert.equal(hit['version'], expected.at(-1), params);
    }
  });

  test('packageType: no filter by default, Dependency for undeclared, DotnetTool, unknown -> empty', async () => {
    assert.ok((await idsOf('q=')).includes('My.Tool'));
    assert.ok((await idsOf('q=&packageType=')).includes('My.Tool'), 'an empty packageType is no filter');
    assert.deepEqual(await idsOf('q=&packageType=DotnetTool'), ['My.Tool']);
    const dependency = await idsOf('q=&packageType=Dependency&take=100');
    assert.deepEqual(dependency.sort(), stableSemVer1Ids.filter((id) => id !== 'My.Tool').sort());
    const unknown = await search('q=&packageType=NoSuchPackageType');
    assert.deepEqual(unknown['data'], []);
    assert.equal(unknown['totalHits'], 0);
    const tool = await hitOf(`${q('my.tool')}`, 'My.Tool');
    assert.deepEqual(tool['packageTypes'], [{ name: 'DotnetTool' }]);
  });

  test('unlisted versions are never shown', async () => {
    for (const params of ['', '&prerelease=true&semVerLevel=2.0.0']) {
      assert.ok(!(await idsOf(`${q('unlisted.pkg')}${params}`)).includes('Unlisted.Pkg'));
      assert.deepEqual(await idsOf(`${q('packageid:Unlisted.Pkg')}${params}`), []);
      assert.ok(!(await idsOf(`q=&take=100${params}`)).includes('Unlisted.Pkg'));
    }
    const partly = await hitOf(q('packageid:Partly.Unlisted'), 'Partly.Unlisted');
    assert.equal(partly['version'], '1.0.0');
    assert.deepEqual(
      partly['versions'].map((v: JsonObject) => v['version']),
      ['1.0.0'],
    );
    assert.deepEqual(await idsOf(q('version:2.0.0 packageid:Partly.Unlisted')), []);
  });

  test('search syntax characters in q are search text, not errors', async () => {
    for (const text of [
      '"',
      '"unterminated',
      'a AND b',
      'NOT',
      '*',
      'json*',
      '(json)',
      'id:',
      ':',
      'c#',
      'x:y:z',
      '-json',
      "'",
    ]) {
      const response = await feed.get(`/v3/search?${q(text)}`);
      assert.equal(response.statusCode, 200, `${text}: ${response.body}`);
    }
  });

  const badQueries: [string, RegExp][] = [
    ['skip=-1', /skip/],
    ['skip=abc', /skip/],
    ['skip=1.5', /skip/],
    ['skip=99999999999', /skip/],
    ['take=abc', /take/],
    ['take=-5', /take/],
    ['take=100000', /take/],
    ['prerelease=maybe', /prerelease/],
    ['prerelease=yes', /prerelease/],
    [`q=${'a'.repeat(1001)}`, /\bq\b/],
  ];
  for (const [query, mentions] of badQueries) {
    test(`${query.slice(0, 30)} -> 400 with a message naming the parameter`, async () => {
      const response = await feed.get(`/v3/search?${query}`);
      const error = assertClientError(response, 400, query.slice(0, 30));
      assert.match(error.message, mentions);
      assert.equal(response.statusMessage, error.message);
    });
  }

  test('HEAD answers like GET', async () => {
    await assertHeadLikeGet(feed, '/v3/search?q=json', {
      'accept-encoding': 'gzip',
    });
    await assertHeadLikeGet(feed, '/v3/search?q=json');
    await assertHeadLikeGet(feed, '/v3/search?take=abc');
  });
});
