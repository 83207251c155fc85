// Upstream and virtual feeds (docs/upstreams.md): a second in-process nugget plays the upstream behind a small
// HTTP server the test controls (test/support/upstream-proxy.ts). Covers: URLs (nothing in any document points at
// the upstream), caching on first download with provenance and one upstream request for concurrent first
// downloads, internal id wins, search merge, failure semantics (stale answers marked, cached packages keep working,
// uncached ones are a fast 404, the breaker stops asking a dead upstream), hostile upstream answers, and the
// refusal of writes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { SqlFetchLeaseStore } from '../../src/storage/sql/sql-fetch-lease-store.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { startUpstreamProxy, type UpstreamProxy } from '../support/upstream-proxy.ts';
import {
  type FeedSettings,
  type JsonObject,
  parseJson,
  startFeed,
  type TestFeed,
  urlValues,
} from './feed-fixture.ts';

type Headers = Record<string, string>;
const json = { 'content-type': 'application/json' };
const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/** The suite, on the storage `settings` give the server with the upstream and virtual feeds (SQLite by default). */
export function upstreamFeedsSuite(
  name: string,
  settings: () => Promise<FeedSettings> = async () => ({}),
): void {
  describe(`upstream and virtual feeds (${name})`, () => {
    let upstream: TestFeed;
    let proxy: UpstreamProxy;
    let server: TestFeed;
    let admin: Headers;
    const upstreamBytes = new Map<string, Buffer>();

    const adminRequest = (method: string, url: string, body?: unknown) =>
      server.request(method, url, {
        headers: { ...admin, ...(body === undefined ? {} : json) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const nupkgRequests = (lowerId: string) =>
      proxy.seen.filter((p) => p.endsWith('.nupkg') && p.includes(`/${lowerId}/`));

    before(async () => {
      upstream = await startFeed();
      const packages = [
        {
          id: 'Up.Lib',
          version: '1.0.0',
          dependencyGroups: [
            { targetFramework: 'net8.0', dependencies: [{ id: 'Up.Dep', range: '[1.0.0, )' }] },
          ],
        },
        {
          id: 'Up.Lib',
          version: '2.0.0',
          licenseExpression: 'MIT',
          readme: { path: 'README.md', content: '# Up.Lib' },
          icon: { path: 'icon.png', bytes: png },
          dependencyGroups: [
            { targetFramework: 'net8.0', dependencies: [{ id: 'Up.Dep', range: '[1.0.0, )' }] },
          ],
        },
        { id: 'Up.Dep', version: '1.0.0' },
        { id: 'Up.Concurrent', version: '1.0.0' },
        { id: 'Up.Later', version: '1.0.0' },
        { id: 'Contoso.Core', version: '99.0.0', description: 'a public package squatting a private name' },
        // More than 128 versions: the upstream keeps its registration pages outside the index.
        ...Array.from({ length: 130 }, (_, i) => ({ id: 'Up.Many', version: `1.0.${i}` })),
      ];
      for (const spec of packages) {
        const bytes = await buildNupkg(spec);
        upstreamBytes.set(`${spec.id.toLowerCase()}/${spec.version}`, bytes);
        assert.equal((await upstream.push(bytes)).statusCode, 201);
      }
      const deprecated = await upstream.request('PUT', '/v3/admin/deprecations/Up.Lib/1.0.0', {
        headers: { 'x-nuget-apikey': upstream.apiKey ?? '', ...json },
        body: JSON.stringify({ reasons: ['Legacy'], message: 'Use 2.0.0.' }),
      });
      assert.equal(deprecated.statusCode, 204, deprecated.body);
      const advisories = await upstream.request('PUT', '/v3/admin/vulnerabilities', {
        headers: { 'x-nuget-apikey': upstream.apiKey ?? '', ...json },
        body: JSON.stringify([
          {
            packageId: 'Up.Lib',
            url: 'https://github.com/advisories/GHSA-up',
            severity: 'high',
            versions: '[1.0.0]',
          },
        ]),
      });
      assert.equal(advisories.statusCode, 200, advisories.body);
      proxy = await startUpstreamProxy(upstream.app);

      server = await startFeed(await settings());
      admin = { 'x-nuget-apikey': server.apiKey ?? '' };
      for (const [name, body] of [
        ['internal', {}],
        [
          'up',
          {
            kind: 'upstream',
            source: proxy.serviceIndex,
            metadataTtl: '1h',
            breakerFailures: 2,
            breakerCooldown: '1h',
            deny: ['Denied.*'],
          },
        ],
        ['company', { kind: 'virtual', members: ['internal', 'up'] }],
        ['cool', { kind: 'virtual', members: ['up'], cooldown: '1d' }],
      ] as const) {
        const created = await adminRequest('PUT', `/admin/feeds/${name}`, body);
        assert.equal(created.statusCode, 201, created.body);
      }
      const own = await buildNupkg({ id: 'Contoso.Core', version: '1.0.0' });
      assert.equal((await server.push(own, { feed: 'internal' })).statusCode, 201);
    });
    after(async () => {
      await server?.close();
      await proxy?.close();
      await upstream?.close();
    });

    test('the admin API shows the kinds and refuses settings of another kind and a changed kind', async () => {
      const shown = parseJson(await adminRequest('GET', '/admin/feeds/up'));
      assert.equal(shown['kind'], 'upstream');
      assert.equal(shown['upstream']['source'], proxy.serviceIndex);
      assert.equal(shown['upstream']['metadataTtl'], 3_600_000);
      assert.deepEqual(parseJson(await adminRequest('GET', '/admin/feeds/company'))['virtual']['members'], [
        'internal',
        'up',
      ]);
      assert.equal(parseJson(await adminRequest('GET', '/admin/feeds/internal'))['kind'], 'hosted');
      for (const [url, body] of [
        ['/admin/feeds/internal', { cooldown: '3d' }],
        ['/admin/feeds/company', { kind: 'hosted' }],
        ['/admin/feeds/company', { members: ['company'] }],
        ['/admin/feeds/company', { members: ['nope'] }],
        ['/admin/feeds/up', { members: ['internal'] }],
      ] as const) {
        const refused = await adminRequest('PATCH', url, body);
        assert.equal(refused.statusCode, 400, `${url} ${JSON.stringify(body)}: ${refused.body}`);
      }
      const noSource = await adminRequest('PUT', '/admin/feeds/nosource', { kind: 'upstream' });
      assert.equal(noSource.statusCode, 400);
      const withPassword = await adminRequest('PUT', '/admin/feeds/leaky', {
        kind: 'upstream',
        source: 'https://user:secret@example.com/v3/index.json',
      });
      assert.equal(withPassword.statusCode, 400);
      const member = await adminRequest('DELETE', '/admin/feeds/up?force=true');
      assert.equal(member.statusCode, 409, member.body);
    });

    test('writes to upstream and virtual feeds are refused with 403 feed_read_only', async () => {
      const bytes = await buildNupkg({ id: 'Pushed.Here', version: '1.0.0' });
      for (const feed of ['company', 'up']) {
        const pushed = await server.push(bytes, { feed });
        assert.equal(pushed.statusCode, 403, pushed.body);
        assert.equal(parseJson(pushed)['error']['code'], 'feed_read_only');
        const deleted = await server.request('DELETE', `/feeds/${feed}/v3/package/Up.Lib/2.0.0`, {
          headers: admin,
        });
        assert.equal(deleted.statusCode, 403);
      }
    });

    test("the service index has no push, symbols or catalog, and every URL is nugget's", async () => {
      for (const feed of ['company', 'up']) {
        const index = await server.json(`/feeds/${feed}/v3/index.json`);
        const types = (index['resources'] as JsonObject[]).map((r) => r['@type']);
        assert.ok(!types.includes('PackagePublish/2.0.0'));
        assert.ok(!types.includes('Catalog/3.0.0'));
        assert.ok(!types.includes('SymbolPackagePublish/4.9.0'));
        assert.ok(types.includes('RegistrationsBaseUrl/3.6.0'));
      }
    });

    test('version lists, registrations and downloads come through, with the upstream metadata kept exactly', async () => {
      const versions = await server.json('/feeds/company/v3/flatcontainer/up.lib/index.json');
      assert.deepEqual(versions['versions'], ['1.0.0', '2.0.0']);
      const mine = await server.json('/feeds/company/v3/registration-gz-semver2/up.lib/index.json');
      const theirs = await upstream.json(`/v3/registration-gz-semver2/up.lib/index.json`, {
        host: new URL(proxy.origin).host,
      });
      const entries = (doc: JsonObject) =>
        (doc['items'][0]['items'] as JsonObject[]).map((leaf) => leaf['catalogEntry']);
      const kept = [
        'published',
        'listed',
        'deprecation',
        'vulnerabilities',
        'licenseExpression',
        'licenseUrl',
        'version',
        'id',
        'description',
        'authors',
        'tags',
      ];
      for (const [index, entry] of entries(mine).entries()) {
        const upstreamEntry = entries(theirs)[index];
        for (const field of kept) assert.deepEqual(entry[field], upstreamEntry[field], field);
        assert.deepEqual(
          entry['dependencyGroups']?.map((g: JsonObject) => [
            g['targetFramework'],
            g['dependencies'].map((d: JsonObject) => [d['id'], d['range']]),
          ]),
          upstreamEntry['dependencyGroups']?.map((g: JsonObject) => [
            g['targetFramework'],
            g['dependencies'].map((d: JsonObject) => [d['id'], d['range']]),
          ]),
        );
      }
      assert.equal(entries(mine)[0]['deprecation']['message'], 'Use 2.0.0.');
      assert.equal(
        entries(mine)[0]['vulnerabilities'][0]['advisoryUrl'],
        'https://github.com/advisories/GHSA-up',
      );

      const nupkg = await server.get('/feeds/company/v3/flatcontainer/up.lib/2.0.0/up.lib.2.0.0.nupkg');
      assert.equal(nupkg.statusCode, 200);
      assert.ok(nupkg.rawPayload.equals(upstreamBytes.get('up.lib/2.0.0')!));
      const icon = await server.get('/feeds/company/v3/flatcontainer/up.lib/2.0.0/icon');
      assert.equal(icon.statusCode, 200);
      assert.ok(icon.rawPayload.equals(png));
      assert.equal(
        (await server.get('/feeds/company/v3/flatcontainer/up.lib/2.0.0/readme')).body,
        '# Up.Lib',
      );
    });

    test('a cached package has its provenance in its registration leaf and an ingest-upstream audit entry', async () => {
      assert.equal(
        (await server.get('/feeds/up/v3/flatcontainer/up.dep/1.0.0/up.dep.1.0.0.nupkg')).statusCode,
        200,
      );
      const leaf = await server.json('/feeds/company/v3/registration-gz-semver2/up.dep/1.0.0.json');
      assert.equal(leaf['nuggetProvenance']['upstream'], 'up');
      assert.ok(Date.parse(leaf['nuggetProvenance']['cachedAt']) > Date.now() - 600_000);
      assert.equal(leaf['nuggetProvenance']['source'], undefined, 'no document names the upstream');
      const audit = parseJson(await adminRequest('GET', '/admin/audit?since=1h&limit=100'));
      const ingested = (audit['entries'] as JsonObject[]).filter(
        (e) => e['action'] === 'ingest-upstream' && e['packageId'] === 'Up.Dep',
      );
      assert.equal(ingested.length, 1);
      assert.equal(ingested[0]?.['feed'], 'up');
      const sha = createHash('sha512').update(upstreamBytes.get('up.dep/1.0.0')!).digest('base64');
      assert.equal(ingested[0]?.['detail']['sha512'], sha);
    });

    test('concurrent first downloads of one package make one upstream request', async () => {
      const answers = await Promise.all(
        Array.from({ length: 25 }, () =>
          server.get('/feeds/company/v3/flatcontainer/up.concurrent/1.0.0/up.concurrent.1.0.0.nupkg'),
        ),
      );
      for (const answer of answers) assert.equal(answer.statusCode, 200);
      assert.equal(nupkgRequests('up.concurrent').length, 1);
    });

    test('internal id wins: the hosted Contoso.Core hides the upstream one everywhere', async () => {
      const versions = await server.json('/feeds/company/v3/flatcontainer/contoso.core/index.json');
      assert.deepEqual(versions['versions'], ['1.0.0']);
      const hijack = await server.get(
        '/feeds/company/v3/flatcontainer/contoso.core/99.0.0/contoso.core.99.0.0.nupkg',
      );
      assert.equal(hijack.statusCode, 404);
      const search = await server.json('/feeds/company/v3/search?q=contoso');
      assert.deepEqual(
        (search['data'] as JsonObject[]).map((d) => [d['id'], d['version']]),
        [['Contoso.Core', '1.0.0']],
      );
      // The upstream on its own still has it: the rule is the virtual feed's.
      assert.deepEqual(
        (await server.json('/feeds/up/v3/flatcontainer/contoso.core/index.json'))['versions'],
        ['99.0.0'],
      );
    });

    test('an upstream allowed for a pattern offers the id beside the hosted member', async () => {
      const changed = await adminRequest('PATCH', '/admin/feeds/company', {
        upstreamAllowed: ['up:Contoso.*'],
      });
      assert.equal(changed.statusCode, 200, changed.body);
      try {
        const versions = await server.json('/feeds/company/v3/flatcontainer/contoso.core/index.json');
        assert.deepEqual(versions['versions'], ['1.0.0', '99.0.0']);
      } finally {
        assert.equal(
          (await adminRequest('PATCH', '/admin/feeds/company', { upstreamAllowed: null })).statusCode,
          200,
        );
      }
    });

    test('search merges hosted results first, then the upstream, with totalHits and paging', async () => {
      const all = await server.json('/feeds/company/v3/search?take=100');
      const ids = (all['data'] as JsonObject[]).map((d) => d['id']);
      assert.equal(ids[0], 'Contoso.Core');
      assert.deepEqual([...ids].slice(1).sort(), [
        'Up.Concurrent',
        'Up.Dep',
        'Up.Later',
        'Up.Lib',
        'Up.Many',
      ]);
      assert.equal(all['totalHits'], 6);
      const page = await server.json('/feeds/company/v3/search?skip=1&take=2');
      assert.deepEqual(
        (page['data'] as JsonObject[]).map((d) => d['id']),
        ids.slice(1, 3),
      );
      const auto = await server.json('/feeds/company/v3/autocomplete?q=up&take=100');
      assert.deepEqual([...auto['data']].sort(), [
        'Up.Concurrent',
        'Up.Dep',
        'Up.Later',
        'Up.Lib',
        'Up.Many',
      ]);
    });

    test('denied ids are never asked of the upstream', async () => {
      const before = proxy.seen.length;
      assert.equal(
        (await server.get('/feeds/company/v3/flatcontainer/denied.thing/index.json')).statusCode,
        404,
      );
      assert.equal(proxy.seen.length, before);
    });

    test('no document of the virtual or upstream feed names the upstream', async () => {
      const upstreamHost = new URL(proxy.origin).host;
      const seen = new Set<string>();
      const queue = ['/feeds/company/v3/index.json', '/feeds/up/v3/index.json'];
      const ids = ['up.lib', 'up.dep', 'contoso.core'];
      for (const feed of ['company', 'up']) {
        queue.push(`/feeds/${feed}/v3/search?q=up`, `/feeds/${feed}/v3/autocomplete?q=up`);
        for (const id of ids) {
          queue.push(`/feeds/${feed}/v3/flatcontainer/${id}/index.json`);
          for (const hive of [
            'registration5-semver1',
            'registration5-gz-semver1',
            'registration-gz-semver2',
          ]) {
            queue.push(`/feeds/${feed}/v3/${hive}/${id}/index.json`);
          }
        }
      }
      while (queue.length > 0) {
        const url = queue.shift()!;
        if (seen.has(url)) continue;
        seen.add(url);
        const answer = await server.get(url);
        if (answer.statusCode !== 200 || !/json/.test(String(answer.headers['content-type']))) continue;
        const body =
          answer.headers['content-encoding'] === 'gzip' ? gunzipSync(answer.rawPayload) : answer.rawPayload;
        for (const { at, value } of urlValues(JSON.parse(body.toString('utf8')))) {
          assert.ok(!value.includes(upstreamHost), `${url} ${at} names the upstream: ${value}`);
          const parsed = new URL(value);
          if (parsed.origin === 'http://localhost:80' && parsed.pathname.endsWith('.json'))
            queue.push(parsed.pathname + parsed.search);
        }
      }
      assert.ok(seen.size > 20, `crawled ${seen.size} documents`);
    });

    test('a hostile upstream (wrong id in the nupkg, broken JSON) gives clean 404s, never a 5xx', async () => {
      const wrong = await buildNupkg({ id: 'Some.Other', version: '1.0.0' });
      proxy.hostile = (req, res) => {
        if (req.url?.endsWith('up.later.1.0.0.nupkg')) {
          res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(wrong);
          return true;
        }
        if (req.url?.includes('/hostile.json/')) {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"items": [ {"@id": ');
          return true;
        }
        return false;
      };
      try {
        const got = await server.get('/feeds/company/v3/flatcontainer/up.later/1.0.0/up.later.1.0.0.nupkg');
        assert.equal(got.statusCode, 404, got.body);
        assert.equal(
          await server.nugget.feeds.storesOf('up').stores.packages.findVersion('some.other', '1.0.0'),
          undefined,
        );
        assert.equal(
          await server.nugget.feeds.storesOf('up').stores.packages.findVersion('up.later', '1.0.0'),
          undefined,
        );
        const broken = await server.get('/feeds/company/v3/flatcontainer/hostile.json/index.json');
        assert.equal(broken.statusCode, 404, broken.body);
      } finally {
        proxy.hostile = undefined;
      }
    });

    test("ids with more than 128 versions: the upstream's outside pages are read, nugget serves its own pages", async () => {
      const versions = await server.json('/feeds/company/v3/flatcontainer/up.many/index.json');
      assert.equal(versions['versions'].length, 130);
      assert.ok(
        proxy.seen.some((p) => /\/up\.many\/page\//.test(p)),
        'the upstream pages were fetched',
      );
      const index = await server.json('/feeds/company/v3/registration-gz-semver2/up.many/index.json');
      assert.equal(index['count'], 3);
      let leaves = 0;
      for (const page of index['items'] as JsonObject[]) {
        assert.equal(page['items'], undefined, 'pages are not inline above 128 versions');
        assert.ok(String(page['@id']).startsWith('http://localhost:80/feeds/company/v3/'), page['@id']);
        const fetched = await server.json(new URL(page['@id']).pathname);
        leaves += fetched['items'].length;
      }
      assert.equal(leaves, 130);
    });

    test("cooldown: upstream versions younger than it are not offered, by the upstream's published date", async () => {
      const versions = await server.get('/feeds/cool/v3/flatcontainer/up.dep/index.json');
      assert.equal(versions.statusCode, 404, 'every version was published moments ago');
      const download = await server.get('/feeds/cool/v3/flatcontainer/up.dep/1.0.0/up.dep.1.0.0.nupkg');
      assert.equal(download.statusCode, 404);
      const patched = await adminRequest('PATCH', '/admin/feeds/cool', { cooldown: '0' });
      assert.equal(patched.statusCode, 200);
      const after = await server.json('/feeds/cool/v3/flatcontainer/up.dep/index.json');
      assert.deepEqual(after['versions'], ['1.0.0']);
    });

    test('a slow or trickling upstream is cut off at metadataTimeout: a 404 marked stale, not a 5xx', async () => {
      const slow = await startUpstreamProxy(upstream.app);
      try {
        const created = await adminRequest('PUT', '/admin/feeds/slow', {
          kind: 'upstream',
          source: slow.serviceIndex,
          metadataTimeout: '300ms',
          breakerFailures: 100,
        });
        assert.equal(created.statusCode, 201, created.body);
        slow.mode = 'hang';
        const hung = await server.get('/feeds/slow/v3/flatcontainer/up.lib/index.json');
        assert.equal(hung.statusCode, 404);
        assert.equal(hung.headers['x-nugget-stale'], 'slow');
        slow.mode = 'up';
        const timers: NodeJS.Timeout[] = [];
        slow.hostile = (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"resources": [');
          timers.push(setInterval(() => res.write(' '), 50));
          return true;
        };
        try {
          const trickled = await server.get('/feeds/slow/v3/flatcontainer/up.dep/index.json');
          assert.equal(trickled.statusCode, 404);
        } finally {
          for (const timer of timers) clearInterval(timer);
        }
      } finally {
        await slow.close();
      }
    });

    test('a virtual feed with a private member is private: anonymous reads get 401', async () => {
      assert.equal(
        (await server.get('/feeds/company/v3/flatcontainer/contoso.core/index.json')).statusCode,
        200,
      );
      assert.equal((await adminRequest('PATCH', '/admin/feeds/internal', { private: true })).statusCode, 200);
      try {
        const anonymous = await server.get('/feeds/company/v3/flatcontainer/contoso.core/index.json');
        assert.equal(anonymous.statusCode, 401);
        assert.match(String(anonymous.headers['www-authenticate']), /Basic realm="nugget feed company"/);
        const withKey = await server.get('/feeds/company/v3/flatcontainer/contoso.core/index.json', admin);
        assert.equal(withKey.statusCode, 200);
      } finally {
        assert.equal(
          (await adminRequest('PATCH', '/admin/feeds/internal', { private: null })).statusCode,
          200,
        );
      }
    });

    test('with the upstream down: cached packages keep working, stale answers are marked, uncached ones are 404s, the breaker stops asking', async () => {
      proxy.mode = 'down';
      try {
        // Cached before: up.lib 2.0.0, up.dep 1.0.0. The registrations are fresh (TTL 1 h) until the breaker opens.
        for (let i = 0; i < 2; i++) {
          const never = await server.get(`/feeds/company/v3/flatcontainer/never.cached${i}/index.json`);
          assert.equal(never.statusCode, 404, never.body);
          assert.equal(never.headers['x-nugget-stale'], 'up');
        }
        const asked = proxy.seen.length;
        const list = await server.get('/feeds/company/v3/flatcontainer/up.lib/index.json?after-outage');
        assert.equal(list.statusCode, 200);
        assert.deepEqual(JSON.parse(list.body)['versions'], ['2.0.0'], 'only what can be downloaded now');
        assert.equal(list.headers['x-nugget-stale'], 'up');
        const cached = await server.get('/feeds/company/v3/flatcontainer/up.lib/2.0.0/up.lib.2.0.0.nupkg');
        assert.equal(cached.statusCode, 200);
        const uncached = await server.get('/feeds/company/v3/flatcontainer/up.lib/1.0.0/up.lib.1.0.0.nupkg');
        assert.equal(uncached.statusCode, 404);
        const neverCached = await server.get('/feeds/company/v3/flatcontainer/never.seen/index.json');
        assert.equal(neverCached.statusCode, 404);
        const registration = await server.get('/feeds/company/v3/registration-gz-semver2/up.dep/index.json');
        assert.equal(registration.statusCode, 200);
        const search = await server.json('/feeds/company/v3/search?q=up&take=50');
        assert.deepEqual((search['data'] as JsonObject[]).map((d) => d['id']).sort(), [
          'Up.Concurrent',
          'Up.Dep',
          'Up.Lib',
        ]);
        assert.equal(proxy.seen.length, asked, 'the open breaker kept every request away from the upstream');
        const status = server.services.upstreams?.() ?? [];
        assert.equal(status.find((s) => s.feed === 'up')?.breaker, 'open');
        const report = parseJson(await adminRequest('GET', '/admin/upstreams'))['upstreams'] as JsonObject[];
        const up = report.find((r) => r['feed'] === 'up');
        assert.equal(up?.['breaker'], 'open');
        assert.ok(up?.['cachedPackages'] >= 3, JSON.stringify(up));
        assert.match(up?.['lastError']['message'], /503/);
        const metrics = await server.get('/metrics');
        assert.match(metrics.body, /nugget_upstream_breaker_state\{upstream="up"\} 2/);
        assert.match(
          metrics.body,
          /nugget_upstream_requests_total\{upstream="up",kind="metadata",outcome="stale"\} [1-9]/,
        );
      } finally {
        proxy.mode = 'up';
      }
    });
  });

  // Two nuggets on one database and one blob store: two worker processes, or two nodes (docs/upstreams.md,
  // "Single flight"). Each has its own in-process map of downloads under way; only the lease is shared.
  describe(`single flight of first downloads across processes (${name})`, () => {
    let upstream: TestFeed;
    let proxy: UpstreamProxy;
    let first: TestFeed;
    let second: TestFeed;
    const bytes = new Map<string, Buffer>();
    const nupkgUrl = (lowerId: string) =>
      `/feeds/up/v3/flatcontainer/${lowerId}/1.0.0/${lowerId}.1.0.0.nupkg`;
    const nupkgRequests = (lowerId: string) =>
      proxy.seen.filter((p) => p.endsWith('.nupkg') && p.includes(`/${lowerId}/`));
    const leases = () => new SqlFetchLeaseStore(first.nugget.db, 'up');

    before(async () => {
      upstream = await startFeed();
      for (const id of ['Up.Flight', 'Up.Orphan', 'Up.GivenBack']) {
        const nupkg = await buildNupkg({ id, version: '1.0.0' });
        bytes.set(id.toLowerCase(), nupkg);
        assert.equal((await upstream.push(nupkg)).statusCode, 201);
      }
      proxy = await startUpstreamProxy(upstream.app);
      const shared = await settings();
      first = await startFeed(shared);
      const created = await first.request('PUT', '/admin/feeds/up', {
        headers: { 'x-nuget-apikey': first.apiKey ?? '', ...json },
        body: JSON.stringify({ kind: 'upstream', source: proxy.serviceIndex, packageTimeout: '60s' }),
      });
      assert.equal(created.statusCode, 201, created.body);
      second = await startFeed({ ...shared, config: { ...shared.config, dataDir: first.dataDir } });
    });
    after(async () => {
      await second?.close();
      await first?.close();
      await proxy?.close();
      await upstream?.close();
    });

    test('many concurrent first downloads at two processes make one upstream request, every answer the package', async () => {
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? first : second).get(nupkgUrl('up.flight'))),
      );
      for (const answer of answers) {
        assert.equal(answer.statusCode, 200, answer.body);
        assert.deepEqual(answer.rawPayload, bytes.get('up.flight'));
      }
      assert.equal(nupkgRequests('up.flight').length, 1, 'one upstream request for the nupkg');
      assert.equal(await leases().state('up.flight', '1.0.0', Date.now()), 'none', 'the lease is given back');
    });

    test('the expired lease of a process that died is taken over', async () => {
      // A process took the lease and died before it stored the package: its lease ran out long ago.
      assert.equal(await leases().take('up.orphan', '1.0.0', 'dead-process', 0, 1), true);
      const answer = await second.get(nupkgUrl('up.orphan'));
      assert.equal(answer.statusCode, 200, answer.body);
      assert.deepEqual(answer.rawPayload, bytes.get('up.orphan'));
      assert.equal(nupkgRequests('up.orphan').length, 1);
      assert.equal(await leases().state('up.orphan', '1.0.0', Date.now()), 'none');
    });

    test('a lease given back without the package (the upstream failed) answers the waiters a 404 at once', async () => {
      const far = Date.now() + 3_600_000;
      assert.equal(await leases().take('up.givenback', '1.0.0', 'other-process', Date.now(), far), true);
      const waiting = first.get(nupkgUrl('up.givenback'));
      // The waiter polls while the other process holds the lease; it asks the upstream nothing.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await leases().release('up.givenback', '1.0.0', 'other-process');
      // At once: well before the package timeout (60 s), which a waiter that missed the give-back would wait out.
      const late = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 30_000).unref());
      const answer = await Promise.race([waiting, late]);
      assert.notEqual(answer, 'late', 'the waiter answered once the lease was given back');
      assert.equal(answer !== 'late' && answer.statusCode, 404);
      assert.equal(nupkgRequests('up.givenback').length, 0, 'the waiter did not ask the upstream itself');
      // The next download fetches it.
      assert.equal((await second.get(nupkgUrl('up.givenback'))).statusCode, 200);
      assert.equal(nupkgRequests('up.givenback').length, 1);
    });
  });
}
