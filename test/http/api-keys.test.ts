// Managed API keys on the write endpoints (docs/security.md): scopes, id patterns, revocation, expiry, last use,
// the bootstrap --api-key beside them, and the rate limit on failed authentication.
// Spec of the endpoints: ../../../shared/spec/nuget-api/package-publish-resource.md (401/403 on push, delete).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateApiKey, hashSecret } from '../../src/auth/api-key.ts';
import type { ApiKeyScope } from '../../src/auth/api-key-scope.ts';
import { createApiKey, revokeApiKey } from '../../src/auth/manage-api-keys.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { assertClientError, startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

const cli = { actor: 'cli', source: 'cli' };

async function newKey(
  feed: TestFeed,
  name: string,
  scopes: ApiKeyScope[],
  packages: string[] = ['*'],
): Promise<string> {
  return (await createApiKey(feed.feed, cli, { name, scopes, packages })).key;
}

const pushOf = async (feed: TestFeed, id: string, version: string, key: string | null) =>
  feed.push(await buildNupkg({ id, version }), { key });

const exists = async (feed: TestFeed, lowerId: string) =>
  (await feed.get(`/v3/flatcontainer/${lowerId}/index.json`)).statusCode === 200;

describe('managed API keys', () => {
  let feed: TestFeed;
  let ci: string;
  before(async () => {
    feed = await startFeed();
    ci = await newKey(feed, 'ci', ['push', 'push-new', 'unlist'], ['Contoso.*']);
  });
  after(() => feed.close());

  test('a key may push ids its patterns match, case-insensitively', async () => {
    assert.equal((await pushOf(feed, 'Contoso.Core', '1.0.0', ci)).statusCode, 201);
    assert.equal((await pushOf(feed, 'contoso.Web', '1.0.0', ci)).statusCode, 201);
  });

  test('another id -> 403 with the reason; nothing stored', async () => {
    const error = assertClientError(await pushOf(feed, 'Other.Lib', '1.0.0', ci), 403);
    assert.equal(error.code, 'api_key_out_of_scope');
    assert.equal(error.message, "key 'ci' may push only ids matching Contoso.*; 'Other.Lib' does not match.");
    assert.equal(await exists(feed, 'other.lib'), false);
    assert.deepEqual(await feed.filesUnder('blobs/packages/other.lib'), []);
  });

  test('push-new is needed for a new id, push for a new version of an existing id', async () => {
    const updater = await newKey(feed, 'updater', ['push']);
    const creator = await newKey(feed, 'creator', ['push-new']);
    const refusedNew = assertClientError(await pushOf(feed, 'Fresh.Lib', '1.0.0', updater), 403);
    assert.match(
      refusedNew.message,
      /key 'updater' may not push new package ids: that needs the push-new scope/,
    );
    assert.equal(await exists(feed, 'fresh.lib'), false);

    assert.equal((await pushOf(feed, 'Fresh.Lib', '1.0.0', creator)).statusCode, 201);
    const refusedVersion = assertClientError(await pushOf(feed, 'Fresh.Lib', '1.1.0', creator), 403);
    assert.match(
      refusedVersion.message,
      /may not push new versions of existing ids: that needs the push scope/,
    );
    assert.equal((await pushOf(feed, 'Fresh.Lib', '1.1.0', updater)).statusCode, 201);
  });

  test('a key without any push scope is refused before the package is read', async () => {
    const reader = await newKey(feed, 'reader', ['read']);
    const response = await feed.request('PUT', '/v3/package', {
      headers: { 'x-nuget-apikey': reader, 'content-type': 'application/octet-stream' },
      body: Buffer.from('not a nupkg at all'),
    });
    const error = assertClientError(response, 403);
    assert.equal(error.code, 'api_key_out_of_scope');
    assert.match(error.message, /push-new scope/);
  });

  test('unlist covers DELETE and relist (POST), within the patterns', async () => {
    const pusher = await newKey(feed, 'pusher-only', ['push', 'push-new'], ['Contoso.*']);
    assertClientError(
      await feed.request('DELETE', '/v3/package/Contoso.Core/1.0.0', {
        headers: { 'x-nuget-apikey': pusher },
      }),
      403,
    );
    assert.equal(
      (await feed.request('DELETE', '/v3/package/Contoso.Core/1.0.0', { headers: { 'x-nuget-apikey': ci } }))
        .statusCode,
      204,
    );
    assert.equal(
      (await feed.request('POST', '/v3/package/Contoso.Core/1.0.0', { headers: { 'x-nuget-apikey': ci } }))
        .statusCode,
      200,
    );
    await feed.publish({ id: 'Outside.Lib', version: '1.0.0' });
    const error = assertClientError(
      await feed.request('DELETE', '/v3/package/Outside.Lib/1.0.0', { headers: { 'x-nuget-apikey': ci } }),
      403,
    );
    assert.match(
      error.message,
      /key 'ci' may unlist only ids matching Contoso\.\*; 'Outside\.Lib' does not match/,
    );
  });

  test('a revoked key -> 403 api_key_revoked, at once', async () => {
    const doomed = await newKey(feed, 'doomed', ['push', 'push-new']);
    assert.equal((await pushOf(feed, 'Doomed.Lib', '1.0.0', doomed)).statusCode, 201);
    await feed.feed.apiKeys.revoke('doomed', new Date());
    const error = assertClientError(await pushOf(feed, 'Doomed.Lib', '2.0.0', doomed), 403);
    assert.equal(error.code, 'api_key_revoked');
    assert.match(error.message, /'doomed' was revoked on/);
  });

  test('an expired key -> 403 api_key_expired', async () => {
    const { key, keyId, secret } = generateApiKey();
    await feed.feed.apiKeys.insert({
      keyId,
      name: 'expired',
      scopes: ['push', 'push-new'],
      packages: ['*'],
      feeds: ['*'],
      created: '2020-01-01T00:00:00.000Z',
      expires: '2020-04-01T00:00:00.000Z',
      secretHash: hashSecret(secret),
    });
    const error = assertClientError(await pushOf(feed, 'Expired.Lib', '1.0.0', key), 403);
    assert.equal(error.code, 'api_key_expired');
    assert.match(error.message, /'expired' expired on 2020-04-01/);
  });

  test('an unknown key of the managed format -> 403 api_key_invalid, telling nothing about keys', async () => {
    const error = assertClientError(await pushOf(feed, 'Contoso.Core', '9.0.0', generateApiKey().key), 403);
    assert.equal(error.code, 'api_key_invalid');
  });

  test('use is recorded as last used; only a hash of the secret is stored', async () => {
    const tracked = await newKey(feed, 'tracked', ['push', 'push-new']);
    const keyId = tracked.slice(4, 20);
    assert.equal((await feed.feed.apiKeys.find(keyId))?.lastUsed, undefined);
    assert.equal((await pushOf(feed, 'Tracked.Lib', '1.0.0', tracked)).statusCode, 201);
    const stored = await feed.feed.apiKeys.find(keyId);
    assert.ok(stored?.lastUsed, 'last used is set');
    const rows = await feed.nugget.db.selectFrom('api_keys').selectAll().execute();
    assert.ok(!JSON.stringify(rows).includes(tracked.slice(21)), 'the secret is not in the database');
  });

  test('admin routes need the admin scope; the bootstrap key still has it', async () => {
    const body = JSON.stringify({ reasons: ['Legacy'] });
    const json = { 'content-type': 'application/json' };
    const url = '/v3/admin/deprecations/Contoso.Web/1.0.0';
    const refused = assertClientError(
      await feed.request('PUT', url, { headers: { ...json, 'x-nuget-apikey': ci }, body }),
      403,
    );
    assert.match(refused.message, /needs the admin scope/);
    const admin = await newKey(feed, 'ops', ['admin']);
    assert.equal(
      (await feed.request('PUT', url, { headers: { ...json, 'x-nuget-apikey': admin }, body })).statusCode,
      204,
    );
    assert.equal(
      (await feed.request('DELETE', url, { headers: { 'x-nuget-apikey': testApiKey } })).statusCode,
      204,
    );
    const vulnerabilities = assertClientError(
      await feed.request('PUT', '/v3/admin/vulnerabilities', {
        headers: { ...json, 'x-nuget-apikey': ci },
        body: '[]',
      }),
      403,
    );
    assert.match(vulnerabilities.message, /may not import vulnerabilities/);
  });

  test('symbol push needs push on the id', async () => {
    const reader = await newKey(feed, 'symbol-reader', ['read']);
    const snupkg = await buildNupkg({
      id: 'Other.Lib',
      version: '1.0.0',
      packageTypes: [{ name: 'SymbolsPackage' }],
    });
    assert.match(
      assertClientError(await feed.pushSymbols(snupkg, { key: reader }), 403).message,
      /push scope/,
    );
    const error = assertClientError(await feed.pushSymbols(snupkg, { key: ci }), 403);
    assert.match(
      error.message,
      /key 'ci' may push symbols of only ids matching Contoso\.\*; 'Other\.Lib' does not match/,
    );
  });
});

