// Nuspec URLs (iconUrl, projectUrl, licenseUrl) that a client cannot parse never reach a document: a relative,
// 'file:', 'javascript:' or malformed one is stored as pushed (nuget.org-style refusal is not this feed's choice)
// but left out of search results, registration indexes, pages and leaves, and catalog leaves; a valid one is
// printed in its canonical form. Packages stored before (whose metadata already holds such values, or a
// minClientVersion that is not a version) are covered too. Why: src/protocol/metadata-url.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type JsonObject, pathOf, resourceId, startFeed, type TestFeed } from './feed-fixture.ts';

const urlFields = ['iconUrl', 'projectUrl', 'licenseUrl'] as const;

const badUrls = [
  'icon.png',
  '/images/icon.png',
  '../icon.png',
  'file:///etc/passwd',
  'javascript:alert(document.cookie)',
  'data:image/png;base64,iVBORw0KGgo=',
  'ftp://example.com/icon.png',
  'mailto:someone@example.com',
  '\\\\server\\share\\icon.png',
  'http://',
  'https://exa mple.com/icon.png',
  'http://[::1/icon.png',
  'https://example.com:99999/',
  'not a url at all',
];

/** Valid URLs as written in the nuspec, and as every document must print them. */
const goodUrls: [string, string][] = [
  ['https://example.com/project', 'https://example.com/project'],
  ['HTTPS://Example.COM', 'https://example.com/'],
  ['https://example.com/a b/icon.png?size=64', 'https://example.com/a%20b/icon.png?size=64'],
  ['http://例え.jp/icon.png', 'http://xn--r8jz45g.jp/icon.png'],
];

const badId = (index: number) => `Urls.Bad${index}`;
const goodId = (index: number) => `Urls.Good${index}`;
const storedId = 'Urls.Stored';

/** Every value under a key that names a URL, anywhere in a document, with its path. */
function urlFieldValues(document: unknown, at = '$'): { at: string; value: unknown }[] {
  if (Array.isArray(document)) return document.flatMap((item, i) => urlFieldValues(item, `${at}[${i}]`));
  if (document === null || typeof document !== 'object') return [];
  return Object.entries(document).flatMap(([key, value]) => [
    ...(/Url$/.test(key) ? [{ at: `${at}.${key}`, value }] : []),
    ...urlFieldValues(value, `${at}.${key}`),
  ]);
}

/** Every URL field holds an absolute http(s) URL that is already in canonical form. */
function assertOnlyValidUrls(what: string, document: unknown): void {
  for (const { at, value } of urlFieldValues(document)) {
    assert.equal(typeof value, 'string', `${what} ${at}`);
    const url = new URL(value as string);
    assert.ok(['http:', 'https:'].includes(url.protocol), `${what} ${at}: ${String(value)}`);
    assert.equal(url.href, value, `${what} ${at} is not canonical`);
  }
}

