// HTTP caching (RFC 9110 §8.8, §13, §14): strong ETags and 304 Not Modified on version lists, registrations
// (index, page, leaf) and the service index; Range, 206, 416 and If-Range on package files. Every check runs on
// both paths a read can take: Fastify (inject, and the first request over a socket) and the raw-HTTP fast path
// (front-cache.ts: the same request again over a socket, answered before Fastify). docs/operations.md.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { type JsonObject, pathOf, startFeed, type TestFeed } from './feed-fixture.ts';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: Buffer;
}

type Path = 'fastify' | 'fast path';

/** Each request over `path`: inject() for Fastify; over a socket twice (Fastify, then the cache) for the fast path. */
async function ask(
  feed: TestFeed,
  path: Path,
  method: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  if (path === 'fastify') {
    const response = await feed.request(method, url, { headers });
    return { status: response.statusCode, headers: response.headers, body: response.rawPayload };
  }
  const front = feed.feed.caches.front;
  assert.ok(front, 'the fast path is on');
  // A plain GET first, so the answer is in the fast path's cache, then the request itself, which it must answer.
  await feed.rawRequest('GET', url, { headers: { 'accept-encoding': headers['accept-encoding'] ?? '' } });
  const hits = front.stats.hits;
  const response = await feed.rawRequest(method, url, { headers });
  assert.equal(front.stats.hits, hits + 1, `${method} ${url} was not answered by the fast path`);
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

const paths: Path[] = ['fastify', 'fast path'];

describe('ETag and 304 Not Modified', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
    await feed.publish({ id: 'Etag.Pkg', version: '1.0.0', description: 'x'.repeat(600) });
  });
  after(() => feed.close());

  const documents = async () => {
    const index = await feed.json('/v3/registration/etag.pkg/index.json');
    const page = index['items'][0];
    return {
      'version list': '/v3/flatcontainer/etag.pkg/index.json',
      'registration index': '/v3/registration/etag.pkg/index.json',
      'registration index (gz, SemVer 2)': '/v3/registration-gz-semver2/etag.pkg/index.json',
      'registration page': pathOf(page['@id']),
      'registration leaf': '/v3/registration/etag.pkg/1.0.0.json',
      search: '/v3/search?q=etag',
      autocomplete: '/v3/autocomplete?q=etag',
    };
  };

  for (const path of paths) {
    test(`${path}: every cached document has a strong ETag; If-None-Match with it -> 304, no body`, async () => {
      for (const [name, url] of Object.entries(await documents())) {
        for (const encoding of ['identity', 'gzip']) {
          const headers = { 'accept-encoding': encoding };
          const full = await ask(feed, path, 'GET', url, headers);
          assert.equal(full.status, 200, `${name} ${url}`);
          const etag = String(full.headers['etag']);
          assert.match(etag, /^"[A-Za-z0-9_-]+"$/, `${name}: a strong, quoted tag`);
          for (const [method, condition] of [
            ['GET', etag],
            ['HEAD', etag],
            ['GET', `W/${etag}`],
            ['GET', `"other", ${etag}`],
            ['GET', '*'],
          ] as const) {
            const answer = await ask(feed, path, method, url, { ...headers, 'if-none-match': condition });
            assert.equal(answer.status, 304, `${name} ${method} If-None-Match: ${condition} (${encoding})`);
            assert.equal(answer.body.length, 0);
            assert.equal(answer.headers['etag'], etag);
            assert.equal(
              answer.headers['content-length'],
              undefined,
              `${name}: a 304 carries no Content-Length`,
            );
            assert.equal(answer.headers['content-encoding'], undefined);
            assert.equal(
              answer.headers['cache-control'],
              full.headers['cache-control'],
              `${name} cache-control`,
            );
            assert.equal(answer.headers['vary'], full.headers['vary'], `${name} vary`);
          }
          const other = await ask(feed, path, 'GET', url, { ...headers, 'if-none-match': '"not-this-one"' });
          assert.equal(other.status, 200, `${name}: another tag gets the document`);
          assert.deepEqual(other.body, full.body);
        }
      }
    });
  }

  test('the gzip answer has its own tag: a tag of the identity answer does not validate it', async () => {
    const url = '/v3/registration-gz-semver2/etag.pkg/index.json';
    const identity = await ask(feed, 'fastify', 'GET', url, { 'accept-encoding': 'identity' });
    const gzip = await ask(feed, 'fastify', 'GET', url, { 'accept-encoding': 'gzip' });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.notEqual(gzip.headers['etag'], identity.headers['etag']);
    assert.deepEqual(gunzipSync(gzip.body), identity.body);
    for (const path of paths) {
      const answer = await ask(feed, path, 'GET', url, {
        'accept-encoding': 'gzip',
        'if-none-match': String(identity.headers['etag']),
      });
      assert.equal(answer.status, 200, path);
    }
  });

  test('the same content gets the same tag from another node; a push changes the tags it touches', async () => {
    const url = '/v3/flatcontainer/etag.pkg/index.json';
    const before = String((await ask(feed, 'fastify', 'GET', url)).headers['etag']);
    const other = await startFeed();
    try {
      await other.publish({ id: 'Etag.Pkg', version: '1.0.0', description: 'x'.repeat(600) });
      assert.equal((await ask(other, 'fastify', 'GET', url)).headers['etag'], before);
    } finally {
      await other.close();
    }
    await feed.publish({ id: 'Etag.Pkg', version: '2.0.0' });
    for (const path of paths) {
      const answer = await ask(feed, path, 'GET', url, { 'if-none-match': before });
      assert.equal(answer.status, 200, `${path}: the old tag no longer validates`);
      assert.notEqual(answer.headers['etag'], before);
      assert.deepEqual(JSON.parse(answer.body.toString()), { versions: ['1.0.0', '2.0.0'] });
    }
  });

  test('the service index has an ETag and answers 304', async () => {
    for (const encoding of ['identity', 'gzip']) {
      const full = await ask(feed, 'fastify', 'GET', '/v3/index.json', { 'accept-encoding': encoding });
      const etag = String(full.headers['etag']);
      assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
      const answer = await ask(feed, 'fastify', 'GET', '/v3/index.json', {
        'accept-encoding': encoding,
        'if-none-match': etag,
      });
      assert.equal(answer.status, 304);
      assert.equal(answer.body.length, 0);
      // Over a socket too (its Host makes other URLs, so another tag): no Content-Length, no body, GET or HEAD.
      const socketTag = String(
        (await feed.rawRequest('GET', '/v3/index.json', { headers: { 'accept-encoding': encoding } }))
          .headers['etag'],
      );
      assert.notEqual(socketTag, etag);
      for (const method of ['GET', 'HEAD']) {
        const raw = await feed.rawRequest(method, '/v3/index.json', {
          headers: { 'accept-encoding': encoding, 'if-none-match': socketTag },
        });
        assert.equal(raw.statusCode, 304, method);
        assert.equal(raw.headers['content-length'], undefined, method);
        assert.equal(raw.body.length, 0);
      }
    }
  });

  test('404 answers carry no ETag and never 304', async () => {
    for (const path of paths) {
      const answer = await ask(feed, path, 'GET', '/v3/flatcontainer/no.such.pkg/index.json', {
        'if-none-match': '*',
      });
      assert.equal(answer.status, 404, path);
      assert.equal(answer.headers['etag'], undefined);
    }
  });
});

