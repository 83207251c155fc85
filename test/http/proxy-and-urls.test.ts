// Every URL the feed prints is absolute and built from one base (docs/architecture.md rule 7): --public-url, or
// the scheme and host the client reached, with X-Forwarded-Proto/Host/Prefix honoured only behind a trusted
// proxy. An https index must never list an http resource: the 7.x client fails with NU1302
// (../../../shared/notes/client-behaviour.md §0).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertClientError,
  type Headers,
  type JsonObject,
  parseJson,
  startFeed,
  type TestFeed,
  urlValues,
} from './feed-fixture.ts';

/** Every document that prints URLs, for a feed holding Url.Probe 1.0.0 (with an embedded readme). */
const documents = [
  '/v3/index.json',
  '/v3/registration/url.probe/index.json',
  '/v3/registration-gz/url.probe/index.json',
  '/v3/registration-gz-semver2/url.probe/index.json',
  '/v3/registration-gz-semver2/url.probe/1.0.0.json',
  '/v3/search?q=url.probe',
  '/v3/search?q=url.probe&semVerLevel=2.0.0',
];

/** URLs printed by this feed (not third-party ones such as licenses.nuget.org). */
async function feedUrls(feed: TestFeed, headers: Headers): Promise<{ at: string; value: string }[]> {
  const found: { at: string; value: string }[] = [];
  for (const url of documents) {
    const response = await feed.get(url, headers);
    assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
    for (const item of urlValues(parseJson(response), url)) {
      if (!item.value.startsWith('https://licenses.nuget.org/')) found.push(item);
    }
  }
  assert.ok(found.length > 20, `expected many URLs, found ${found.length}`);
  return found;
}

function assertAllStartWith(urls: { at: string; value: string }[], prefix: string): void {
  const wrong = urls.filter((u) => !u.value.startsWith(prefix));
  assert.deepEqual(wrong, [], `every URL should start with ${prefix}`);
}

const publishProbe = (feed: TestFeed) =>
  feed.publish({
    id: 'Url.Probe',
    version: '1.0.0',
    readme: { path: 'README.md', content: '# probe' },
    licenseExpression: 'MIT',
    dependencyGroups: [
      {
        targetFramework: 'net8.0',
        dependencies: [{ id: 'Other.Pkg', range: '1.0.0' }],
      },
    ],
  });

describe('URLs from the request', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
    await publishProbe(feed);
  });
  after(() => feed.close());

  test('scheme and host come from the request', async () => {
    assertAllStartWith(
      await feedUrls(feed, { host: 'nuget.internal:5000' }),
      'http://nuget.internal:5000/v3/',
    );
    assertAllStartWith(await feedUrls(feed, { host: '127.0.0.1:8080' }), 'http://127.0.0.1:8080/v3/');
    assertAllStartWith(await feedUrls(feed, { host: '[::1]:5000' }), 'http://[::1]:5000/v3/');
  });

  test('X-Forwarded-* headers are ignored when the proxy is not trusted', async () => {
    const urls = await feedUrls(feed, {
      host: 'nuget.internal:5000',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-prefix': '/attacker',
    });
    assertAllStartWith(urls, 'http://nuget.internal:5000/v3/');
  });

  test('an untrusted, malformed X-Forwarded-Prefix is ignored, not an error', async () => {
    const response = await feed.get('/v3/index.json', {
      'x-forwarded-prefix': 'not a path',
    });
    assert.equal(response.statusCode, 200);
  });

  const badHosts = [
    'evil.example/path',
    'evil.example\\x',
    'a b',
    'host:port',
    'user@host',
    'host:99999999',
    'host:70000',
    '"quoted"',
  ];
  for (const host of badHosts) {
    test(`Host ${JSON.stringify(host)} -> 400 JSON on every URL-printing resource`, async () => {
      for (const url of documents) {
        const error = assertClientError(await feed.get(url, { host }), 400, `${url} Host ${host}`);
        assert.match(error.message, /host/i);
      }
    });
  }

  test('resources that print no URL do not need a good Host', async () => {
    const response = await feed.get('/v3/flatcontainer/url.probe/index.json', {
      host: 'a b',
    });
    assert.ok(response.statusCode === 200 || response.statusCode === 400, `${response.statusCode}`);
  });
});

