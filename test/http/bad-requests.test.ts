// Requests no NuGet client sends, from clients that are broken or hostile. Each must get a 4xx with the JSON
// error shape and never a 5xx, because the NuGet client retries 5xx (../../../shared/notes/client-behaviour.md
// §3.1), and never a file from outside the package it names.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertClientError, type RawResponse, startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

// Sent byte for byte over a socket: inject() would resolve `..` and `%2e%2e` before the server saw them.
const traversals = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%2f',
  '%2F..%2F..%2Fnugget.db',
  '..%2f..%2fnugget.db',
  '%2e%2e%2f%2e%2e%2fnugget.db',
  '..%5c..%5cnugget.db',
  '%252e%252e',
  '%00',
  'trav.pkg%00',
  '....%2f%2f',
];

/** Not valid percent-encoding (overlong UTF-8, non-hex): Fastify refuses these before routing. */
const badEncodings = ['%c0%ae%c0%ae', '%zz', '%e0%80%ae'];

/** Route shapes with X where the hostile segment goes. */
const routes: [method: string, template: string][] = [
  ['GET', '/v3/flatcontainer/X/index.json'],
  ['GET', '/v3/flatcontainer/X/1.0.0/X.1.0.0.nupkg'],
  ['GET', '/v3/flatcontainer/trav.pkg/X/trav.pkg.X.nupkg'],
  ['GET', '/v3/flatcontainer/trav.pkg/1.0.0/X'],
  ['GET', '/v3/flatcontainer/trav.pkg/1.0.0/X.nupkg'],
  ['GET', '/v3/flatcontainer/trav.pkg/X/readme'],
  ['GET', '/v3/flatcontainer/trav.pkg/X/trav.pkg.nuspec'],
  ['GET', '/v3/registration/X/index.json'],
  ['GET', '/v3/registration-gz/X/index.json'],
  ['GET', '/v3/registration-gz-semver2/X/index.json'],
  ['GET', '/v3/registration-gz-semver2/trav.pkg/X.json'],
  ['GET', '/v3/registration-gz-semver2/trav.pkg/X'],
  ['GET', '/v3/registration-gz-semver2/trav.pkg/page/X/X.json'],
  ['GET', '/v3/registration-gz-semver2/X/page/1.0.0/1.0.0.json'],
  ['GET', '/v3/X/trav.pkg/index.json'],
  ['HEAD', '/v3/flatcontainer/trav.pkg/X/trav.pkg.X.nupkg'],
  ['DELETE', '/v3/package/X/1.0.0'],
  ['DELETE', '/v3/package/trav.pkg/X'],
  ['POST', '/v3/package/X/1.0.0'],
  ['POST', '/v3/package/trav.pkg/X'],
];

function assertRawClientError(response: RawResponse, what: string): void {
  assert.ok(
    response.statusCode >= 400 && response.statusCode < 500,
    `${what.slice(0, 200)}: expected 4xx, got ${response.statusCode} ${response.body.toString('utf8', 0, 200)}`,
  );
  const text = response.body.toString('latin1');
  assert.ok(!text.includes('SQLite format 3'), `${what}: served the database`);
  assert.ok(!text.includes('PK\u0003\u0004'), `${what}: served a package`);
  if (response.body.length > 0) {
    assert.match(String(response.headers['content-type']), /^application\/json/, what);
    const body = JSON.parse(response.body.toString('utf8'));
    const shown = response.body.toString('utf8', 0, 300);
    assert.equal(typeof body.error?.code, 'string', `${what.slice(0, 200)}: ${shown}`);
    assert.equal(typeof body.error?.message, 'string', `${what.slice(0, 200)}: ${shown}`);
  }
}