describe('Range and 206 on package files', () => {
  let feed: TestFeed;
  let nupkg: Buffer;
  let large: Buffer;
  const nupkgUrl = '/v3/flatcontainer/range.pkg/1.0.0/range.pkg.1.0.0.nupkg';
  const largeUrl = '/v3/flatcontainer/range.large/1.0.0/range.large.1.0.0.nupkg';
  before(async () => {
    feed = await startFeed();
    nupkg = await feed.publish({ id: 'Range.Pkg', version: '1.0.0' });
    // Over 1 MB: never kept in memory, so ranges are read from the blob store as ranges.
    large = await buildNupkg({
      id: 'Range.Large',
      version: '1.0.0',
      files: [{ path: 'content/noise.bin', content: randomBytes(1536 * 1024) }],
    });
    assert.equal((await feed.push(large)).statusCode, 201);
  });
  after(() => feed.close());

  const cases = () => [
    { name: 'small .nupkg', url: nupkgUrl, bytes: nupkg, paths },
    // Not kept in memory, so never on the fast path.
    { name: 'large .nupkg', url: largeUrl, bytes: large, paths: ['fastify' as const] },
  ];

  test('200 says Accept-Ranges: bytes and carries an ETag', async () => {
    for (const { name, url, paths: on } of cases()) {
      for (const path of on) {
        const answer = await ask(feed, path, 'GET', url);
        assert.equal(answer.status, 200, `${path} ${name}`);
        assert.equal(answer.headers['accept-ranges'], 'bytes');
        assert.match(String(answer.headers['etag']), /^"[A-Za-z0-9_-]+"$/);
      }
    }
  });

  for (const path of paths) {
    test(`${path}: one range -> 206 with exactly those bytes and Content-Range`, async () => {
      for (const { name, url, bytes, paths: on } of cases()) {
        if (!on.includes(path)) continue;
        const size = bytes.length;
        for (const [range, start, end] of [
          ['bytes=0-9', 0, 9],
          ['bytes=10-', 10, size - 1],
          ['bytes=-100', size - 100, size - 1],
          [`bytes=${size - 5}-${size + 1000}`, size - 5, size - 1],
          ['bytes=0-0', 0, 0],
        ] as const) {
          const answer = await ask(feed, path, 'GET', url, { range });
          assert.equal(answer.status, 206, `${name} ${range}`);
          assert.equal(answer.headers['content-range'], `bytes ${start}-${end}/${size}`, `${name} ${range}`);
          assert.equal(answer.headers['content-length'], String(end - start + 1));
          assert.equal(answer.headers['content-type'], 'application/octet-stream');
          assert.deepEqual(answer.body, bytes.subarray(start, end + 1), `${name} ${range}`);
        }
      }
    });

    test(`${path}: a range past the end -> 416 with Content-Range: bytes */size`, async () => {
      for (const { name, url, bytes, paths: on } of cases()) {
        if (!on.includes(path)) continue;
        for (const range of [
          `bytes=${bytes.length}-`,
          `bytes=${bytes.length + 10}-${bytes.length + 20}`,
          'bytes=-0',
        ]) {
          const answer = await ask(feed, path, 'GET', url, { range });
          assert.equal(answer.status, 416, `${name} ${range}`);
          assert.equal(answer.headers['content-range'], `bytes */${bytes.length}`);
          assert.equal(answer.body.length, 0);
        }
      }
    });

    test(`${path}: several ranges, a malformed one, HEAD, or a stale If-Range -> 200 with everything`, async () => {
      for (const { name, url, bytes, paths: on } of cases()) {
        if (!on.includes(path)) continue;
        for (const headers of [
          { range: 'bytes=0-1,5-6' } as Record<string, string>,
          { range: 'bytes=9-2' },
          { range: 'lines=1-2' },
          { range: 'bytes=0-9', 'if-range': '"another-tag"' },
          { range: 'bytes=0-9', 'if-range': 'Wed, 21 Oct 2015 07:28:00 GMT' },
        ]) {
          const answer = await ask(feed, path, 'GET', url, headers);
          assert.equal(answer.status, 200, `${name} ${JSON.stringify(headers)}`);
          assert.deepEqual(answer.body, bytes);
        }
        const head = await ask(feed, path, 'HEAD', url, { range: 'bytes=0-9' });
        assert.equal(head.status, 200, `${name} HEAD`);
        assert.equal(head.headers['content-length'], String(bytes.length));
        assert.equal(head.body.length, 0);
      }
    });

    test(`${path}: If-Range with the current tag -> 206; If-None-Match with it -> 304`, async () => {
      for (const { name, url, bytes, paths: on } of cases()) {
        if (!on.includes(path)) continue;
        const etag = String((await ask(feed, path, 'GET', url)).headers['etag']);
        const partial = await ask(feed, path, 'GET', url, { range: 'bytes=5-9', 'if-range': etag });
        assert.equal(partial.status, 206, name);
        assert.deepEqual(partial.body, bytes.subarray(5, 10));
        const notModified = await ask(feed, path, 'GET', url, { 'if-none-match': etag, range: 'bytes=0-1' });
        assert.equal(notModified.status, 304, name);
        assert.equal(notModified.body.length, 0);
        assert.equal(notModified.headers['etag'], etag);
      }
    });
  }

  test('the .nuspec takes ranges too, on both paths', async () => {
    const url = '/v3/flatcontainer/range.pkg/1.0.0/range.pkg.nuspec';
    const whole = await ask(feed, 'fastify', 'GET', url);
    for (const path of paths) {
      const answer = await ask(feed, path, 'GET', url, { range: 'bytes=0-4' });
      assert.equal(answer.status, 206, path);
      assert.deepEqual(answer.body, whole.body.subarray(0, 5));
    }
  });

  test('a download is counted once: a whole GET or a range from the first byte; not a later range or a 304', async () => {
    const counted = await startFeed();
    try {
      await counted.publish({ id: 'Range.Counted', version: '1.0.0' });
      const url = '/v3/flatcontainer/range.counted/1.0.0/range.counted.1.0.0.nupkg';
      const etag = String((await counted.get(url)).headers['etag']); // 1
      for (const path of paths) {
        // ask() sends a plain GET first on the fast path: that is one more download each time.
        await ask(counted, path, 'GET', url, { range: 'bytes=0-9' }); // fastify: 1, fast path: 2
        await ask(counted, path, 'GET', url, { range: 'bytes=10-' }); // fastify: 0, fast path: 1
        await ask(counted, path, 'GET', url, { 'if-none-match': etag }); // fastify: 0, fast path: 1
      }
      await counted.feed.downloads.flush();
      const search = await counted.json('/v3/search?q=packageid:Range.Counted');
      assert.equal((search['data'] as JsonObject[])[0]?.['totalDownloads'], 1 + 1 + 4);
    } finally {
      await counted.close();
    }
  });
});

