// The web UI over HTTP (in-process): status codes and headers of pages and assets, hostile query strings, what a
// private feed reveals. The browser tests (test/browser) cover what a person sees.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/auth/manage-api-keys.ts';
import { startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

describe('web UI pages over HTTP', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
    await feed.publish({ id: 'Contoso.Web', version: '1.0.0', description: 'A package for the pages.' });
    const admin = { 'x-nuget-apikey': testApiKey, 'content-type': 'application/json' };
    const created = await feed.request('PUT', '/admin/feeds/partner', {
      headers: admin,
      body: '{"private":true}',
    });
    assert.equal(created.statusCode, 201);
  });
  after(() => feed.close());

  it('leads / to the default feed, and serves pages as no-cache HTML under the CSP', async () => {
    const root = await feed.get('/');
    assert.equal(root.statusCode, 302);
    assert.equal(root.headers.location, '/feeds/default/');
    for (const path of [
      '/feeds/default/',
      '/feeds/default/packages/Contoso.Web/',
      '/feeds/default/getting-started',
    ]) {
      const page = await feed.get(path);
      assert.equal(page.statusCode, 200, path);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(String(page.headers['cache-control']), /private, no-cache/);
      assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
      assert.doesNotMatch(
        page.body,
        /<script>|<style>|\sstyle="|\son[a-z]+="/,
        `${path}: inline script or style`,
      );
    }
  });

  it('serves assets at hashed names for a year, and 404 for any other name', async () => {
    const page = await feed.get('/feeds/default/');
    const paths = [...page.body.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1] ?? '');
    assert.ok(paths.length >= 3, 'stylesheets, script and icon');
    for (const path of paths) {
      const asset = await feed.get(path);
      assert.equal(asset.statusCode, 200, path);
      assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
      const again = await feed.get(path, { 'if-none-match': String(asset.headers.etag) });
      assert.equal(again.statusCode, 304);
    }
    assert.equal((await feed.get('/static/site.0000000000000000.css')).statusCode, 404);
    assert.equal((await feed.get('/static/../package.json')).statusCode, 404);
  });

  it('escapes what the reader typed, and answers bad parameters with 400 pages, never 5xx', async () => {
    const hostile = '"><script>alert(1)</script>';
    const page = await feed.get(`/feeds/default/?q=${encodeURIComponent(hostile)}`);
    assert.equal(page.statusCode, 200);
    assert.ok(!page.body.includes('<script>alert(1)'));
    assert.ok(page.body.includes('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
    for (const query of [
      'page=0',
      'page=-1',
      'page=abc',
      'page=99999',
      `q=${'x'.repeat(1001)}`,
      'q=&prerelease=maybe',
    ]) {
      const bad = await feed.get(`/feeds/default/?${query}`);
      assert.equal(bad.statusCode, 400, query);
      assert.match(String(bad.headers['content-type']), /^text\/html/);
    }
    for (const path of [
      '/feeds/default/packages/No.Such/',
      '/feeds/default/packages/Contoso.Web/9.9.9/',
      '/feeds/nope/',
    ]) {
      assert.equal((await feed.get(path)).statusCode, 404, path);
    }
    assert.equal((await feed.get('/feeds/default/packages/Contoso.Web/not-a-version/')).statusCode, 404);
  });

  it('shows a private feed only to a key that may read it, and lists it in the switcher only for that key', async () => {
    const anonymous = await feed.get('/feeds/partner/');
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['www-authenticate'], undefined, 'no browser password dialog');
    assert.ok(!(await feed.get('/feeds/default/')).body.includes('/feeds/partner/'));
    const cli = { actor: 'test', source: 'test' };
    const reader = (
      await createApiKey(feed.feed, cli, {
        name: 'partner-reader',
        scopes: ['read'],
        packages: ['*'],
        feeds: ['partner'],
      })
    ).key;
    const outsider = (
      await createApiKey(feed.feed, cli, {
        name: 'default-reader',
        scopes: ['read'],
        packages: ['*'],
        feeds: ['default'],
      })
    ).key;
    assert.equal((await feed.get('/feeds/partner/', { 'x-nuget-apikey': reader })).statusCode, 200);
    assert.ok(
      (await feed.get('/feeds/default/', { 'x-nuget-apikey': reader })).body.includes('/feeds/partner/'),
    );
    assert.equal((await feed.get('/feeds/partner/', { 'x-nuget-apikey': outsider })).statusCode, 403);
    assert.equal((await feed.get('/feeds/partner/', { 'x-nuget-apikey': 'wrong-key' })).statusCode, 401);
  });
});
