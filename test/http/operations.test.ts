// What operators ask of a node (docs/operations.md): /health/live, /health/ready (the database and a blob store
// round trip, 503 naming what failed) and Prometheus metrics at /metrics, which must parse as the text format and
// whose counters must move with requests on both paths (Fastify and the raw-HTTP fast path).
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../../src/auth/manage-api-keys.ts';
import { buildApp } from '../../src/http/app.ts';
import type { HttpServices } from '../../src/http/http-services.ts';
import type { BlobStore, FeedStore } from '../../src/packages/ports.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { type Family, parsePrometheusText, sampleValue } from '../support/prometheus-text.ts';
import { assertClientError, startFeed, type TestFeed } from './feed-fixture.ts';

const basic = (password: string) => ({
  authorization: `Basic ${Buffer.from(`reader:${password}`).toString('base64')}`,
});

/** The feed's blob store, failing every call while `failing` is set, as a broken disk or bucket would. */
function failingBlobs(inner: BlobStore) {
  const state = { failing: false };
  const guard = () => {
    if (state.failing)
      throw Object.assign(new Error('EIO: i/o error, open /srv/secret/blobs'), { code: 'EIO' });
  };
  const store: BlobStore = {
    putFile: async (key, source) => (guard(), inner.putFile(key, source)),
    put: async (key, bytes) => (guard(), inner.put(key, bytes)),
    copy: async (fromKey, toKey) => (guard(), inner.copy(fromKey, toKey)),
    open: async (key, range) => (guard(), inner.open(key, range)),
    deletePrefix: async (prefix) => (guard(), inner.deletePrefix(prefix)),
    list: (prefix) => inner.list(prefix),
  };
  return { store, state };
}

/** An app over `services` with some of its parts replaced, and /health/ready results never kept. */
const appOver = (services: HttpServices, parts: Partial<HttpServices>) =>
  buildApp({ ...services, ...parts, options: { ...services.options, readinessCacheMs: 0 } });