describe('ETags and ranges on named feeds (/feeds/{name}/v3/)', () => {
  let server: TestFeed;
  let admin: Record<string, string>;
  let nupkg: Buffer;
  before(async () => {
    server = await startFeed();
    admin = { 'x-nuget-apikey': server.apiKey ?? '' };
    for (const [name, settings] of [
      ['team', {}],
      ['locked', { private: true }],
    ] as const) {
      const created = await server.request('PUT', `/admin/feeds/${name}`, {
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify(settings),
      });
      assert.equal(created.statusCode, 201, created.body);
    }
    nupkg = await buildNupkg({ id: 'Feed.Cached', version: '1.0.0', description: 'y'.repeat(600) });
    for (const feed of ['team', 'locked']) {
      const pushed = await server.push(nupkg, { feed });
      assert.equal(pushed.statusCode, 201, pushed.body);
    }
  });
  after(() => server.close());

  const documentUrl = (feed: string) => `/feeds/${feed}/v3/flatcontainer/feed.cached/index.json`;
  const nupkgUrl = (feed: string) =>
    `/feeds/${feed}/v3/flatcontainer/feed.cached/1.0.0/feed.cached.1.0.0.nupkg`;

  for (const path of paths) {
    test(`${path}: a public named feed's documents answer 304 and its downloads 206`, async () => {
      const document = await ask(server, path, 'GET', documentUrl('team'));
      assert.equal(document.status, 200);
      const etag = String(document.headers['etag']);
      assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
      const notModified = await ask(server, path, 'GET', documentUrl('team'), { 'if-none-match': etag });
      assert.equal(notModified.status, 304);
      assert.equal(notModified.body.length, 0);
      const partial = await ask(server, path, 'GET', nupkgUrl('team'), { range: 'bytes=3-12' });
      assert.equal(partial.status, 206);
      assert.equal(partial.headers['content-range'], `bytes 3-12/${nupkg.length}`);
      assert.deepEqual(partial.body, nupkg.subarray(3, 13));
    });
  }

  test("a private named feed's answers carry ETags and take ranges, never from the fast path", async () => {
    const front = server.feed.caches.front;
    assert.ok(front);
    const hits = front.stats.hits;
    for (let i = 0; i < 2; i++) {
      const anonymous = await server.rawRequest('GET', documentUrl('locked'));
      assert.equal(anonymous.statusCode, 401, 'the fast path kept a private answer');
      const document = await server.rawRequest('GET', documentUrl('locked'), { headers: admin });
      assert.equal(document.statusCode, 200);
      const etag = String(document.headers['etag']);
      assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
      const notModified = await server.rawRequest('GET', documentUrl('locked'), {
        headers: { ...admin, 'if-none-match': etag },
      });
      assert.equal(notModified.statusCode, 304);
      assert.equal((await server.rawRequest('GET', nupkgUrl('locked'))).statusCode, 401);
      const partial = await server.rawRequest('GET', nupkgUrl('locked'), {
        headers: { ...admin, range: 'bytes=0-9' },
      });
      assert.equal(partial.statusCode, 206);
      assert.deepEqual(partial.body, nupkg.subarray(0, 10));
    }
    assert.equal(front.stats.hits, hits, 'the fast path answered a private feed');
  });
});