describe('metadata URLs in documents: only absolute http(s), canonical, or left out', () => {
  let feed: TestFeed;
  let registrationBase: string;
  const documents = new Map<string, JsonObject>();

  /** The catalogEntry, leaf and page of `lowerId` 1.0.0 in the SemVer 2 hive, and its catalog leaf. */
  async function documentsOf(id: string): Promise<Record<string, JsonObject>> {
    const lowerId = id.toLowerCase();
    const index = await feed.json(`${registrationBase}${lowerId}/index.json`);
    const page = await feed.json(pathOf(index['items'][0]['@id']));
    const item = page['items'][0] as JsonObject;
    const leaf = await feed.json(pathOf(item['@id']));
    const catalogLeafUrl = [...documents.values()]
      .flatMap((catalogPage) => catalogPage['items'] as JsonObject[])
      .find((entry) => entry['nuget:id'] === id)?.['@id'];
    assert.ok(catalogLeafUrl, `no catalog leaf for ${id}`);
    const catalogLeaf = await feed.json(pathOf(catalogLeafUrl));
    const search = await feed.json(`/v3/search?q=packageid:${id}&prerelease=true&semVerLevel=2.0.0`);
    const result = (search['data'] as JsonObject[]).find((data) => data['id'] === id);
    assert.ok(result, `no search result for ${id}`);
    return { index, page, leaf, catalogEntry: item['catalogEntry'], catalogLeaf, search: result };
  }

  before(async () => {
    feed = await startFeed();
    const serviceIndex = await feed.json('/v3/index.json');
    registrationBase = pathOf(resourceId(serviceIndex, 'RegistrationsBaseUrl/3.6.0')).replace(/\/?$/, '/');
    for (const [index, value] of badUrls.entries()) {
      await feed.publish({
        id: badId(index),
        version: '1.0.0',
        projectUrl: value,
        iconUrl: value,
        licenseUrl: value,
      });
    }
    for (const [index, [value]] of goodUrls.entries()) {
      await feed.publish({
        id: goodId(index),
        version: '1.0.0',
        projectUrl: value,
        iconUrl: value,
        licenseUrl: value,
      });
    }
    // A package stored before pushes were validated: its metadata and catalog snapshot hold what a push would
    // now refuse, or what an older server let through.
    await feed.publish({ id: storedId, version: '1.0.0', projectUrl: 'https://example.com/stored' });
    const db = feed.nugget.db;
    const broken = {
      minClientVersion: 'not a version',
      iconUrl: 'javascript:alert(1)',
      licenseUrl: 'LICENSE.txt',
    };
    const row = await db
      .selectFrom('package_versions')
      .select(['metadata'])
      .where('lower_id', '=', storedId.toLowerCase())
      .executeTakeFirstOrThrow();
    await db
      .updateTable('package_versions')
      .set({ metadata: JSON.stringify({ ...JSON.parse(row.metadata), ...broken }) })
      .where('lower_id', '=', storedId.toLowerCase())
      .execute();
    for (const entry of await db
      .selectFrom('catalog_entries')
      .select(['seq', 'snapshot'])
      .where('lower_id', '=', storedId.toLowerCase())
      .execute()) {
      const snapshot = JSON.parse(entry.snapshot ?? '{}');
      snapshot.metadata = { ...snapshot.metadata, ...broken };
      await db
        .updateTable('catalog_entries')
        .set({ snapshot: JSON.stringify(snapshot) })
        .where('seq', '=', entry.seq)
        .execute();
    }
    const catalog = await feed.json('/v3/catalog/index.json');
    for (const item of catalog['items'] as JsonObject[]) {
      documents.set(item['@id'], await feed.json(pathOf(item['@id'])));
    }
  });
  after(() => feed.close());

  for (const [index, value] of badUrls.entries()) {
    test(`${JSON.stringify(value)} is accepted on push and left out of every document`, async () => {
      for (const [what, document] of Object.entries(await documentsOf(badId(index)))) {
        for (const field of urlFields) {
          if (what === 'index' || what === 'page' || what === 'leaf') continue;
          assert.equal(document[field], undefined, `${what}.${field}`);
        }
        assertOnlyValidUrls(what, document);
        assert.ok(!JSON.stringify(document).includes(JSON.stringify(value)), `${what} prints ${value}`);
      }
    });
  }

  for (const [index, [value, printed]] of goodUrls.entries()) {
    test(`${JSON.stringify(value)} is printed as ${printed}`, async () => {
      const { catalogEntry, catalogLeaf, search, index: registration } = await documentsOf(goodId(index));
      for (const [what, document] of Object.entries({ catalogEntry, catalogLeaf, search })) {
        for (const field of urlFields) assert.equal(document?.[field], printed, `${what}.${field}`);
      }
      assertOnlyValidUrls('registration index', registration);
    });
  }

  test('a package stored before: no minClientVersion that is not a version, no bad URL', async () => {
    for (const [what, document] of Object.entries(await documentsOf(storedId))) {
      assertOnlyValidUrls(what, document);
      const text = JSON.stringify(document);
      assert.ok(!text.includes('not a version'), `${what} prints the stored minClientVersion`);
      assert.ok(!text.includes('javascript:'), `${what} prints the stored iconUrl`);
      assert.ok(!text.includes('"LICENSE.txt"'), `${what} prints the stored licenseUrl`);
    }
    const { catalogEntry, search } = await documentsOf(storedId);
    assert.equal(catalogEntry?.['projectUrl'], 'https://example.com/stored');
    assert.equal(search?.['projectUrl'], 'https://example.com/stored');
  });
});
