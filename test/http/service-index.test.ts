// The service index: ../../../shared/spec/nuget-api/service-index.md
// The client matches @type strings exactly, in its own priority order, and skips entries whose @id is not an
// absolute URI (../../../shared/notes/client-behaviour.md §1.1).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertHeadLikeGet,
  type JsonObject,
  origin,
  parseJson,
  pathOf,
  resourceId,
  resourcesByType,
  startFeed,
  type TestFeed,
} from './feed-fixture.ts';

// Every @type the NuGet client (7.9) may pick for each resource we implement; each must be advertised,
// because older clients stop at the first type they know (client-behaviour.md §1.1 table).
const requiredTypes = [
  'PackagePublish/2.0.0',
  'PackageBaseAddress/3.0.0',
  'RegistrationsBaseUrl/3.6.0',
  'RegistrationsBaseUrl/3.4.0',
  'RegistrationsBaseUrl/3.0.0-rc',
  'RegistrationsBaseUrl/3.0.0-beta',
  'RegistrationsBaseUrl',
  'SearchQueryService/3.0.0-beta',
  'SearchQueryService/3.4.0',
  'SearchQueryService/3.5.0',
  'SearchAutocompleteService/3.0.0-beta',
];

describe('service index', () => {
  let feed: TestFeed;
  let index: JsonObject;

  before(async () => {
    feed = await startFeed();
    await feed.publish({ id: 'Index.Probe', version: '1.0.0' });
    index = await feed.json('/v3/index.json');
  });
  after(() => feed.close());

  test('is a JSON object with version 3.0.0 and a resources array', async () => {
    const response = await feed.get('/v3/index.json');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(index['version'], '3.0.0');
    assert.ok(Array.isArray(index['resources']) && index['resources'].length > 0);
    // Strict JSON: the 7.9 client parses the index with System.Text.Json.
    assert.doesNotThrow(() => JSON.parse(response.body));
  });

  test('advertises every @type the client matches', () => {
    const types = resourcesByType(index);
    for (const type of requiredTypes) assert.ok(types.has(type), `missing @type ${type}`);
  });

  test('lists VulnerabilityInfo/6.7.0 on a feed without advisories, its one page empty', async () => {
    // The client caches this document for 30 minutes: a resource that appears with the first advisory would go
    // unseen that long (issue 10, class 4).
    const [id] = resourcesByType(index).get('VulnerabilityInfo/6.7.0') ?? [];
    assert.equal(id, `${origin}/v3/vulnerabilities/index.json`);
    const pages = await feed.json<JsonObject[]>(pathOf(id ?? ''));
    assert.deepEqual(await feed.json(pathOf(pages[0]?.['@id'])), {});
  });

  test('every resource has an absolute http(s) @id built from the request host', () => {
    for (const resource of index['resources'] as JsonObject[]) {
      assert.equal(typeof resource['@id'], 'string');
      const url = new URL(resource['@id']);
      assert.equal(url.protocol, 'http:', resource['@id']);
      assert.equal(url.host, 'localhost', resource['@id']);
      assert.ok(url.pathname.startsWith('/v3/'), resource['@id']);
    }
  });

  test('follows the Host header the client sent', async () => {
    const hosted = parseJson(await feed.get('/v3/index.json', { host: 'feed.example:8080' }));
    for (const resource of hosted['resources'] as JsonObject[]) {
      assert.ok(resource['@id'].startsWith('http://feed.example:8080/v3/'), resource['@id']);
    }
  });

  test('does not advertise RepositorySignatures over http (it breaks restore)', () => {
    const types = [...resourcesByType(index).keys()];
    assert.deepEqual(
      types.filter((t) => t.startsWith('RepositorySignatures')),
      [],
    );
  });

  test('the three registration hives are distinct, and 3.6.0 is the SemVer 2.0.0 hive', () => {
    const plain = resourceId(index, 'RegistrationsBaseUrl');
    for (const alias of ['RegistrationsBaseUrl/3.0.0-beta', 'RegistrationsBaseUrl/3.0.0-rc']) {
      assert.equal(resourceId(index, alias), plain, `${alias} is an alias of RegistrationsBaseUrl`);
    }
    const gz = resourceId(index, 'RegistrationsBaseUrl/3.4.0');
    const semver2 = resourceId(index, 'RegistrationsBaseUrl/3.6.0');
    assert.equal(new Set([plain, gz, semver2]).size, 3);
  });

  test('every advertised resource answers at its @id', async () => {
    const lookups: [string, (id: string) => string][] = [
      ['PackageBaseAddress/3.0.0', (id) => `${id.replace(/\/?$/, '/')}index.probe/index.json`],
      ['RegistrationsBaseUrl', (id) => `${id.replace(/\/?$/, '/')}index.probe/index.json`],
      ['RegistrationsBaseUrl/3.4.0', (id) => `${id.replace(/\/?$/, '/')}index.probe/index.json`],
      ['RegistrationsBaseUrl/3.6.0', (id) => `${id.replace(/\/?$/, '/')}index.probe/index.json`],
      ['SearchQueryService/3.0.0-beta', (id) => `${id}?q=index.probe`],
      ['SearchQueryService/3.5.0', (id) => `${id}?q=index.probe&packageType=Dependency`],
      ['SearchAutocompleteService/3.0.0-beta', (id) => `${id}?q=index`],
    ];
    for (const [type, toUrl] of lookups) {
      const url = toUrl(resourceId(index, type));
      const response = await feed.get(pathOf(url));
      assert.equal(
        response.statusCode,
        200,
        `${type}: GET ${url} -> ${response.statusCode} ${response.body}`,
      );
    }
  });

  test('PackagePublish @id accepts a push at @id (the client appends a slash)', async () => {
    const publish = resourceId(index, 'PackagePublish/2.0.0');
    assert.equal(pathOf(publish).replace(/\/$/, ''), '/v3/package');
    // ignoreTrailingSlash: `PUT {@id}/` must reach the push route, not a 404.
    const response = await feed.request('PUT', `${pathOf(publish).replace(/\/$/, '')}/`, {
      headers: { 'x-nuget-apikey': 'wrong' },
    });
    assert.equal(response.statusCode, 403);
  });

  test('HEAD answers like GET, with no body, compressed or not', async () => {
    await assertHeadLikeGet(feed, '/v3/index.json');
    await assertHeadLikeGet(feed, '/v3/index.json', {
      'accept-encoding': 'gzip, deflate',
    });
  });

  test('gzip is used only when the client accepts it', async () => {
    const plain = await feed.get('/v3/index.json');
    assert.equal(plain.headers['content-encoding'], undefined);
    const gz = await feed.get('/v3/index.json', {
      'accept-encoding': 'gzip, deflate',
    });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(parseJson(gz), parseJson(plain));
    // The client does not advertise brotli; never answer with it.
    const br = await feed.get('/v3/index.json', { 'accept-encoding': 'br' });
    assert.notEqual(br.headers['content-encoding'], 'br');
  });
});