describe('health', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
  });
  after(() => feed.close());

  test('/health/live and /health/ready answer 200 on a working node, never cached', async () => {
    const live = await feed.get('/health/live');
    assert.equal(live.statusCode, 200);
    assert.deepEqual(live.json(), { status: 'live' });
    assert.equal(live.headers['cache-control'], 'no-store');
    const ready = await feed.get('/health/ready');
    assert.equal(ready.statusCode, 200, ready.body);
    const body = ready.json();
    assert.equal(body.status, 'ready');
    assert.equal(body.checks.database.ok, true);
    assert.equal(body.checks.storage.ok, true);
    assert.equal(ready.headers['cache-control'], 'no-store');
    assert.equal((await feed.request('HEAD', '/health/ready')).statusCode, 200);
    assert.deepEqual(await feed.filesUnder('blobs/health'), [], 'the probe blob is removed');
  });

  test('/health/ready -> 503 naming the storage while the blob store fails, 200 once it works again', async () => {
    const { store, state } = failingBlobs(feed.feed.blobs);
    const app = await appOver(feed.feed, { blobs: store });
    try {
      state.failing = true;
      const down = await app.inject({ method: 'GET', url: '/health/ready' });
      assert.equal(down.statusCode, 503);
      const body = down.json();
      assert.equal(body.status, 'unavailable');
      assert.deepEqual(body.checks.storage, { ok: false, ms: body.checks.storage.ms, error: 'EIO' });
      assert.equal(body.checks.database.ok, true);
      assert.doesNotMatch(down.body, /secret/, 'no paths or hosts in a public answer');
      assert.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
      state.failing = false;
      assert.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
    } finally {
      await app.close();
    }
  });

  test('/health/ready -> 503 when the blob directory cannot be written (a real failure, no wrapper)', async () => {
    const app = await appOver(feed.feed, {});
    const blobs = join(feed.dataDir, 'blobs');
    try {
      await rm(blobs, { recursive: true, force: true });
      await writeFile(blobs, 'not a directory');
      const down = await app.inject({ method: 'GET', url: '/health/ready' });
      assert.equal(down.statusCode, 503);
      assert.equal(down.json().checks.storage.ok, false);
    } finally {
      await rm(blobs, { force: true });
      await app.close();
    }
    assert.equal((await feed.get('/health/ready')).statusCode, 200, 'the store works again');
  });

  test('/health/ready -> 503 naming the database when it fails', async () => {
    // The feeds table's store, with the one query readiness makes failing as an unreachable server would.
    const failing: FeedStore = Object.assign(Object.create(feed.feed.feedStore) as FeedStore, {
      stampOf: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
      },
    });
    const app = await appOver(feed.feed, { feedStore: failing });
    try {
      const down = await app.inject({ method: 'GET', url: '/health/ready' });
      assert.equal(down.statusCode, 503);
      assert.deepEqual(down.json().checks.database.error, 'ECONNREFUSED');
      assert.equal(down.json().checks.storage.ok, true);
      assert.doesNotMatch(down.body, /10\.1\.2\.3/);
    } finally {
      await app.close();
    }
  });

  test('/health/ready -> 503 when the SQLite database is closed under the node', async () => {
    const other = await startFeed();
    try {
      assert.equal((await other.get('/health/ready')).statusCode, 200);
      const app = await appOver(other.feed, {});
      await other.nugget.db.destroy();
      const down = await app.inject({ method: 'GET', url: '/health/ready' });
      assert.equal(down.statusCode, 503, down.body);
      assert.equal(down.json().checks.database.ok, false);
      await app.close();
    } finally {
      await other.close().catch(() => {});
    }
  });

  test('on a private feed both answer without credentials; the feed itself still asks for them', async () => {
    const locked = await startFeed({ config: { private: true } });
    try {
      for (const url of ['/health/live', '/health/ready']) {
        for (const method of ['GET', 'HEAD']) {
          assert.equal((await locked.request(method, url)).statusCode, 200, `${method} ${url}`);
        }
      }
      assert.equal((await locked.get('/v3/index.json')).statusCode, 401);
      assert.equal(
        (await locked.get('/health/nothing')).statusCode,
        401,
        'only the two health routes are open',
      );
    } finally {
      await locked.close();
    }
  });
});