describe('hostile and broken requests', () => {
  let feed: TestFeed;
  const key = { 'x-nuget-apikey': testApiKey };
  before(async () => {
    feed = await startFeed();
    await feed.publish({
      id: 'Trav.Pkg',
      version: '1.0.0',
      readme: { path: 'README.md', content: '# t' },
    });
  });
  after(() => feed.close());

  for (const [method, template] of routes) {
    test(`${method} ${template}: path traversal and bad encodings -> 4xx JSON`, async () => {
      for (const segment of traversals) {
        const path = template.replaceAll('X', segment);
        assertRawClientError(await feed.rawRequest(method, path, { headers: key }), `${method} ${path}`);
      }
    });
  }

  test('invalid percent-encoding in a path -> 400 with the JSON error shape', async () => {
    for (const [method, template] of routes) {
      for (const segment of badEncodings) {
        const path = template.replaceAll('X', segment);
        const response = await feed.rawRequest(method, path, { headers: key });
        assert.equal(response.statusCode, 400, `${method} ${path}`);
        assertRawClientError(response, `${method} ${path}`);
      }
    }
  });

  test('invalid percent-encoding is refused with 400, never a 5xx or a file', async () => {
    for (const [method, template] of routes) {
      for (const segment of badEncodings) {
        const path = template.replaceAll('X', segment);
        const response = await feed.rawRequest(method, path, { headers: key });
        assert.ok(
          response.statusCode >= 400 && response.statusCode < 500,
          `${method} ${path}: ${response.statusCode}`,
        );
        assert.ok(
          !response.body.toString('latin1').includes('PK\u0003\u0004'),
          `${method} ${path}: served a package`,
        );
      }
    }
  });

  test('literal .. segments over a socket never escape the route', async () => {
    for (const path of [
      '/v3/flatcontainer/../../nugget.db',
      '/v3/flatcontainer/trav.pkg/../../../nugget.db',
      '/v3/flatcontainer/trav.pkg/1.0.0/../../../../nugget.db',
      '/v3/flatcontainer/trav.pkg/1.0.0/../1.0.0/trav.pkg.1.0.0.nupkg/..',
      '/v3/registration/../../nugget.db',
      '/v3/../nugget.db',
      '/../nugget.db',
      '/v3/flatcontainer/%2e%2e/%2e%2e/%2e%2e/nugget.db',
    ]) {
      assertRawClientError(await feed.rawRequest('GET', path), path);
    }
  });

  test('the package survived every hostile DELETE', async () => {
    const leaf = await feed.json('/v3/registration/trav.pkg/1.0.0.json');
    assert.equal(leaf['listed'], true);
  });

  const longPaths = (length: number): string[] => {
    const id = 'a'.repeat(length);
    return [
      `/v3/flatcontainer/${id}/index.json`,
      `/v3/flatcontainer/${id}/1.0.0/${id}.1.0.0.nupkg`,
      `/v3/registration-gz-semver2/${id}/index.json`,
      `/v3/autocomplete?id=${id}`,
    ];
  };

  test('an id one character over the limit -> 4xx JSON (or no versions)', async () => {
    for (const path of longPaths(101)) {
      const response = await feed.get(path);
      if (response.statusCode === 200)
        assert.deepEqual(JSON.parse(response.body)['data'], [], path.slice(0, 40));
      else assertClientError(response, [400, 404], path.slice(0, 40));
    }
    assertClientError(
      await feed.request('DELETE', `/v3/package/${'a'.repeat(101)}/1.0.0`, {
        headers: key,
      }),
      [400, 404],
    );
  });

  test('ids and versions longer than a route parameter -> 4xx, never 5xx', async () => {
    const long = `1.0.0-${'a'.repeat(2000)}`;
    const paths = [
      ...longPaths(501),
      ...longPaths(4000),
      `/v3/flatcontainer/trav.pkg/${long}/trav.pkg.${long}.nupkg`,
      `/v3/flatcontainer/trav.pkg/1.0.0/${'x'.repeat(3000)}`,
      `/v3/registration/trav.pkg/${long}.json`,
    ];
    for (const path of paths) {
      const response = await feed.get(path);
      if (path.startsWith('/v3/autocomplete') && response.statusCode === 200) {
        assert.deepEqual(JSON.parse(response.body)['data'], [], 'a query parameter has no route limit');
        continue;
      }
      assert.ok(
        response.statusCode >= 400 && response.statusCode < 500,
        `${path.slice(0, 60)}: ${response.statusCode}`,
      );
    }
    const response = await feed.request('DELETE', `/v3/package/${'a'.repeat(600)}/1.0.0`, { headers: key });
    assert.ok(response.statusCode >= 400 && response.statusCode < 500, `DELETE: ${response.statusCode}`);
  });

  test('ids and versions longer than a route parameter -> the JSON error shape', async () => {
    for (const path of [
      ...longPaths(501).filter((p) => !p.startsWith('/v3/autocomplete')),
      `/v3/flatcontainer/trav.pkg/1.0.0/${'x'.repeat(3000)}`,
    ]) {
      assertClientError(await feed.get(path), [400, 404, 414], path.slice(0, 60));
    }
  });

  const wrongMethods: [string, string][] = [
    ['PATCH', '/v3/index.json'],
    ['PUT', '/v3/index.json'],
    ['DELETE', '/v3/index.json'],
    ['POST', '/v3/index.json'],
    ['POST', '/v3/search'],
    ['DELETE', '/v3/search'],
    ['PATCH', '/v3/package'],
    ['GET', '/v3/package'],
    ['POST', '/v3/package'],
    ['PATCH', '/v3/package/Trav.Pkg/1.0.0'],
    ['PUT', '/v3/package/Trav.Pkg/1.0.0'],
    ['GET', '/v3/package/Trav.Pkg/1.0.0'],
    ['PUT', '/v3/flatcontainer/trav.pkg/index.json'],
    ['DELETE', '/v3/flatcontainer/trav.pkg/1.0.0/trav.pkg.1.0.0.nupkg'],
    ['POST', '/v3/registration/trav.pkg/index.json'],
    ['PATCH', '/v3/autocomplete'],
  ];
  for (const [method, path] of wrongMethods) {
    test(`${method} ${path} -> 404 or 405 JSON`, async () => {
      assertClientError(await feed.request(method, path, { headers: key }), [404, 405], `${method} ${path}`);
    });
  }

  // `/` is the web UI's (test/http/web-pages.test.ts).
  const unknownRoutes = [
    '/v2',
    '/v3',
    '/v3/',
    '/v3/unknown',
    '/v3/index.json/extra',
    '/v3/flatcontainer',
    '/v3/flatcontainer/',
    '/v3/flatcontainer/trav.pkg',
    '/v3/flatcontainer/trav.pkg/1.0.0',
    '/v3/flatcontainer/trav.pkg/1.0.0/trav.pkg.1.0.0.nupkg/extra',
    '/v3/registration/',
    '/v3/registration/trav.pkg',
    '/v3/search/extra',
    '/api/v2/package',
    '/favicon.ico',
    '/V3/INDEX.JSON',
  ];
  for (const path of unknownRoutes) {
    test(`GET ${path} -> 404 JSON`, async () => {
      assertClientError(await feed.get(path), 404, path);
    });
  }

  test('odd query strings are no reason for a 5xx', async () => {
    for (const query of [
      'q[]=a',
      'q=a&q=b',
      'skip=1&skip=2',
      'q=%zz',
      'q=%00',
      'q=%F0%9F%92%A9',
      'semVerLevel=banana',
      'semVerLevel=',
      'packageType=%00',
      'take=',
      'q=a&&&&=&=',
    ]) {
      for (const resource of ['/v3/search', '/v3/autocomplete']) {
        const response = await feed.rawRequest('GET', `${resource}?${query}`);
        assert.ok(response.statusCode < 500, `${resource}?${query}: ${response.statusCode}`);
        if (response.statusCode >= 400) assertRawClientError(response, `${resource}?${query}`);
      }
    }
  });

  test('an enormous API key is refused, not a crash', async () => {
    const response = await feed.request('DELETE', '/v3/package/Trav.Pkg/1.0.0', {
      headers: { 'x-nuget-apikey': 'k'.repeat(8000) },
    });
    assertClientError(response, 403);
  });

  test('a body on GET is ignored or refused, never a 5xx', async () => {
    const response = await feed.request('GET', '/v3/index.json', {
      headers: { 'content-type': 'application/json' },
      body: '{"not": "expected"',
    });
    assert.ok(response.statusCode < 500, `${response.statusCode} ${response.body}`);
  });

  test('Accept-Encoding gzip;q=0 means gzip is not acceptable', async () => {
    const response = await feed.get('/v3/index.json', {
      'accept-encoding': 'gzip;q=0, identity',
    });
    assert.equal(response.headers['content-encoding'], undefined);
  });
});
