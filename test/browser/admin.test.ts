// Sign-in, sessions and the admin pages in a real Chromium (docs/web-ui.md): a private feed before and after
// signing in with a key, single sign-on through a real OpenID Connect provider (oidc-provider) and signing out,
// creating and revoking a key, uploading a package, unlisting and relisting it, a form another site sends, and
// the Content-Security-Policy of the admin pages. One server, one provider and one Chromium for the suite.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createFeed } from '../../src/packages/manage-feeds.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { testApiKey } from '../http/feed-fixture.ts';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider-server.ts';
import { type BrowserSuite, collectPageErrors, startBrowserSuite } from './browser-harness.ts';

describe('web UI sign-in and admin pages in Chromium', () => {
  let suite: BrowserSuite;
  let provider: TestOidcProvider;
  let hostile: Server;

  before(async () => {
    provider = await startOidcProvider({ redirectUri: () => `${suite.origin}/ui/sign-in/sso/callback` });
    suite = await startBrowserSuite({
      config: {
        ssoIssuer: provider.issuer,
        ssoClientId: provider.clientId,
        ssoClientSecret: provider.clientSecret,
        ssoRoles: 'groups:nuget-admins=admin',
      },
    });
    const { services } = suite.feed;
    await createFeed(
      {
        feeds: services.feedStore,
        directory: services.feeds,
        blobs: services.blobs,
        audit: services.audit,
        clock: services.clock,
      },
      { actor: 'cli', source: 'cli' },
      { name: 'secret', overrides: { private: true } },
    );
    await suite.feed.push(await buildNupkg({ id: 'Secret.Lib', version: '1.0.0' }), { feed: 'secret' });
    // Another site (another port of 127.0.0.1 is the same site, but not the same origin) with a form aimed at nugget.
    hostile = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><form method="post" action="${suite.origin}/ui/admin/keys">
        <input name="name" value="planted"><input name="scopes" value="admin">
        <button type="submit">Win a prize</button></form>`);
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await suite?.close();
    await provider?.close();
    await new Promise((resolve) => hostile?.close(resolve));
  });

  const signInWithKey = async (page: Awaited<ReturnType<BrowserSuite['newPage']>>, key: string) => {
    await page.goto('/ui/sign-in');
    await page.fill('#key', key);
    await page.click('form.sign-in button[type=submit]');
  };

  it('a private feed shows nothing before sign-in, and its packages after signing in with a key', async () => {
    const page = await suite.newPage();
    const before = await page.goto('/feeds/secret/');
    assert.equal(before?.status(), 401);
    assert.equal(await page.getByText('Secret.Lib').count(), 0);
    await page.getByRole('link', { name: 'Sign in' }).last().click();
    await page.fill('#key', testApiKey);
    await page.click('form.sign-in button[type=submit]');
    await page.waitForURL(/\/feeds\/secret\/$/);
    assert.ok(await page.getByText('Secret.Lib').first().isVisible());
  });

  it('admin pages carry a strict CSP, run no inline script and report no CSP violation', async () => {
    const page = await suite.newPage();
    const errors = collectPageErrors(page);
    await signInWithKey(page, testApiKey);
    for (const url of ['/ui/admin', '/ui/admin/keys', '/ui/admin/feeds', '/ui/admin/audit', '/ui/sign-out']) {
      const response = await page.goto(url);
      assert.equal(response?.status(), 200, url);
      const csp = (await response?.allHeaders())?.['content-security-policy'] ?? '';
      assert.match(csp, /script-src 'self'/, url);
      assert.doesNotMatch(csp, /unsafe-inline/, url);
      const inline = await page.$$eval(
        'script',
        (scripts) => scripts.filter((script) => !script.src || script.textContent?.trim()).length,
      );
      assert.equal(inline, 0, url);
      assert.equal(await page.locator('[style], [onclick], [onload], [onerror], [onsubmit]').count(), 0, url);
    }
    assert.deepEqual(errors, []);
  });

  it('creates a key that works on the API, shown once, and revokes it', async () => {
    const page = await suite.newPage();
    await signInWithKey(page, testApiKey);
    await page.goto('/ui/admin/keys');
    const form = page.locator('form.create-key');
    await form.locator('input[name=name]').fill('browser-made');
    await form.locator('input[value=push]').check();
    await form.locator('input[value=push-new]').check();
    await form.locator('input[name=packages]').fill('Browser.*');
    await form.locator('button[type=submit]').click();
    const key = (await page.locator('#new-key').textContent())?.trim() ?? '';
    assert.match(key, /^ngt_/);
    const pushed = await suite.feed.push(await buildNupkg({ id: 'Browser.Lib', version: '1.0.0' }), { key });
    assert.equal(pushed.statusCode, 201);
    await page.goto('/ui/admin/keys');
    assert.equal(await page.locator('#new-key').count(), 0, 'the secret is not shown again');
    await page.locator('tr[data-key="browser-made"] button', { hasText: 'Revoke' }).click();
    await page.waitForURL(/\/ui\/admin\/keys$/);
    const refused = await suite.feed.push(await buildNupkg({ id: 'Browser.Lib', version: '2.0.0' }), { key });
    assert.equal(refused.statusCode, 403);
  });

  it('uploads a package, then unlists and relists it', async () => {
    const page = await suite.newPage();
    await signInWithKey(page, testApiKey);
    await page.goto('/ui/admin/feeds/default/upload');
    await page.setInputFiles('input[type=file]', {
      name: 'Uploaded.Lib.1.0.0.nupkg',
      mimeType: 'application/octet-stream',
      buffer: await buildNupkg({ id: 'Uploaded.Lib', version: '1.0.0' }),
    });
    await page.click('form.upload button[type=submit]');
    await page.waitForURL(/version\?id=Uploaded\.Lib&version=1\.0\.0/);
    const listed = async () => (await suite.feed.feed.packages.findVersion('uploaded.lib', '1.0.0'))?.listed;
    assert.equal(await listed(), true);
    await page.getByRole('button', { name: 'Unlist' }).click();
    await page.getByRole('button', { name: 'Relist' }).waitFor();
    assert.equal(await listed(), false);
    await page.getByRole('button', { name: 'Relist' }).click();
    await page.getByRole('button', { name: 'Unlist' }).waitFor();
    assert.equal(await listed(), true);
  });

  it('a form another site sends is refused and changes nothing', async () => {
    const page = await suite.newPage();
    await signInWithKey(page, testApiKey);
    await page.goto(`http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/ui/admin/keys')),
      page.click('button'),
    ]);
    assert.equal(response.status(), 403);
    const keys = await suite.feed.services.apiKeys.list();
    assert.equal(
      keys.some((key) => key.name === 'planted'),
      false,
    );
  });

  it('signs in with single sign-on, and signing out ends the session', async () => {
    const page = await suite.newPage();
    provider.signInAs({ sub: 'alice-1', email: 'alice@example.com', groups: ['nuget-admins'] });
    await page.goto('/ui/sign-in?next=/ui/admin/keys');
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    await page.waitForURL(/\/ui\/admin\/keys$/);
    assert.ok(await page.getByText('sso:alice@example.com').first().isVisible());
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/ui\/sign-in$/);
    await page.goto('/ui/admin/keys');
    await page.waitForURL(/\/ui\/sign-in\?next=/);
  });
});