describe('metrics', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
  });
  after(() => feed.close());

  const scrape = async (target: TestFeed = feed, headers: Record<string, string> = {}) => {
    const response = await target.get('/metrics', headers);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheusText(response.body);
  };
  const requests = (families: Map<string, Family>, labels: Record<string, string>) =>
    sampleValue(families, 'nugget_http_requests_total', labels);

  test('parses as Prometheus text, with the process metrics and every nugget family', async () => {
    const families = await scrape();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nugget_http_requests_total',
      'nugget_http_request_duration_seconds',
      'nugget_pushes_total',
      'nugget_pushed_bytes_total',
      'nugget_cache_hits_total',
      'nugget_cache_misses_total',
      'nugget_sqlite_database_bytes',
    ]) {
      assert.ok(families.has(name), `no ${name} among ${[...families.keys()].join(', ')}`);
    }
    assert.equal(families.get('nugget_http_request_duration_seconds')?.type, 'histogram');
    assert.ok(sampleValue(families, 'nugget_sqlite_database_bytes') > 0);
  });

  test('requests are counted by route pattern (never the URL), method and status, with their latency', async () => {
    const route = '/v3/flatcontainer/:id/index.json';
    const before = await scrape();
    await feed.get('/v3/flatcontainer/metrics.one/index.json');
    await feed.get('/v3/flatcontainer/metrics.two/index.json');
    await feed.request('HEAD', '/v3/flatcontainer/metrics.two/index.json');
    await feed.get('/no/such/path/at/all');
    // Refused by Fastify before routing: answered in frameworkErrors, counted all the same.
    assert.equal((await feed.rawRequest('GET', '/v3/flatcontainer/%E0%A4%A/index.json')).statusCode, 400);
    const after = await scrape();
    const moved = (labels: Record<string, string>) => requests(after, labels) - requests(before, labels);
    assert.equal(moved({ route, method: 'GET', status: '404' }), 2);
    assert.equal(moved({ route, method: 'HEAD', status: '404' }), 1);
    assert.equal(moved({ route: 'unmatched', method: 'GET', status: '404' }), 1);
    assert.equal(moved({ route: 'unmatched', method: 'GET', status: '400' }), 1);
    const histogram = (name: string) =>
      sampleValue(after, name, { route, method: 'GET', status: '404' }) -
      sampleValue(before, name, { route, method: 'GET', status: '404' });
    assert.equal(histogram('nugget_http_request_duration_seconds_count'), 2);
    assert.ok(histogram('nugget_http_request_duration_seconds_sum') > 0);
    const routes = new Set(
      after.get('nugget_http_requests_total')?.samples.map((sample) => sample.labels['route']),
    );
    assert.ok(
      [...routes].every((label) => label === 'unmatched' || label?.startsWith('/')),
      [...routes].join(' '),
    );
    assert.ok(![...routes].some((label) => label?.includes('metrics.one')), 'a URL became a label');
  });

  test('answers of the raw-HTTP fast path are counted too, as front cache hits', async () => {
    await feed.publish({ id: 'Metrics.Fast', version: '1.0.0' });
    const route = '/v3/flatcontainer/:id/index.json';
    const url = '/v3/flatcontainer/metrics.fast/index.json';
    const before = await scrape();
    for (let i = 0; i < 5; i++) assert.equal((await feed.rawRequest('GET', url)).statusCode, 200);
    const after = await scrape();
    assert.equal(
      requests(after, { route, method: 'GET', status: '200' }) -
        requests(before, { route, method: 'GET', status: '200' }),
      5,
    );
    const hits = (families: Map<string, Family>) =>
      sampleValue(families, 'nugget_cache_hits_total', { cache: 'front' });
    assert.ok(hits(after) - hits(before) >= 4, `front hits ${hits(before)} -> ${hits(after)}`);
    assert.ok(
      sampleValue(after, 'nugget_cache_misses_total', { cache: 'responses' }) >
        sampleValue(before, 'nugget_cache_misses_total', { cache: 'responses' }),
    );
  });

  test('pushes are counted by outcome, and the bytes of those stored', async () => {
    const before = await scrape();
    const nupkg = await buildNupkg({ id: 'Metrics.Pushed', version: '1.0.0' });
    assert.equal((await feed.push(nupkg)).statusCode, 201);
    assert.equal((await feed.push(nupkg)).statusCode, 409);
    assert.equal((await feed.push(nupkg, { key: null })).statusCode, 401);
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string>) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    assert.equal(moved('nugget_pushes_total', { kind: 'package', outcome: 'created' }), 1);
    assert.equal(moved('nugget_pushes_total', { kind: 'package' }), 3);
    assert.equal(moved('nugget_pushed_bytes_total', { kind: 'package' }), nupkg.length);
    const conflict = after
      .get('nugget_pushes_total')
      ?.samples.find((s) => s.labels['outcome'] !== 'created' && s.labels['outcome']?.includes('exist'));
    assert.ok(conflict, 'the 409 is counted under its error code');
  });

  test('--metrics-token: only `Authorization: Bearer <token>` reads /metrics, on public and private feeds', async () => {
    const token = 'metrics-token-0123456789abcdef';
    for (const privateFeed of [false, true]) {
      const guarded = await startFeed({ config: { metricsToken: token, private: privateFeed } });
      try {
        const missing = await guarded.get('/metrics');
        assertClientError(missing, 401);
        assert.equal(missing.headers['www-authenticate'], 'Bearer realm="nugget metrics"');
        assertClientError(await guarded.get('/metrics', { authorization: 'Bearer wrong-token' }), 401);
        assertClientError(await guarded.get('/metrics', basic(guarded.apiKey ?? '')), 401);
        await scrape(guarded, { authorization: `Bearer ${token}` });
      } finally {
        await guarded.close();
      }
    }
  });

  test('without a token, /metrics is as open as the server: with --private it asks for read credentials', async () => {
    const locked = await startFeed({ config: { private: true } });
    try {
      assert.equal((await locked.get('/metrics')).statusCode, 401);
      const cli = { actor: 'cli', source: 'cli' };
      const { key } = await createApiKey(locked.feed, cli, {
        name: 'prometheus',
        scopes: ['read'],
        packages: ['*'],
      });
      await scrape(locked, basic(key));
    } finally {
      await locked.close();
    }
  });

  test('named feeds are counted by route pattern on both paths, never by feed name; their pushes too', async () => {
    const admin = { 'x-nuget-apikey': feed.apiKey ?? '' };
    const created = await feed.request('PUT', '/admin/feeds/metrics-team', {
      headers: { ...admin, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(created.statusCode, 201, created.body);
    const route = '/feeds/:feed/v3/flatcontainer/:id/index.json';
    const url = '/feeds/metrics-team/v3/flatcontainer/metrics.team/index.json';
    const before = await scrape();
    const nupkg = await buildNupkg({ id: 'Metrics.Team', version: '1.0.0' });
    assert.equal((await feed.push(nupkg, { feed: 'metrics-team' })).statusCode, 201);
    // Fastify answers the first, the raw-HTTP fast path the others.
    for (let i = 0; i < 4; i++) assert.equal((await feed.rawRequest('GET', url)).statusCode, 200);
    assert.equal((await feed.get('/feeds/metrics-team/v3/flatcontainer/no.such/index.json')).statusCode, 404);
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string>) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    assert.equal(moved('nugget_http_requests_total', { route, method: 'GET', status: '200' }), 4);
    assert.equal(moved('nugget_http_requests_total', { route, method: 'GET', status: '404' }), 1);
    assert.ok(moved('nugget_cache_hits_total', { cache: 'front' }) >= 3, 'the fast path answered');
    assert.equal(moved('nugget_pushes_total', { kind: 'package', outcome: 'created' }), 1);
    assert.equal(moved('nugget_pushed_bytes_total', { kind: 'package' }), nupkg.length);
    const routes = after.get('nugget_http_requests_total')?.samples.map((sample) => sample.labels['route']);
    assert.ok(!routes?.some((label) => label?.includes('metrics-team')), 'a feed name became a label');
  });

  test('with --private and no token, any key with the read scope reads /metrics, on any one feed', async () => {
    const locked = await startFeed({ config: { private: true } });
    try {
      const cli = { actor: 'cli', source: 'cli' };
      const reader = await createApiKey(locked.services, cli, {
        name: 'one-feed-reader',
        scopes: ['read'],
        packages: ['*'],
        feeds: ['default'],
      });
      await scrape(locked, basic(reader.key));
      await scrape(locked, { 'x-nuget-apikey': reader.key });
      const pusher = await createApiKey(locked.services, cli, {
        name: 'pusher',
        scopes: ['push'],
        packages: ['*'],
      });
      const refused = assertClientError(await locked.get('/metrics', basic(pusher.key)), 403);
      assert.match(refused.message, /read scope/);
      const wrong = await locked.get('/metrics', basic('ngt_not-a-key'));
      assert.equal(wrong.statusCode, 401);
      assert.match(String(wrong.headers['www-authenticate']), /^Basic /);
    } finally {
      await locked.close();
    }
    // A feed made private on a server without --private leaves /metrics as it was.
    const admin = { 'x-nuget-apikey': feed.apiKey ?? '' };
    const created = await feed.request('PUT', '/admin/feeds/metrics-private', {
      headers: { ...admin, 'content-type': 'application/json' },
      body: '{"private":true}',
    });
    assert.equal(created.statusCode, 201, created.body);
    await scrape();
  });

  test('a too short --metrics-token is refused at start', async () => {
    await assert.rejects(startFeed({ config: { metricsToken: 'short' } }), /at least 16/);
  });
});
