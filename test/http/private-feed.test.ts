// A private feed (--private, docs/security.md "Private feeds"): every read needs a key with the read scope, sent
// as the password of Basic credentials (the user name is free) or as X-NuGet-ApiKey. Anonymous requests get 401
// with `WWW-Authenticate: Basic`, because the NuGet client sends its configured credentials only after that
// challenge (../../../shared/notes/client-behaviour.md §3.7).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../../src/auth/manage-api-keys.ts';
import { assertClientError, startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

describe('private feed', () => {
  let feed: TestFeed;
  let reader: string;
  let pusher: string;
  before(async () => {
    feed = await startFeed({ config: { private: true, authFailureLimit: 3 } });
    const cli = { actor: 'cli', source: 'cli' };
    reader = (await createApiKey(feed.feed, cli, { name: 'reader', scopes: ['read'], packages: ['*'] })).key;
    pusher = (await createApiKey(feed.feed, cli, { name: 'pusher', scopes: ['push-new'], packages: ['*'] }))
      .key;
    // Pushing is unchanged: X-NuGet-ApiKey with a push scope, no read credentials needed.
    await feed.publish({ id: 'Secret.Lib', version: '1.0.0' });
  });
  after(() => feed.close());

  const resources = [
    '/v3/index.json',
    '/v3/flatcontainer/secret.lib/index.json',
    '/v3/flatcontainer/secret.lib/1.0.0/secret.lib.1.0.0.nupkg',
    '/v3/registration/secret.lib/index.json',
    '/v3/search?q=secret',
    '/v3/catalog/index.json',
    '/v3/no-such-resource',
  ];

  test('anonymous reads of every resource (the service index too) -> 401 with a Basic challenge', async () => {
    for (const url of resources) {
      for (const method of ['GET', 'HEAD']) {
        const response = await feed.request(method, url);
        assert.equal(response.statusCode, 401, `${method} ${url}`);
        assert.equal(
          response.headers['www-authenticate'],
          'Basic realm="nugget feed default", charset="UTF-8"',
          `${method} ${url}`,
        );
      }
    }
    const error = assertClientError(await feed.get('/v3/index.json'), 401);
    assert.match(error.message, /private.*packageSourceCredentials/);
  });

  test('a read key as the Basic password (any user name, even none) or as X-NuGet-ApiKey reads everything', async () => {
    for (const headers of [
      basic('anyone', reader),
      basic('', reader),
      { 'x-nuget-apikey': reader },
      basic('ci', testApiKey),
    ]) {
      for (const url of resources.slice(0, -1)) {
        assert.equal(
          (await feed.get(url, headers)).statusCode,
          200,
          `${url} with ${JSON.stringify(headers)}`,
        );
      }
    }
  });

  test('a key without the read scope -> 403 with the reason', async () => {
    const error = assertClientError(await feed.get('/v3/index.json', basic('x', pusher)), 403);
    assert.match(error.message, /key 'pusher' may not read this feed: that needs the read scope/);
  });

  test('shared caches are told not to keep private responses', async () => {
    const nupkg = await feed.get(
      '/v3/flatcontainer/secret.lib/1.0.0/secret.lib.1.0.0.nupkg',
      basic('u', reader),
    );
    const cacheControl = String(nupkg.headers['cache-control'] ?? '');
    assert.doesNotMatch(cacheControl, /public/);
    assert.match(cacheControl, /private/);
  });

  test('wrong credentials -> 401 with the challenge again; after 3 an address gets 429 with Retry-After', async () => {
    const from = (password: string) =>
      feed.app.inject({
        method: 'GET',
        url: '/v3/index.json',
        remoteAddress: '10.9.9.9',
        headers: basic('u', password),
      });
    for (const password of ['wrong', 'ngt_0123456789abcdef_' + 'a'.repeat(43), 'x']) {
      const response = await from(password);
      assertClientError(response, 401);
      assert.match(String(response.headers['www-authenticate']), /^Basic /);
    }
    const limited = await from(reader);
    assertClientError(limited, 429);
    assert.equal(limited.headers['retry-after'], '20');
    // Another address with the right key is served.
    assert.equal((await feed.get('/v3/index.json', basic('u', reader))).statusCode, 200);
  });

  test('a revoked read key -> 401', async () => {
    const cli = { actor: 'cli', source: 'cli' };
    const shortLived = (
      await createApiKey(feed.feed, cli, { name: 'short', scopes: ['read'], packages: ['*'] })
    ).key;
    assert.equal((await feed.get('/v3/index.json', basic('u', shortLived))).statusCode, 200);
    await feed.feed.apiKeys.revoke('short', new Date());
    const error = assertClientError(await feed.get('/v3/index.json', basic('u', shortLived)), 401);
    assert.equal(error.code, 'api_key_revoked');
  });
});

describe('a public feed (the default)', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
  });
  after(() => feed.close());

  test('answers anonymous reads and sends no challenge', async () => {
    const response = await feed.get('/v3/index.json');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['www-authenticate'], undefined);
  });
});