describe('--public-url', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ publicUrl: 'https://nuget.example.com/feed/' });
    await publishProbe(feed);
  });
  after(() => feed.close());

  test('every URL starts with the public URL (trailing slash dropped), whatever the request said', async () => {
    const variants: Headers[] = [
      {},
      { host: 'internal:5000' },
      {
        'x-forwarded-proto': 'http',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-prefix': '/x',
      },
    ];
    for (const headers of variants) {
      const urls = await feedUrls(feed, headers);
      assertAllStartWith(urls, 'https://nuget.example.com/feed/v3/');
      assert.deepEqual(
        urls.filter((u) => u.value.startsWith('http://')),
        [],
      );
    }
  });

  test('a bad Host does not matter when the public URL is configured', async () => {
    assert.equal((await feed.get('/v3/index.json', { host: 'a b' })).statusCode, 200);
  });
});

describe('trusted proxy (--trust-proxy)', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ trustProxy: true });
    await publishProbe(feed);
  });
  after(() => feed.close());

  test('X-Forwarded-Proto https makes every URL https: no http URL anywhere', async () => {
    const urls = await feedUrls(feed, {
      host: 'backend:5000',
      'x-forwarded-proto': 'https',
    });
    assertAllStartWith(urls, 'https://backend:5000/v3/');
    const index = await feed.get('/v3/index.json', {
      host: 'backend:5000',
      'x-forwarded-proto': 'https',
    });
    assert.doesNotMatch(index.body, /http:\/\//);
  });

  test('X-Forwarded-Host and X-Forwarded-Prefix build the public base', async () => {
    const urls = await feedUrls(feed, {
      host: 'backend:5000',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'nuget.corp.example',
      'x-forwarded-prefix': '/nuget/',
    });
    assertAllStartWith(urls, 'https://nuget.corp.example/nuget/v3/');
    assert.deepEqual(
      urls.filter((u) => /\/\/.*\/\//.test(u.value)),
      [],
      'no doubled slashes',
    );
  });

  test('with several proxies, the first (client-side) value of each header wins', async () => {
    const index = parseJson(
      await feed.get('/v3/index.json', {
        'x-forwarded-proto': 'https, http',
        'x-forwarded-host': 'outer.example, inner.example',
      }),
    );
    for (const resource of index['resources'] as JsonObject[]) {
      assert.ok(resource['@id'].startsWith('https://outer.example/v3/'), resource['@id']);
    }
  });

  test('an X-Forwarded-Proto other than http or https is ignored', async () => {
    const index = parseJson(
      await feed.get('/v3/index.json', {
        host: 'backend',
        'x-forwarded-proto': 'ftp',
      }),
    );
    for (const resource of index['resources'] as JsonObject[]) {
      assert.ok(resource['@id'].startsWith('http://backend/v3/'), resource['@id']);
    }
  });

  test('a malformed X-Forwarded-Host or X-Forwarded-Prefix -> 400 JSON', async () => {
    const malformed: Headers[] = [
      { 'x-forwarded-host': 'evil.example/x' },
      { 'x-forwarded-host': 'a b' },
      { 'x-forwarded-prefix': 'no-leading-slash' },
      { 'x-forwarded-prefix': '/a b' },
      { 'x-forwarded-prefix': '/a"b' },
      { 'x-forwarded-prefix': '//evil.example' },
    ];
    for (const headers of malformed) {
      assertClientError(await feed.get('/v3/index.json', headers), 400, JSON.stringify(headers));
    }
  });

  test('without forwarded headers the request itself decides', async () => {
    const index = parseJson(await feed.get('/v3/index.json', { host: 'direct:5000' }));
    for (const resource of index['resources'] as JsonObject[]) {
      assert.ok(resource['@id'].startsWith('http://direct:5000/v3/'), resource['@id']);
    }
  });
});
