// The read caches never answer with something older than the database: two nodes share one database and one blob
// store (here: two composed feeds on one data directory, and on SQLite or one PostgreSQL database), each read
// through one node after a write through the other sees the write at once. Issue 6: "no stale version lists or
// registrations from a cache on another node". Run for SQLite by cache-consistency.test.ts, for PostgreSQL by
// test/storage/postgres-cache-consistency.test.ts.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { composeNugget, type Nugget } from '../../src/compose.ts';
import { configSchema } from '../../src/config/config.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { type JsonObject, multipartBody } from './feed-fixture.ts';

const apiKey = 'cache-test-key';

/** `database`: a PostgreSQL URL (an empty database) for both nodes; undefined: SQLite in the data directory. */
export function cacheConsistencySuite(name: string, database: () => Promise<string | undefined>): void {
  describe(`read caches across nodes: ${name}`, () => {
    let dataDir: string;
    let reader: Nugget;
    let writer: Nugget;

    let readerUrl: string;
    // Reads go over a real socket: the first answer comes from Fastify, repeats from the raw-HTTP fast path
    // (src/http/front-cache.ts), and both must follow every write at once.
    const get = async (url: string): Promise<{ status: number; body: JsonObject }> => {
      const response = await fetch(new URL(url, readerUrl), { headers: { 'accept-encoding': 'identity' } });
      const json = String(response.headers.get('content-type')).startsWith('application/json');
      if (response.status === 200 && json)
        return { status: response.status, body: (await response.json()) as JsonObject };
      await response.arrayBuffer();
      return { status: response.status, body: {} };
    };
    const push = async (id: string, version: string) => {
      const boundary = 'c0ffee';
      const response = await writer.app.inject({
        method: 'PUT',
        url: '/v3/package',
        headers: { 'x-nuget-apikey': apiKey, 'content-type': `multipart/form-data; boundary="${boundary}"` },
        payload: multipartBody(await buildNupkg({ id, version, description: `${id} cached` }), boundary),
      });
      assert.equal(response.statusCode, 201, response.body);
    };
    const write = (method: 'DELETE' | 'POST', id: string, version: string) =>
      writer.app.inject({
        method,
        url: `/v3/package/${id}/${version}`,
        headers: { 'x-nuget-apikey': apiKey },
      });

    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'nugget-cache-'));
      const config = configSchema.parse({ dataDir, apiKey, logLevel: 'silent', database: await database() });
      reader = await composeNugget(config, { downloadFlushMs: 0 });
      writer = await composeNugget(config, { downloadFlushMs: 0 });
      readerUrl = await reader.app.listen({ host: '127.0.0.1', port: 0 });
    });
    after(async () => {
      await reader.close();
      await writer.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    test('a 404 cached on one node turns into the pushed package on the next read', async () => {
      assert.equal((await get('/v3/flatcontainer/cached.pkg/index.json')).status, 404);
      assert.equal((await get('/v3/registration-gz-semver2/cached.pkg/index.json')).status, 404);
      assert.equal((await get('/v3/flatcontainer/cached.pkg/1.0.0/cached.pkg.1.0.0.nupkg')).status, 404);
      await push('Cached.Pkg', '1.0.0');
      assert.deepEqual((await get('/v3/flatcontainer/cached.pkg/index.json')).body, { versions: ['1.0.0'] });
      assert.equal((await get('/v3/registration-gz-semver2/cached.pkg/index.json')).status, 200);
      assert.equal((await get('/v3/flatcontainer/cached.pkg/1.0.0/cached.pkg.1.0.0.nupkg')).status, 200);
    });

    test('a second version shows in every cached document at once', async () => {
      // Warm every cache on the reader first.
      await get('/v3/flatcontainer/cached.pkg/index.json');
      await get('/v3/registration-gz-semver2/cached.pkg/index.json');
      await get('/v3/search?q=cached');
      await get('/v3/autocomplete?q=cach');
      await get('/v3/autocomplete?id=cached.pkg');
      await get('/v3/catalog/index.json');
      await push('Cached.Pkg', '2.0.0');

      assert.deepEqual((await get('/v3/flatcontainer/cached.pkg/index.json')).body, {
        versions: ['1.0.0', '2.0.0'],
      });
      const registration = (await get('/v3/registration-gz-semver2/cached.pkg/index.json')).body;
      assert.equal(registration.items[0].upper, '2.0.0');
      assert.equal((await get('/v3/search?q=cached')).body.data[0].version, '2.0.0');
      assert.deepEqual((await get('/v3/autocomplete?id=cached.pkg')).body.data, ['1.0.0', '2.0.0']);
      const catalog = (await get('/v3/catalog/index.json')).body;
      assert.equal(catalog.items[0].count, 2);
    });

    test('unlist, relist and a hard delete through the other node are seen at once', async () => {
      await get('/v3/search?q=cached');
      assert.equal((await write('DELETE', 'Cached.Pkg', '2.0.0')).statusCode, 204);
      assert.equal((await get('/v3/search?q=cached')).body.data[0].version, '1.0.0');
      const leaf = (await get('/v3/registration-gz-semver2/cached.pkg/2.0.0.json')).body;
      assert.equal(leaf.listed, false);
      assert.equal((await write('POST', 'Cached.Pkg', '2.0.0')).statusCode, 200);
      assert.equal((await get('/v3/search?q=cached')).body.data[0].version, '2.0.0');

      // A hard delete: the reader's cached version record and file bytes must not keep serving it.
      await get('/v3/flatcontainer/cached.pkg/2.0.0/cached.pkg.2.0.0.nupkg');
      await (await writer.openFeed()).stores.packages.remove('cached.pkg', '2.0.0');
      assert.equal((await get('/v3/flatcontainer/cached.pkg/2.0.0/cached.pkg.2.0.0.nupkg')).status, 404);
      assert.deepEqual((await get('/v3/flatcontainer/cached.pkg/index.json')).body, { versions: ['1.0.0'] });
    });

    test('the fast path answers repeats with the headers and bytes Fastify gave, HEAD included, and counts downloads', async () => {
      const urls = [
        '/v3/flatcontainer/cached.pkg/index.json',
        '/v3/registration-gz-semver2/cached.pkg/index.json',
        '/v3/registration/cached.pkg/index.json',
        '/v3/flatcontainer/cached.pkg/1.0.0/cached.pkg.1.0.0.nupkg',
        '/v3/flatcontainer/cached.pkg/1.0.0/cached.pkg.nuspec',
        '/v3/flatcontainer/no.such.pkg/index.json',
        '/v3/search?q=cached',
      ];
      const names = [
        'content-type',
        'content-length',
        'content-encoding',
        'cache-control',
        'vary',
        'x-content-type-options',
      ];
      for (const encoding of ['identity', 'gzip']) {
        for (const method of ['GET', 'HEAD']) {
          for (const url of urls) {
            const fetchOnce = async () => {
              const response = await fetch(new URL(url, readerUrl), {
                method,
                headers: { 'accept-encoding': encoding },
              });
              const bytes = Buffer.from(await response.arrayBuffer());
              return {
                status: response.status,
                headers: Object.fromEntries(names.map((n) => [n, response.headers.get(n)])),
                bytes: bytes.toString('base64'),
              };
            };
            const first = await fetchOnce();
            const second = await fetchOnce();
            assert.deepEqual(second, first, `${method} ${url} (${encoding})`);
          }
        }
      }
      // Every GET of the nupkg above was counted, fast path or not: 2 encodings x 2 fetches.
      const readerFeed = await reader.openFeed();
      await readerFeed.downloads.flush();
      const counted = await readerFeed.stores.packages.findVersion('cached.pkg', '1.0.0');
      assert.ok((counted?.downloads ?? 0) >= 4, `downloads ${counted?.downloads}`);
    });

    test('a push acknowledged while other reads keep stamp checks in flight is seen by the next read', async () => {
      // Eight clients keep the reader's stamp checks of the feed busy (on PostgreSQL, shared queries always in
      // flight): a read after each 201 must still see that push, never share a check sent before it.
      const url = '/v3/flatcontainer/busy.pkg/index.json';
      await push('Busy.Pkg', '1.0.0');
      let stop = false;
      const background = Array.from({ length: 8 }, async (_, i) => {
        const path = i % 2 ? url : '/v3/flatcontainer/cached.pkg/index.json';
        while (!stop) await get(path);
      });
      try {
        for (let major = 2; major <= 11; major++) {
          await push('Busy.Pkg', `${major}.0.0`);
          const { body } = await get(url);
          assert.equal(body.versions?.at(-1), `${major}.0.0`, `after the push of ${major}.0.0`);
        }
      } finally {
        stop = true;
        await Promise.all(background);
      }
    });
  });
}