describe('managing keys', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
  });
  after(() => feed.close());

  test('names are unique, also after revocation; revoking twice says when it happened', async () => {
    await newKey(feed, 'dup', ['read']);
    await assert.rejects(newKey(feed, 'dup', ['push']), /A key named 'dup' already exists/);
    await revokeApiKey(feed.feed, cli, 'dup');
    await assert.rejects(revokeApiKey(feed.feed, cli, 'dup'), /'dup' was already revoked on/);
    await assert.rejects(newKey(feed, 'dup', ['push']), /already exists/);
    await assert.rejects(revokeApiKey(feed.feed, cli, 'nobody'), /no API key named or with id 'nobody'/);
    await assert.rejects(newKey(feed, 'has space', ['read']), /'has space' is not a key name/);
  });

  test('list shows every key without its secret', async () => {
    const key = await newKey(feed, 'listed', ['push'], ['Contoso.*']);
    const listed = (await feed.feed.apiKeys.list()).find((k) => k.name === 'listed');
    assert.deepEqual(
      { scopes: listed?.scopes, packages: listed?.packages, revoked: listed?.revoked },
      { scopes: ['push'], packages: ['Contoso.*'], revoked: undefined },
    );
    assert.ok(!JSON.stringify(await feed.feed.apiKeys.list()).includes(key.slice(21)));
  });
});

