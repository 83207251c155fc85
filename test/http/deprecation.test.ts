// The admin deprecation API (docs/deprecation.md) and what it changes in registration, search and the catalog.
// Spec: ../../../shared/spec/nuget-api/registration-base-url-resource.md, "Package deprecation";
// search-query-service-resource.md, "Package deprecation".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertClientError, type JsonObject, startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

const json = { 'content-type': 'application/json' };
const withKey = { ...json, 'x-nuget-apikey': testApiKey };
const deprecationUrl = (id: string, versions: string) =>
  `/v3/admin/deprecations/${encodeURIComponent(id)}/${encodeURIComponent(versions)}`;

describe('deprecation API', () => {
  let feed: TestFeed;

  const catalogCount = async () => (await feed.feed.catalog.pages()).reduce((n, p) => n + p.count, 0);
  const deprecate = (
    id: string,
    versions: string,
    body: unknown,
    headers: Record<string, string> = withKey,
  ) => feed.request('PUT', deprecationUrl(id, versions), { headers, body: JSON.stringify(body) });
  const undeprecate = (
    id: string,
    versions: string,
    headers: Record<string, string> = { 'x-nuget-apikey': testApiKey },
  ) => feed.request('DELETE', deprecationUrl(id, versions), { headers });
  /** The catalogEntry of each version in the SemVer 2 hive, by full version. */
  const entries = async (lowerId: string): Promise<Map<string, JsonObject>> => {
    const index = await feed.json(`/v3/registration-gz-semver2/${lowerId}/index.json`);
    const leaves = (index['items'] as JsonObject[]).flatMap((page) => page['items'] as JsonObject[]);
    return new Map(leaves.map((leaf) => [leaf['catalogEntry']['version'], leaf['catalogEntry']]));
  };

  before(async () => {
    feed = await startFeed();
    for (const version of ['1.0.0', '1.1.0', '2.0.0-beta'])
      await feed.publish({ id: 'Dep.Lib', version, description: 'deprecation test' });
  });
  after(() => feed.close());

  test('no key is 401, a wrong key 403, and nothing changes', async () => {
    const body = { reasons: ['Legacy'] };
    assertClientError(await deprecate('Dep.Lib', '1.0.0', body, json), 401);
    assertClientError(await deprecate('Dep.Lib', '1.0.0', body, { ...json, 'x-nuget-apikey': 'wrong' }), 403);
    assertClientError(await undeprecate('Dep.Lib', '1.0.0', {}), 401);
    assert.equal((await entries('dep.lib')).get('1.0.0')?.['deprecation'], undefined);
  });

  test('a feed without an API key accepts no deprecation', async () => {
    const readOnly = await startFeed({ apiKey: null });
    try {
      const response = await readOnly.request('PUT', deprecationUrl('Dep.Lib', '1.0.0'), {
        headers: withKey,
        body: JSON.stringify({ reasons: ['Legacy'] }),
      });
      assertClientError(response, 403);
    } finally {
      await readOnly.close();
    }
  });

  const badBodies: [string, unknown, RegExp][] = [
    [
      'an unknown reason',
      { reasons: ['Obsolete'] },
      /not a deprecation reason; use Legacy, CriticalBugs, Other/,
    ],
    ['no reasons', { reasons: [] }, /at least one reason/],
    ['a message that is too long', { reasons: ['Other'], message: 'x'.repeat(5000) }, /longer than/],
    [
      'a bad alternate range',
      { reasons: ['Other'], alternatePackage: { id: 'X', range: '[1.0' } },
      /range is not valid/,
    ],
  ];
  for (const [what, body, message] of badBodies) {
    test(`400 for ${what}`, async () => {
      assert.match(assertClientError(await deprecate('Dep.Lib', '1.0.0', body), 400).message, message);
    });
  }

  test('400 for a body that is not JSON, or an unparsable version', async () => {
    const notJson = await feed.request('PUT', deprecationUrl('Dep.Lib', '1.0.0'), {
      headers: withKey,
      body: '{',
    });
    assertClientError(notJson, 400);
    assertClientError(await deprecate('Dep.Lib', 'one', { reasons: ['Legacy'] }), 400);
  });

  test('404 for an unknown package or version', async () => {
    assertClientError(await deprecate('No.Such.Lib', '1.0.0', { reasons: ['Legacy'] }), 404);
    assertClientError(await deprecate('Dep.Lib', '9.0.0', { reasons: ['Legacy'] }), 404);
    assertClientError(await undeprecate('Dep.Lib', '[5.0.0, 6.0.0)'), 404);
  });

  test('204: registration carries the deprecation of that version only; the catalog gets one entry', async () => {
    const before = await catalogCount();
    const response = await deprecate('DEP.LIB', '1.0', {
      reasons: ['criticalbugs', 'LEGACY'],
      message: 'Use Other.Lib instead.',
      alternatePackage: { id: 'Other.Lib', range: '[2.0,)' },
    });
    assert.equal(response.statusCode, 204, response.body);
    const byVersion = await entries('dep.lib');
    assert.deepEqual(byVersion.get('1.0.0')?.['deprecation'], {
      reasons: ['Legacy', 'CriticalBugs'],
      message: 'Use Other.Lib instead.',
      alternatePackage: { id: 'Other.Lib', range: '[2.0.0, )' },
    });
    assert.equal(byVersion.get('1.1.0')?.['deprecation'], undefined);
    assert.equal(await catalogCount(), before + 1);

    // The same deprecation again changes nothing, so the catalog does not grow.
    assert.equal(
      (
        await deprecate('Dep.Lib', '1.0.0', {
          reasons: ['Legacy', 'CriticalBugs'],
          message: 'Use Other.Lib instead.',
          alternatePackage: { id: 'Other.Lib', range: '[2.0.0, )' },
        })
      ).statusCode,
      204,
    );
    assert.equal(await catalogCount(), before + 1);
  });

  test("a range deprecates every version in it (2.0.0-beta lies in [1.0.0, 2.0.0)); search shows the latest version's deprecation", async () => {
    const before = await catalogCount();
    const response = await deprecate('Dep.Lib', '[1.0.0, 1.1.0]', { reasons: ['Other'] });
    assert.equal(response.statusCode, 204, response.body);
    const byVersion = await entries('dep.lib');
    assert.deepEqual(byVersion.get('1.0.0')?.['deprecation'], { reasons: ['Other'] });
    assert.deepEqual(byVersion.get('1.1.0')?.['deprecation'], { reasons: ['Other'] });
    assert.equal(byVersion.get('2.0.0-beta')?.['deprecation'], undefined);
    assert.equal(await catalogCount(), before + 2);

    const stable = await feed.json('/v3/search?q=packageid:Dep.Lib');
    assert.deepEqual(stable['data'][0]['deprecation'], { reasons: ['Other'] });
    const withPrerelease = await feed.json('/v3/search?q=packageid:Dep.Lib&prerelease=true');
    assert.equal(withPrerelease['data'][0]['version'], '2.0.0-beta');
    assert.equal(withPrerelease['data'][0]['deprecation'], undefined);
  });

  test('DELETE undeprecates (204) and appends to the catalog; * names every version', async () => {
    const before = await catalogCount();
    assert.equal((await undeprecate('Dep.Lib', '1.1.0')).statusCode, 204);
    assert.equal((await entries('dep.lib')).get('1.1.0')?.['deprecation'], undefined);
    assert.deepEqual((await entries('dep.lib')).get('1.0.0')?.['deprecation'], { reasons: ['Other'] });
    assert.equal(await catalogCount(), before + 1);

    assert.equal((await undeprecate('Dep.Lib', '*')).statusCode, 204);
    for (const entry of (await entries('dep.lib')).values()) assert.equal(entry['deprecation'], undefined);
    assert.equal(await catalogCount(), before + 2, 'only 1.0.0 was still deprecated');
  });
});
