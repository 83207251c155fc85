// VulnerabilityInfo/6.7.0 and the admin import (docs/vulnerabilities.md), and the `vulnerabilities` that
// registration (severity as a string) and search (an integer) carry.
// Spec: ../../../shared/spec/nuget-api/vulnerability-info.md; client-behaviour.md §1.7 (index array, page object,
// `{}` when empty). The resource is listed even without data, its index naming the empty page: the client caches
// the service index for 30 minutes, so one that appears with the first advisory would go unseen that long.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertClientError,
  type JsonObject,
  origin,
  pathOf,
  resourcesByType,
  startFeed,
  type TestFeed,
  testApiKey,
} from './feed-fixture.ts';

const withKey = { 'content-type': 'application/json', 'x-nuget-apikey': testApiKey };
const advisory = {
  packageId: 'Vuln.Lib',
  url: 'https://example.com/advisories/1',
  severity: 'high',
  versions: '[1.0.0, 1.1.0)',
};

describe('vulnerabilities', () => {
  let feed: TestFeed;

  const catalogCount = async () => (await feed.feed.catalog.pages()).reduce((n, p) => n + p.count, 0);
  const importAdvisories = (body: unknown, query = '', headers: Record<string, string> = withKey) =>
    feed.request('PUT', `/v3/admin/vulnerabilities${query}`, { headers, body: JSON.stringify(body) });
  const vulnerabilityInfo = async () =>
    resourcesByType(await feed.json('/v3/index.json')).get('VulnerabilityInfo/6.7.0');
  const vulnerabilityIndex = () => feed.json<JsonObject[]>('/v3/vulnerabilities/index.json');
  /** What a feed without advisories answers: the one page, empty, never updated. */
  const assertNoAdvisories = async () => {
    assert.deepEqual(await vulnerabilityInfo(), [`${origin}/v3/vulnerabilities/index.json`]);
    assert.deepEqual(
      (await vulnerabilityIndex()).map((page) => [page['@id'], page['@updated']]),
      [[`${origin}/v3/vulnerabilities/base.json`, '1970-01-01T00:00:00.000Z']],
    );
    assert.deepEqual(await feed.json('/v3/vulnerabilities/base.json'), {});
  };
  const entries = async (): Promise<Map<string, JsonObject>> => {
    const index = await feed.json('/v3/registration-gz-semver2/vuln.lib/index.json');
    const leaves = (index['items'] as JsonObject[]).flatMap((page) => page['items'] as JsonObject[]);
    return new Map(leaves.map((leaf) => [leaf['catalogEntry']['version'], leaf['catalogEntry']]));
  };

  before(async () => {
    feed = await startFeed();
    for (const version of ['1.0.0', '1.1.0'])
      await feed.publish({ id: 'Vuln.Lib', version, description: 'vulnerability test' });
  });
  after(() => feed.close());

  test('without advisories VulnerabilityInfo is listed all the same, its one page empty', async () => {
    await assertNoAdvisories();
    assertClientError(await feed.get('/v3/vulnerabilities/other.json'), 404);
  });

  test('import needs the API key: none 401, a wrong one 403', async () => {
    assertClientError(await importAdvisories([advisory], '', { 'content-type': 'application/json' }), 401);
    assertClientError(
      await importAdvisories([advisory], '', { 'content-type': 'application/json', 'x-nuget-apikey': 'no' }),
      403,
    );
    await assertNoAdvisories();
  });

  test('a bad advisory file is a 400 saying which entry and why', async () => {
    const error = assertClientError(
      await importAdvisories([advisory, { ...advisory, severity: 'severe' }]),
      400,
    );
    assert.match(error.message, /advisories\[1\]: severity must be low, moderate, high, critical or 0-3/);
    assertClientError(await importAdvisories({ nothing: true }), 400);
    await assertNoAdvisories();
  });

  test('an import fills the index: an array of one page, and the page keyed by lower id', async () => {
    const before = await catalogCount();
    const response = await importAdvisories([advisory]);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { added: 1, changed: 0, removed: 0, unchanged: 0, catalogEntries: 1 });
    assert.equal(await catalogCount(), before + 1, 'only 1.0.0 became vulnerable');

    const ids = await vulnerabilityInfo();
    assert.deepEqual(ids, [`${origin}/v3/vulnerabilities/index.json`]);
    const index = await feed.json<JsonObject[]>(pathOf(ids?.[0] ?? ''));
    assert.ok(Array.isArray(index) && index.length === 1);
    const [page] = index;
    assert.equal(page?.['@name'], 'base');
    assert.equal(page?.['@id'], `${origin}/v3/vulnerabilities/base.json`);
    assert.match(String(page?.['@updated']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(await feed.json(pathOf(page?.['@id'])), {
      'vuln.lib': [{ url: advisory.url, severity: 2, versions: '[1.0.0, 1.1.0)' }],
    });
  });

  test('registration lists the vulnerability on 1.0.0 only, severity as a string', async () => {
    const byVersion = await entries();
    assert.deepEqual(byVersion.get('1.0.0')?.['vulnerabilities'], [
      { advisoryUrl: advisory.url, severity: '2' },
    ]);
    assert.equal(byVersion.get('1.1.0')?.['vulnerabilities'], undefined);
  });

  test('the catalog leaf written by the import is a snapshot carrying the vulnerability', async () => {
    const pages = await feed.feed.catalog.pages();
    const last = pages.at(-1)!;
    const index = await feed.json('/v3/catalog/index.json');
    const pageUrl = (index['items'] as JsonObject[]).at(-1)?.['@id'] as string;
    const page = await feed.json(pathOf(pageUrl));
    const item = (page['items'] as JsonObject[]).at(-1)!;
    assert.equal(item['commitId'], last.commitId);
    assert.equal(item['nuget:version'], '1.0.0');
    const leaf = await feed.json(pathOf(item['@id']));
    assert.deepEqual(leaf['vulnerabilities'], [{ advisoryUrl: advisory.url, severity: '2' }]);
    // The push of 1.0.0 came before the advisory: its leaf still says nothing was known then.
    const first = (page['items'] as JsonObject[]).find((i) => i['nuget:version'] === '1.0.0')!;
    assert.equal((await feed.json(pathOf(first['@id'])))['vulnerabilities'], undefined);
  });

  test('search describes the latest version: 1.1.0 has none, an empty array', async () => {
    const result = await feed.json('/v3/search?q=packageid:Vuln.Lib');
    assert.deepEqual(result['data'][0]['vulnerabilities'], []);
  });

  test('a changed advisory (now up to 2.0.0, critical) reaches search as an integer severity', async () => {
    const before = await catalogCount();
    const response = await importAdvisories([{ ...advisory, severity: 3, versions: '(, 2.0.0)' }]);
    assert.deepEqual(response.json(), { added: 0, changed: 1, removed: 0, unchanged: 0, catalogEntries: 2 });
    assert.equal(
      await catalogCount(),
      before + 2,
      'the severity of 1.0.0 changed, and 1.1.0 became vulnerable',
    );
    const result = await feed.json('/v3/search?q=packageid:Vuln.Lib');
    assert.deepEqual(result['data'][0]['vulnerabilities'], [{ advisoryUrl: advisory.url, severity: 3 }]);
  });

  test('the same import again changes nothing and appends nothing', async () => {
    const before = await catalogCount();
    const response = await importAdvisories([{ ...advisory, severity: 3, versions: '(, 2.0.0)' }]);
    assert.deepEqual(response.json(), { added: 0, changed: 0, removed: 0, unchanged: 1, catalogEntries: 0 });
    assert.equal(await catalogCount(), before);
  });

  test('?replace=true with no advisories removes them all and the page is empty again', async () => {
    const before = await catalogCount();
    const response = await importAdvisories([], '?replace=true');
    assert.deepEqual(response.json(), { added: 0, changed: 0, removed: 1, unchanged: 0, catalogEntries: 2 });
    assert.equal(await catalogCount(), before + 2);
    await assertNoAdvisories();
    for (const entry of (await entries()).values()) assert.equal(entry['vulnerabilities'], undefined);
  });
});