describe('a feed with managed keys and no --api-key', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ apiKey: null });
  });
  after(() => feed.close());

  test('is read-only until a key exists, then accepts that key', async () => {
    assertClientError(await pushOf(feed, 'Late.Lib', '1.0.0', null), 403);
    const key = await newKey(feed, 'first', ['push-new']);
    assertClientError(await pushOf(feed, 'Late.Lib', '1.0.0', null), 401);
    assertClientError(await pushOf(feed, 'Late.Lib', '1.0.0', testApiKey), 403);
    assert.equal((await pushOf(feed, 'Late.Lib', '1.0.0', key)).statusCode, 201);
  });
});

describe('rate limit on failed authentication', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ config: { authFailureLimit: 3, authFailureWindow: '60s' } });
  });
  after(() => feed.close());

  const deleteFrom = (remoteAddress: string, key?: string) =>
    feed.app.inject({
      method: 'DELETE',
      url: '/v3/package/Limit.Lib/1.0.0',
      remoteAddress,
      headers: key === undefined ? {} : { 'x-nuget-apikey': key },
    });

  test('after 3 wrong keys an address gets 429 with a short Retry-After, even with the right key', async () => {
    for (let i = 0; i < 3; i++) assertClientError(await deleteFrom('10.1.1.1', `wrong-${i}`), 403);
    const limited = await deleteFrom('10.1.1.1', 'wrong-again');
    const error = assertClientError(limited, 429);
    assert.equal(error.code, 'too_many_failed_authentications');
    assert.equal(limited.headers['retry-after'], '20');
    assertClientError(await deleteFrom('10.1.1.1', testApiKey), 429);
  });

  test('other addresses are not affected', async () => {
    assertClientError(await deleteFrom('10.1.1.2', testApiKey), 404);
  });

  test('requests without a key do not count', async () => {
    for (let i = 0; i < 5; i++) assertClientError(await deleteFrom('10.1.1.3'), 401);
    assertClientError(await deleteFrom('10.1.1.3', testApiKey), 404);
  });
});
