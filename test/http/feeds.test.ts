// Several feeds on one server (docs/feeds.md): the admin API that manages them, the URL scheme, per-feed keys,
// settings and private feeds, promotion, and isolation proved by crawling every URL of every feed's documents.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { packageWithSymbols } from '../fixtures/package-with-symbols.ts';
import {
  assertClientError,
  type JsonObject,
  origin,
  parseJson,
  pathOf,
  resourceId,
  startFeed,
  type TestFeed,
  urlValues,
} from './feed-fixture.ts';

type Headers = Record<string, string>;

describe('feeds', () => {
  let server: TestFeed;
  let admin: Headers;
  const json = { 'content-type': 'application/json' };
  const adminRequest = (method: string, url: string, body?: unknown, headers: Headers = admin) =>
    server.request(method, url, {
      headers: { ...headers, ...(body === undefined ? {} : json) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  /** A managed key made through the CLI's use case, valid for the given feeds. */
  const keyFor = async (name: string, scopes: string[], feeds: string[]): Promise<string> => {
    const { createApiKey } = await import('../../src/auth/manage-api-keys.ts');
    const { key } = await createApiKey(
      server.services,
      { actor: 'test', source: 'test' },
      { name, scopes: scopes as never, packages: ['*'], feeds },
    );
    return key;
  };

  before(async () => {
    server = await startFeed();
    admin = { 'x-nuget-apikey': server.apiKey ?? '' };
    for (const name of ['ci', 'release']) {
      const created = await adminRequest('PUT', `/admin/feeds/${name}`, { description: `the ${name} feed` });
      assert.equal(created.statusCode, 201, created.body);
    }
  });
  after(() => server.close());

  describe('the admin API', () => {
    test('lists and shows feeds with the settings in effect and where they come from', async () => {
      const listed = parseJson(await adminRequest('GET', '/admin/feeds'));
      assert.deepEqual(
        listed['feeds'].map((f: JsonObject) => f['name']),
        ['ci', 'default', 'release'],
      );
      const shown = parseJson(await adminRequest('GET', '/admin/feeds/ci'));
      assert.equal(shown['description'], 'the ci feed');
      assert.deepEqual(shown['overrides'], {});
      assert.equal(shown['settings'].private, false);
      assert.equal(shown['settings'].deleteBehavior, 'unlist');
    });

    test('names: lower-case letters, digits, - . _, 1 to 64 characters, no reserved words; clear 400s', async () => {
      for (const [name, message] of [
        ['CI', /not a feed name: use 1 to 64 lower-case letters/],
        ['a'.repeat(65), /not a feed name/],
        ['has%20space', /not a feed name/],
        ['v3', /'v3' is reserved/],
        ['admin', /'admin' is reserved/],
        ['feeds', /'feeds' is reserved/],
      ] as const) {
        const error = assertClientError(await adminRequest('PUT', `/admin/feeds/${name}`, {}), 400, name);
        assert.match(error.message, message);
      }
      assert.equal((await adminRequest('PUT', '/admin/feeds/team-a.release_2', {})).statusCode, 201);
      assert.equal((await adminRequest('DELETE', '/admin/feeds/team-a.release_2')).statusCode, 200);
    });

    test('creating a feed twice is 409; bad settings are 400 naming the field', async () => {
      assert.match(
        assertClientError(await adminRequest('PUT', '/admin/feeds/ci', {}), 409).message,
        /already exists/,
      );
      const bad = assertClientError(
        await adminRequest('PUT', '/admin/feeds/odd', { deleteBehavior: 'shred' }),
        400,
      );
      assert.match(bad.message, /deleteBehavior/);
      assert.equal((await adminRequest('GET', '/admin/feeds/odd')).statusCode, 404);
    });

    test('only admin keys valid for every feed manage feeds; others get 403 with the reason', async () => {
      const ciAdmin = await keyFor('ci-admin', ['admin'], ['ci']);
      const refused = assertClientError(
        await adminRequest('PUT', '/admin/feeds/sneaky', {}, { 'x-nuget-apikey': ciAdmin }),
        403,
      );
      assert.match(refused.message, /needs a key valid for every feed/);
      const pusher = await keyFor('all-pusher', ['push'], ['*']);
      assertClientError(
        await adminRequest('GET', '/admin/feeds', undefined, { 'x-nuget-apikey': pusher }),
        403,
      );
      assertClientError(await adminRequest('GET', '/admin/feeds', undefined, {}), 401);
    });

    test('a feed with packages is deleted only with force, with its files; the default feed never', async () => {
      assert.equal((await adminRequest('PUT', '/admin/feeds/doomed', {})).statusCode, 201);
      assert.equal(
        (await server.push(await buildNupkg({ id: 'Doomed.Lib', version: '1.0.0' }), { feed: 'doomed' }))
          .statusCode,
        201,
      );
      assert.equal(
        (await server.push(await buildNupkg({ id: 'Kept.Lib', version: '1.0.0' }))).statusCode,
        201,
      );
      const refused = assertClientError(await adminRequest('DELETE', '/admin/feeds/doomed'), 409);
      assert.match(refused.message, /holds 1 package version.*--force/);
      assert.ok((await server.filesUnder('blobs/feeds/doomed')).length > 0);
      const deleted = await adminRequest('DELETE', '/admin/feeds/doomed?force=true');
      assert.equal(deleted.statusCode, 200, deleted.body);
      assert.deepEqual(parseJson(deleted), { versions: 1 });
      assert.deepEqual(await server.filesUnder('blobs/feeds/doomed'), []);
      assert.equal((await server.get('/feeds/doomed/v3/index.json')).statusCode, 404);
      // Another feed's files are untouched.
      assert.equal(
        (await server.get('/v3/flatcontainer/kept.lib/1.0.0/kept.lib.1.0.0.nupkg')).statusCode,
        200,
      );
      assert.match(
        assertClientError(await adminRequest('DELETE', '/admin/feeds/default?force=true'), 409).message,
        /cannot be deleted/,
      );
      const audit = parseJson(await adminRequest('GET', '/admin/audit?limit=50'));
      const entry = audit['entries'].find(
        (e: JsonObject) => e['action'] === 'delete-feed' && e['feed'] === 'doomed',
      );
      assert.ok(entry, 'the deletion is audited');
      assert.deepEqual(entry['detail'], { versions: 1, force: true });
      // A feed of the same name made again starts empty.
      assert.equal((await adminRequest('PUT', '/admin/feeds/doomed', {})).statusCode, 201);
      assert.equal(
        (await server.get('/feeds/doomed/v3/flatcontainer/doomed.lib/index.json')).statusCode,
        404,
      );
      assert.equal((await adminRequest('DELETE', '/admin/feeds/doomed')).statusCode, 200);
    });
  });

  describe('URLs', () => {
    test("every URL in a feed's service index is under /feeds/{name}/; /v3/ is the default feed", async () => {
      for (const name of ['ci', 'release', 'default']) {
        const index = await server.json(`/feeds/${name}/v3/index.json`);
        for (const { at, value } of urlValues(index)) {
          assert.ok(value.startsWith(`${origin}/feeds/${name}/v3/`), `${name} ${at}: ${value}`);
        }
      }
      const legacy = await server.json('/v3/index.json');
      for (const { at, value } of urlValues(legacy))
        assert.ok(value.startsWith(`${origin}/v3/`), `${at}: ${value}`);
    });

    test('an unknown feed is a 404 that names it', async () => {
      const error = assertClientError(await server.get('/feeds/nope/v3/index.json'), 404);
      assert.match(error.message, /no feed 'nope'/);
      assertClientError(await server.get('/feeds/NOT.A.NAME/v3/flatcontainer/x/index.json'), 404);
    });
  });

  describe('keys per feed', () => {
    test('a key for ci pushes to ci and gets 403 with the reason on release', async () => {
      const ciKey = await keyFor('ci-pusher', ['push-new', 'push'], ['ci']);
      const nupkg = await buildNupkg({ id: 'Keyed.Lib', version: '1.0.0' });
      assert.equal((await server.push(nupkg, { feed: 'ci', key: ciKey })).statusCode, 201);
      const refused = assertClientError(await server.push(nupkg, { feed: 'release', key: ciKey }), 403);
      assert.match(refused.message, /not valid for feed 'release': it is valid for ci/);
      assertClientError(await server.push(nupkg, { key: ciKey }), 403, 'default feed');
      const unlist = await server.request('DELETE', '/feeds/release/v3/package/Keyed.Lib/1.0.0', {
        headers: { 'x-nuget-apikey': ciKey },
      });
      assertClientError(unlist, 403);
    });
  });

  describe('settings', () => {
    test('a private feed challenges with a realm naming it; a public feed on the same server does not', async () => {
      assert.equal((await adminRequest('PUT', '/admin/feeds/secret', { private: true })).statusCode, 201);
      const anonymous = await server.get('/feeds/secret/v3/index.json');
      assert.equal(anonymous.statusCode, 401);
      assert.equal(
        anonymous.headers['www-authenticate'],
        'Basic realm="nugget feed secret", charset="UTF-8"',
      );
      assert.equal((await server.get('/feeds/release/v3/index.json')).statusCode, 200);
      const readerOfCi = await keyFor('ci-reader', ['read'], ['ci']);
      const basic = (key: string) => ({
        authorization: `Basic ${Buffer.from(`u:${key}`).toString('base64')}`,
      });
      const wrongFeed = assertClientError(
        await server.get('/feeds/secret/v3/index.json', basic(readerOfCi)),
        403,
      );
      assert.match(wrongFeed.message, /not valid for feed 'secret'/);
      const reader = await keyFor('secret-reader', ['read'], ['secret']);
      assert.equal((await server.get('/feeds/secret/v3/index.json', basic(reader))).statusCode, 200);
      // Made public again: anonymous reads work at once.
      assert.equal((await adminRequest('PATCH', '/admin/feeds/secret', { private: null })).statusCode, 200);
      assert.equal((await server.get('/feeds/secret/v3/index.json')).statusCode, 200);
    });

    test('delete behaviour, package size limit and re-push after delete are per feed', async () => {
      assert.equal(
        (await adminRequest('PUT', '/admin/feeds/strict', { deleteBehavior: 'delete', maxPackageSize: 4000 }))
          .statusCode,
        201,
      );
      const small = await buildNupkg({ id: 'Strict.Lib', version: '1.0.0' });
      assert.ok(small.length < 4000);
      assert.equal((await server.push(small, { feed: 'strict' })).statusCode, 201);
      const big = await buildNupkg({
        id: 'Strict.Big',
        version: '1.0.0',
        description: randomBytes(10_000).toString('hex'),
      });
      assertClientError(await server.push(big, { feed: 'strict' }), 413);
      // The default feed takes it: the limit is the strict feed's own.
      assert.equal((await server.push(big)).statusCode, 201);
      const deleted = await server.request('DELETE', '/feeds/strict/v3/package/Strict.Lib/1.0.0', {
        headers: admin,
      });
      assert.equal(deleted.statusCode, 204);
      assert.equal(
        (await server.get('/feeds/strict/v3/flatcontainer/strict.lib/index.json')).statusCode,
        404,
      );
      const again = assertClientError(await server.push(small, { feed: 'strict' }), 409);
      assert.match(again.message, /was deleted from feed 'strict' and may not be pushed again/);
      assert.equal(
        (await adminRequest('PATCH', '/admin/feeds/strict', { allowRepushAfterDelete: true })).statusCode,
        200,
      );
      assert.equal((await server.push(small, { feed: 'strict' })).statusCode, 201);
    });
  });

  describe('the raw-HTTP fast path', () => {
    test('answers kept for a public feed stop at once when the feed is made private, on every id', async () => {
      assert.equal((await adminRequest('PUT', '/admin/feeds/fast', {})).statusCode, 201);
      await server.push(await buildNupkg({ id: 'Fast.Lib', version: '1.0.0' }), { feed: 'fast' });
      const url = '/feeds/fast/v3/flatcontainer/fast.lib/index.json';
      for (let i = 0; i < 3; i++) assert.equal((await server.rawRequest('GET', url)).statusCode, 200);
      // Another id's push moves the feed's stamp but not this id's: the kept answer stays good...
      await server.push(await buildNupkg({ id: 'Fast.Other', version: '1.0.0' }), { feed: 'fast' });
      assert.equal((await server.rawRequest('GET', url)).statusCode, 200);
      // ...but a settings change invalidates every kept answer of the feed, the per-id ones too.
      assert.equal((await adminRequest('PATCH', '/admin/feeds/fast', { private: true })).statusCode, 200);
      const anonymous = await server.rawRequest('GET', url);
      assert.equal(anonymous.statusCode, 401);
      assert.match(String(anonymous.headers['www-authenticate']), /realm="nugget feed fast"/);
      assert.equal((await adminRequest('PATCH', '/admin/feeds/fast', { private: null })).statusCode, 200);
      assert.equal((await server.rawRequest('GET', url)).statusCode, 200);
      // The same path under another feed is that feed's answer, never this one's.
      assert.equal((await server.rawRequest('GET', url.replace('/fast/', '/ci/'))).statusCode, 404);
    });
  });

  describe('search order across feeds', () => {
    test("no search answer outlives a push to another feed that reorders it (SQLite's bm25 statistics are the whole index's)", async () => {
      for (const name of ['words', 'longer']) {
        assert.equal((await adminRequest('PUT', `/admin/feeds/${name}`, {})).statusCode, 201);
      }
      // bm25 divides a match's term frequency by its field's length over the index's AVERAGE length: the short
      // field with the word once ranks first while fields are short on average, the long one with the word twice
      // once long fields in another feed raise the average. Search ranks by the descriptions, autocomplete by ids.
      const tokens = (n: number, word = 'filler') => Array.from({ length: n }, (_, i) => `${word}${i}`);
      await server.push(
        await buildNupkg({ id: 'Zebra.Short', version: '1.0.0', description: 'zebraword once' }),
        { feed: 'words' },
      );
      await server.push(
        await buildNupkg({
          id: ['Zebra', 'Zebra', ...tokens(14, 'a')].join('.'),
          version: '1.0.0',
          description: ['zebraword', 'zebraword', ...tokens(18)].join(' '),
        }),
        { feed: 'words' },
      );
      const long = ['zebra.zebra', ...tokens(14, 'a')].join('.');
      const order = async (url: string, raw: boolean) => {
        const response = raw ? await server.rawRequest('GET', url) : await server.get(url);
        const body = response.body.toString();
        assert.equal(response.statusCode, 200, body);
        const data = (JSON.parse(body) as { data: ({ id: string } | string)[] }).data;
        return data.map((d) => (typeof d === 'string' ? d : d.id).toLowerCase());
      };
      const search = '/feeds/words/v3/search?q=zebraword';
      const autocomplete = '/feeds/words/v3/autocomplete?q=zebra';
      // Each asked over both paths, twice, so that the answers are kept (the fast path's too).
      for (const raw of [false, true, false, true]) {
        assert.deepEqual(await order(search, raw), ['zebra.short', long]);
        assert.deepEqual(await order(autocomplete, raw), ['zebra.short', long]);
      }
      for (let i = 0; i < 6; i++) {
        await server.push(
          await buildNupkg({
            id: [`Longer${i}`, ...tokens(20, 'b')].join('.'),
            version: '1.0.0',
            description: tokens(400).join(' '),
          }),
          { feed: 'longer' },
        );
      }
      for (const raw of [false, true]) {
        const path = raw ? 'fast path' : 'Fastify';
        assert.deepEqual(await order(search, raw), [long, 'zebra.short'], `search, ${path}`);
        assert.deepEqual(await order(autocomplete, raw), [long, 'zebra.short'], `autocomplete, ${path}`);
      }
    });
  });

  describe('promotion', () => {
    let symbolPath: string;
    before(async () => {
      await server.push(
        await buildNupkg({
          id: 'Promo.Lib',
          version: '1.0.0',
          readme: { path: 'README.md', content: '# Promo' },
        }),
        { feed: 'ci' },
      );
      const symbols = await packageWithSymbols('Promo.Symbols', '2.0.0');
      assert.equal((await server.push(symbols.nupkg, { feed: 'ci' })).statusCode, 201);
      assert.equal((await server.pushSymbols(symbols.snupkg, { feed: 'ci' })).statusCode, 201);
      symbolPath = symbols.symbolPath;
      const deprecate = await server.request('PUT', '/feeds/ci/v3/admin/deprecations/Promo.Lib/1.0.0', {
        headers: { ...admin, ...json },
        body: JSON.stringify({ reasons: ['Legacy'], message: 'old' }),
      });
      assert.equal(deprecate.statusCode, 204, deprecate.body);
    });

    test('before promotion the release feed does not have it', async () => {
      assert.equal(
        (await server.get('/feeds/release/v3/flatcontainer/promo.lib/index.json')).statusCode,
        404,
      );
    });

    test('promote copies the version with readme, deprecation and symbols; the target catalog shows it; twice is 409', async () => {
      const promote = (body: JsonObject, headers = admin) =>
        adminRequest('POST', '/admin/promote', body, headers);
      const done = await promote({ id: 'Promo.Lib', version: '1.0.0', from: 'ci', to: 'release' });
      assert.equal(done.statusCode, 201, done.body);
      assert.deepEqual(parseJson(done), {
        id: 'Promo.Lib',
        version: '1.0.0',
        from: 'ci',
        to: 'release',
        symbols: false,
      });
      assert.equal(
        (await promote({ id: 'Promo.Symbols', version: '2.0.0', from: 'ci', to: 'release' })).statusCode,
        201,
      );

      const versions = await server.json('/feeds/release/v3/flatcontainer/promo.lib/index.json');
      assert.deepEqual(versions, { versions: ['1.0.0'] });
      const readme = await server.get('/feeds/release/v3/flatcontainer/promo.lib/1.0.0/readme');
      assert.equal(readme.body, '# Promo');
      const registration = await server.json(
        '/feeds/release/v3/registration-gz-semver2/promo.lib/index.json',
      );
      assert.deepEqual(registration['items'][0].items[0].catalogEntry.deprecation.reasons, ['Legacy']);
      assert.equal((await server.get(`/feeds/release${symbolPath}`)).statusCode, 200);
      const catalog = await server.json('/feeds/release/v3/catalog/index.json');
      const page = await server.json(pathOf(catalog['items'][0]['@id']));
      assert.deepEqual(
        page['items'].map((item: JsonObject) => item['nuget:id']),
        ['Promo.Lib', 'Promo.Symbols'],
      );

      const twice = assertClientError(
        await promote({ id: 'Promo.Lib', version: '1.0.0', from: 'ci', to: 'release' }),
        409,
      );
      assert.match(twice.message, /already on feed 'release'/);
      assertClientError(await promote({ id: 'Promo.Lib', version: '9.9.9', from: 'ci', to: 'release' }), 404);
      assertClientError(await promote({ id: 'Promo.Lib', version: '1.0.0', from: 'ci', to: 'nowhere' }), 404);
      assertClientError(await promote({ id: 'Promo.Lib', from: 'ci', to: 'release' }), 400);
      const ciOnly = await keyFor('ci-promoter', ['push'], ['ci']);
      const refused = assertClientError(
        await promote(
          { id: 'Promo.Lib', version: '1.0.0', from: 'ci', to: 'release' },
          { 'x-nuget-apikey': ciOnly },
        ),
        403,
      );
      assert.match(refused.message, /not valid for feed 'release'/);

      const audit = parseJson(await adminRequest('GET', '/feeds/release/v3/admin/audit'));
      const promotions = audit['entries'].filter((e: JsonObject) => e['action'] === 'promote');
      const outcomes = promotions.map((e: JsonObject) => `${e['packageId']} ${e['outcome']}`).sort();
      for (const expected of [
        'Promo.Lib api_key_wrong_feed',
        'Promo.Lib package_exists',
        'Promo.Lib package_not_found',
        'Promo.Lib success',
        'Promo.Symbols success',
      ]) {
        assert.ok(outcomes.includes(expected), `audited: ${expected} in ${outcomes.join(', ')}`);
      }
    });

    test('on the file system the promoted nupkg is stored once (a hard link), under the target feed', async () => {
      const [ci] = await server.filesUnder('blobs/feeds/ci/packages/promo.lib/1.0.0');
      const [release] = await server.filesUnder('blobs/feeds/release/packages/promo.lib/1.0.0');
      assert.ok(ci && release);
      const nupkgOf = (feed: string, relative: string) =>
        path.join(
          server.dataDir,
          'blobs/feeds',
          feed,
          'packages/promo.lib/1.0.0',
          path.dirname(relative),
          'promo.lib.1.0.0.nupkg',
        );
      const a = await stat(nupkgOf('ci', ci));
      const b = await stat(nupkgOf('release', release));
      assert.equal(a.ino, b.ino);
      assert.ok(a.nlink >= 2);
    });
  });

  describe('isolation', () => {
    /** Every same-origin URL reachable from a feed's service index, with its body. */
    async function crawl(start: string): Promise<Map<string, string>> {
      const seen = new Map<string, string>();
      const queue = [start];
      for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
        if (seen.has(url) || seen.size > 2000) continue;
        const response = await server.get(url, { 'accept-encoding': 'identity' });
        const body = response.rawPayload.toString('utf8');
        seen.set(url, `${response.statusCode} ${body}`);
        if (
          !String(response.headers['content-type']).startsWith('application/json') ||
          response.statusCode !== 200
        ) {
          continue;
        }
        for (const { value } of urlValues(JSON.parse(body))) {
          if (!value.startsWith(origin) || value.includes('{')) continue;
          queue.push(pathOf(value));
        }
      }
      return seen;
    }

    test("a package pushed to one feed appears in no URL of any other feed's documents", async () => {
      await server.push(await buildNupkg({ id: 'Only.In.Ci', version: '1.0.0', description: 'ci only' }), {
        feed: 'ci',
      });
      await server.push(
        await buildNupkg({ id: 'Only.In.Release', version: '1.0.0', description: 'release only' }),
        {
          feed: 'release',
        },
      );
      await server.push(
        await buildNupkg({ id: 'Only.In.Default', version: '1.0.0', description: 'default only' }),
      );
      // Downloads are counted per feed too.
      await server.get('/feeds/ci/v3/flatcontainer/only.in.ci/1.0.0/only.in.ci.1.0.0.nupkg');
      await server.feed.downloads.flush();
      const ids: Record<string, string> = {
        ci: 'only.in.ci',
        release: 'only.in.release',
        default: 'only.in.default',
      };
      for (const [feed, start] of [
        ['ci', '/feeds/ci/v3/index.json'],
        ['release', '/feeds/release/v3/index.json'],
        ['default', '/feeds/default/v3/index.json'],
        ['default', '/v3/index.json'],
      ] as const) {
        const index = await server.json(start);
        const search = pathOf(resourceId(index, 'SearchQueryService'));
        const autocomplete = pathOf(resourceId(index, 'SearchAutocompleteService'));
        const pages = await crawl(start);
        for (const extra of [`${search}?q=only&prerelease=true`, `${autocomplete}?q=only`]) {
          const response = await server.get(extra);
          pages.set(extra, response.body);
        }
        // The package of each other feed, looked up directly by the URLs a client would build.
        const base = start.replace(/index\.json$/, '');
        for (const [other, id] of Object.entries(ids)) {
          const lookups = [
            `${base}flatcontainer/${id}/index.json`,
            `${base}flatcontainer/${id}/1.0.0/${id}.1.0.0.nupkg`,
            `${base}registration/${id}/index.json`,
            `${base}registration-gz-semver2/${id}/1.0.0.json`,
            `${autocomplete}?id=${id}`,
          ];
          for (const url of lookups) {
            const response = await server.get(url);
            if (other === feed) continue;
            assert.ok(
              response.statusCode === 404 || !response.body.toLowerCase().includes(id),
              `${url} shows ${other}'s ${id}: ${response.statusCode} ${response.body.slice(0, 200)}`,
            );
          }
        }
        assert.ok(pages.size > 10, `${start}: crawled only ${pages.size} URLs`);
        assert.ok(
          [...pages.values()].some((body) => body.toLowerCase().includes(ids[feed] as string)),
          `${start} shows its own package`,
        );
        for (const [url, body] of pages) {
          for (const [other, id] of Object.entries(ids)) {
            if (other === feed) continue;
            assert.ok(!body.toLowerCase().includes(id), `${url} (feed ${feed}) mentions ${other}'s ${id}`);
          }
        }
      }
    });
  });
});
