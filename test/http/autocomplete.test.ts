// SearchAutocompleteService: ../../../shared/spec/nuget-api/search-autocomplete-service-resource.md
// Two modes: `q=` matches package ids, `id=` lists the versions of one id.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertClientError, assertHeadLikeGet, startFeed, type TestFeed } from './feed-fixture.ts';
import { publishSearchCatalog, stableSemVer1Ids } from './search-catalog.ts';

describe('autocomplete', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
    await publishSearchCatalog(feed);
  });
  after(() => feed.close());

  const data = async (query: string): Promise<string[]> => {
    const body = await feed.json(`/v3/autocomplete?${query}`);
    assert.ok(Array.isArray(body['data']), JSON.stringify(body));
    return body['data'];
  };

  describe('package ids (q=)', () => {
    test('an id prefix finds ids, spelled as pushed', async () => {
      const ids = await data('q=newt');
      assert.deepEqual(ids.slice(0, 2).sort(), ['Newtonsoft.Json', 'Newtonsoft.Json.Bson']);
      assert.ok(!ids.includes('Json.Mentions'), 'autocomplete matches ids, not descriptions');
    });

    test('matching is case-insensitive and finds id tokens after a dot', async () => {
      assert.ok((await data('q=NEWTONSOFT')).includes('Newtonsoft.Json'));
      assert.ok((await data('q=bson')).includes('Newtonsoft.Json.Bson'));
    });

    test('an empty q lists every listed stable SemVer 1 id, with totalHits', async () => {
      const body = await feed.json('/v3/autocomplete?q=&take=100');
      assert.equal(body['totalHits'], stableSemVer1Ids.length);
      assert.deepEqual([...body['data']].sort(), [...stableSemVer1Ids].sort());
    });

    test('skip and take page; totalHits ignores them', async () => {
      const all = await data('q=&take=100');
      const first = await feed.json('/v3/autocomplete?q=&take=4');
      assert.equal(first['data'].length, 4);
      assert.equal(first['totalHits'], all.length);
      assert.deepEqual(first['data'], all.slice(0, 4));
      assert.deepEqual(await data('q=&skip=4&take=4'), all.slice(4, 8));
      assert.deepEqual(await data('q=&skip=100'), []);
    });

    test('prerelease: an id with only prereleases appears only with prerelease=true', async () => {
      assert.deepEqual(await data('q=pre.only'), []);
      assert.deepEqual(await data('q=pre.only&prerelease=true'), ['Pre.Only']);
    });

    test('semVerLevel: SemVer 2.0.0-only ids appear only with semVerLevel=2.0.0', async () => {
      assert.deepEqual(await data('q=semver2'), []);
      assert.deepEqual(await data('q=semver2&semVerLevel=2.0.0'), ['SemVer2.Meta']);
      assert.deepEqual((await data('q=semver2&semVerLevel=2.0.0&prerelease=true')).sort(), [
        'SemVer2.Dotted',
        'SemVer2.Meta',
      ]);
    });

    test('an id whose versions are all unlisted is excluded', async () => {
      assert.deepEqual(await data('q=unlisted.pkg&prerelease=true&semVerLevel=2.0.0'), []);
      assert.deepEqual(await data('q=partly'), ['Partly.Unlisted']);
    });

    test('bad skip/take/prerelease -> 400 JSON', async () => {
      for (const query of ['q=a&skip=-1', 'q=a&take=x', 'q=a&prerelease=perhaps', `q=${'a'.repeat(1001)}`]) {
        assertClientError(await feed.get(`/v3/autocomplete?${query}`), 400, query.slice(0, 30));
      }
    });
  });

  describe('versions of one id (id=)', () => {
    test('lists listed stable SemVer 1 versions, lowest first', async () => {
      assert.deepEqual(await data('id=Newtonsoft.Json'), ['12.0.3', '13.0.1']);
    });

    test('the id is matched case-insensitively', async () => {
      assert.deepEqual(await data('id=newtonsoft.json'), ['12.0.3', '13.0.1']);
      assert.deepEqual(await data('id=NEWTONSOFT.JSON'), ['12.0.3', '13.0.1']);
    });

    test('prerelease and semVerLevel admit versions as search does', async () => {
      const levels: [string, string[]][] = [
        ['', ['1.0.0']],
        ['&prerelease=true', ['1.0.0', '1.3.0-beta']],
        ['&semVerLevel=2.0.0', ['1.0.0', '1.1.0+meta']],
        ['&prerelease=true&semVerLevel=2.0.0', ['1.0.0', '1.1.0+meta', '1.2.0-beta.1', '1.3.0-beta']],
      ];
      for (const [params, expected] of levels) {
        assert.deepEqual(await data(`id=Mixed.Levels${params}`), expected, params);
      }
      assert.deepEqual(await data('id=Serilog'), ['3.0.0']);
      assert.deepEqual(await data('id=Serilog&prerelease=true'), ['3.0.0', '4.0.0-beta']);
    });

    test('unlisted versions are excluded', async () => {
      assert.deepEqual(await data('id=Partly.Unlisted'), ['1.0.0']);
      assert.deepEqual(await data('id=Unlisted.Pkg&prerelease=true&semVerLevel=2.0.0'), []);
    });

    test('an unknown id answers an empty list', async () => {
      assert.deepEqual(await data('id=No.Such.Package'), []);
    });

    test('an id that could never be a package id -> 4xx or an empty list, never 5xx', async () => {
      for (const id of ['..', '../..', '%00', 'a'.repeat(300), '%2F', ' ']) {
        const response = await feed.get(`/v3/autocomplete?id=${id}`);
        assert.ok(response.statusCode < 500, `${id}: ${response.statusCode} ${response.body}`);
        if (response.statusCode === 200) assert.deepEqual(JSON.parse(response.body)['data'], [], id);
        else assertClientError(response, [400, 404], id);
      }
    });
  });

  test('HEAD answers like GET', async () => {
    await assertHeadLikeGet(feed, '/v3/autocomplete?q=newt');
    await assertHeadLikeGet(feed, '/v3/autocomplete?id=Mixed.Levels&prerelease=true');
  });
});