/** One request written by hand (repeated headers, any spelling), on its own connection; status line and body. */
async function handWritten(port: number, head: string): Promise<{ status: number; body: Buffer }> {
  const socket = connect(port, '127.0.0.1');
  socket.end(`${head}\r\nConnection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const all = Buffer.concat(chunks);
  const end = all.indexOf('\r\n\r\n');
  return { status: Number(all.subarray(9, 12).toString()), body: all.subarray(end + 4) };
}

describe('the fast path and request headers as clients send them', () => {
  let feed: TestFeed;
  const url = '/v3/registration-gz-semver2/headers.pkg/index.json';
  before(async () => {
    feed = await startFeed();
    await feed.publish({ id: 'Headers.Pkg', version: '1.0.0', description: 'x'.repeat(600) });
  });
  after(() => feed.close());

  const serverPort = () => {
    const address = feed.app.server.address();
    assert.ok(address && typeof address === 'object');
    return address.port;
  };
  const hits = () => feed.feed.caches.front!.stats.hits;

  test('header names in any case: gzip, 304 and the Host of the URLs as in lower case', async () => {
    const lower = await feed.rawRequest('GET', url, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(lower.headers['content-encoding'], 'gzip');
    const before = hits();
    const mixed = await feed.rawRequest('GET', url, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(hits(), before + 1, 'answered by the fast path');
    assert.equal(mixed.headers['content-encoding'], 'gzip');
    assert.deepEqual(mixed.body, lower.body);
    const etag = String(mixed.headers['etag']);
    const notModified = await feed.rawRequest('GET', url, {
      headers: { 'ACCEPT-ENCODING': 'gzip', 'If-None-Match': etag },
    });
    assert.equal(notModified.statusCode, 304);
    assert.equal(hits(), before + 2);
    const otherHost = await feed.rawRequest('GET', url, { headers: { HOST: 'feed.example:8080' } });
    assert.match(gunzipOrPlain(otherHost.body), /http:\/\/feed\.example:8080\/v3\//);
  });

  test('a GET with a body goes to Fastify', async () => {
    await feed.rawRequest('GET', url);
    const before = hits();
    for (const body of [
      'Content-Length: 5\r\n\r\nhello',
      'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n',
    ]) {
      const answer = await handWritten(serverPort(), `GET ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\n${body}`);
      assert.ok(answer.status > 0 && answer.status < 500, String(answer.status));
    }
    assert.equal(hits(), before, 'not from the fast path');
  });
});

function gunzipOrPlain(body: Buffer): string {
  return body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body).toString() : body.toString();
}
