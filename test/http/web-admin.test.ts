// The web UI's sign-in, sessions, CSRF protection and admin pages (docs/web-ui.md), through fastify.inject() with
// a client that keeps cookies and posts forms as a browser does (test/support/web-form-client.ts).
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../../src/auth/manage-api-keys.ts';
import { createFeed } from '../../src/packages/manage-feeds.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { WebFormClient } from '../support/web-form-client.ts';
import { startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

const cli = { actor: 'cli', source: 'cli' };

describe('web UI sign-in and admin pages', () => {
  let feed: TestFeed;
  let readerOfTeamA: string;
  before(async () => {
    feed = await startFeed({ maxPackageSize: 64 * 1024 });
    const deps = {
      feeds: feed.services.feedStore,
      directory: feed.services.feeds,
      blobs: feed.services.blobs,
      audit: feed.services.audit,
      clock: feed.services.clock,
    };
    await createFeed(deps, cli, { name: 'team-a', overrides: { private: true } });
    await createFeed(deps, cli, { name: 'team-b', overrides: { private: true, deleteBehavior: 'delete' } });
    readerOfTeamA = (
      await createApiKey(feed.feed, cli, {
        name: 'reader-a',
        scopes: ['read', 'unlist'],
        packages: ['*'],
        feeds: ['team-a'],
      })
    ).key;
    await feed.push(await buildNupkg({ id: 'Contoso.Core', version: '1.0.0' }), { feed: 'team-b' });
    await feed.push(await buildNupkg({ id: 'Contoso.Core', version: '1.0.0' }), { feed: 'team-a' });
  });
  after(() => feed.close());

  test('the sign-in page: CSP without inline script, no-store, a form token in a SameSite=Strict cookie', async () => {
    const browser = new WebFormClient(feed.app);
    const page = await browser.get('/ui/sign-in');
    assert.equal(page.statusCode, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /form-action 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    // Scripts only from files of the site: no inline script, event handler or style attribute.
    assert.doesNotMatch(
      page.body,
      /<script(?![^>]*\ssrc="\/static\/)|<script[^>]*>[^<]|\son[a-z]+=|\sstyle=/i,
    );
    assert.equal(page.headers['cache-control'], 'no-store');
    const cookie = String(page.headers['set-cookie']);
    assert.match(cookie, /^nugget-sign-in=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
  });

  test('sign-in without the form token, with a wrong one, or from another site: 403 and no session', async () => {
    const browser = new WebFormClient(feed.app);
    const form = await browser.get('/ui/sign-in');
    const token = WebFormClient.csrfOf(form);
    for (const [fields, headers] of [
      [{ key: testApiKey }, {}],
      [{ key: testApiKey, csrf_token: 'x'.repeat(43) }, {}],
      [{ key: testApiKey, csrf_token: token }, { 'sec-fetch-site': 'cross-site' }],
      [
        { key: testApiKey, csrf_token: token },
        { 'sec-fetch-site': '', origin: 'https://evil.example' },
      ],
    ] as const) {
      const refused = await browser.post('/ui/sign-in', fields, headers);
      assert.equal(refused.statusCode, 403, JSON.stringify(fields) + JSON.stringify(headers));
      assert.match(refused.headers['content-type'] as string, /text\/html/);
      assert.equal(browser.cookies.has('nugget-session'), false);
    }
  });

  test('a wrong key is refused with the reason; a right one signs in with an HttpOnly, SameSite session', async () => {
    const browser = new WebFormClient(feed.app);
    const wrong = await browser.signIn('ngt_0123456789abcdef_' + 'a'.repeat(43));
    assert.equal(wrong.statusCode, 403);
    assert.match(wrong.body, /The API key is not valid on this server/);
    const signedIn = await browser.signIn(testApiKey);
    assert.equal(signedIn.statusCode, 303);
    assert.equal(signedIn.headers.location, '/ui/admin');
    const cookie = String(signedIn.headers['set-cookie']);
    assert.match(cookie, /nugget-session=nus_/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/, 'plain http: a Secure cookie would never come back');
    const admin = await browser.get('/ui/admin');
    assert.equal(admin.statusCode, 200);
    assert.match(admin.body, /Signed in as <strong>bootstrap<\/strong>/);
  });

  test('anonymous visitors of admin pages are sent to the sign-in page and back', async () => {
    const page = await new WebFormClient(feed.app).get('/ui/admin/keys');
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, '/ui/sign-in?next=%2Fui%2Fadmin%2Fkeys');
  });

  test('next= never leads off the site', async () => {
    const browser = new WebFormClient(feed.app);
    const form = await browser.get('/ui/sign-in?next=//evil.example/x');
    assert.match(form.body, /name="next" value="\/ui\/admin"/);
    for (const next of ['//evil.example', 'https://evil.example', '/\\evil.example']) {
      const form2 = await browser.get('/ui/sign-in');
      const signedIn = await browser.post('/ui/sign-in', {
        csrf_token: WebFormClient.csrfOf(form2, '/ui/sign-in'),
        key: testApiKey,
        next,
      });
      assert.equal(signedIn.headers.location, '/ui/admin', next);
    }
  });

  test('create a key (shown once), use it on the API, revoke it; without the token nothing is created', async () => {
    const admin = new WebFormClient(feed.app);
    await admin.signIn(testApiKey);
    const keysPage = await admin.get('/ui/admin/keys');
    const token = WebFormClient.csrfOf(keysPage);
    const fields = {
      name: 'from-web',
      scopes: ['push', 'push-new'],
      packages: 'Web.*',
      feeds: 'team-a',
      expires: '30d',
    };
    const forged = await admin.post('/ui/admin/keys', { ...fields, csrf_token: 'wrong' });
    assert.equal(forged.statusCode, 403);
    assert.equal(
      (await feed.services.apiKeys.list()).some((key) => key.name === 'from-web'),
      false,
    );
    const created = await admin.post('/ui/admin/keys', { ...fields, csrf_token: token });
    assert.equal(created.statusCode, 200);
    const key = /<code class="secret" id="new-key">(ngt_[^<]+)<\/code>/.exec(created.body)?.[1];
    assert.ok(key, 'the secret is shown');
    assert.equal((await admin.get('/ui/admin/keys')).body.includes(key), false, 'and only once');
    const pushed = await feed.push(await buildNupkg({ id: 'Web.Lib', version: '1.0.0' }), {
      feed: 'team-a',
      key,
    });
    assert.equal(pushed.statusCode, 201);
    const stored = (await feed.services.apiKeys.list()).find((k) => k.name === 'from-web');
    assert.deepEqual(
      [stored?.scopes, stored?.packages, stored?.feeds],
      [['push', 'push-new'], ['Web.*'], ['team-a']],
    );
    // A session made with the key, ended by revoking the key.
    const user = new WebFormClient(feed.app);
    assert.equal((await user.signIn(key)).statusCode, 303);
    assert.equal((await user.get('/ui/admin/feeds/team-a/upload')).statusCode, 200);
    const revoked = await admin.post(`/ui/admin/keys/${stored?.keyId}/revoke`, { csrf_token: token });
    assert.equal(revoked.statusCode, 303);
    const refused = await feed.push(await buildNupkg({ id: 'Web.Lib', version: '2.0.0' }), {
      feed: 'team-a',
      key,
    });
    assert.equal(refused.statusCode, 403);
    assert.equal(
      (await user.get('/ui/admin/feeds/team-a/upload')).statusCode,
      303,
      'the session ended with its key',
    );
  });

  test('a key for feed A sees nothing of feed B and no server admin page', async () => {
    const browser = new WebFormClient(feed.app);
    await browser.signIn(readerOfTeamA);
    const ownVersion = await browser.get('/ui/admin/feeds/team-a/version?id=Contoso.Core&version=1.0.0');
    assert.equal(ownVersion.statusCode, 200);
    const otherVersion = await browser.get('/ui/admin/feeds/team-b/version?id=Contoso.Core&version=1.0.0');
    assert.equal(otherVersion.statusCode, 404);
    assert.doesNotMatch(otherVersion.body, /Contoso/);
    for (const url of ['/ui/admin/keys', '/ui/admin/feeds', '/ui/admin/audit', '/ui/admin/upstreams']) {
      const page = await browser.get(url);
      assert.equal(page.statusCode, 403, url);
      assert.match(page.body, /reader-a/, 'the reason authorize() gives');
    }
    const index = await browser.get('/ui/admin');
    assert.match(index.body, /team-a/);
    assert.doesNotMatch(index.body, /team-b/);
  });

  test('unlist and relist from the version page, audited with the person as actor', async () => {
    const browser = new WebFormClient(feed.app);
    await browser.signIn(readerOfTeamA);
    const page = await browser.get('/ui/admin/feeds/team-a/version?id=Contoso.Core&version=1.0.0');
    const token = WebFormClient.csrfOf(page);
    const base = '/ui/admin/feeds/team-a/packages/Contoso.Core/1.0.0';
    const listed = async () =>
      (await feed.services.feeds.get('team-a')).stores.packages
        .findVersion('contoso.core', '1.0.0')
        .then((version) => version?.listed);
    assert.equal((await browser.post(`${base}/unlist`, { csrf_token: 'nope' })).statusCode, 403);
    assert.equal(await listed(), true, 'a refused form changes nothing');
    assert.equal((await browser.post(`${base}/unlist`, { csrf_token: token })).statusCode, 303);
    assert.equal(await listed(), false);
    assert.match(
      (await browser.get('/ui/admin/feeds/team-a/version?id=Contoso.Core&version=1.0.0')).body,
      /Relist/,
    );
    assert.equal((await browser.post(`${base}/relist`, { csrf_token: token })).statusCode, 303);
    assert.equal(await listed(), true);
    const entries = await feed.services.audit.list({ limit: 10, feed: 'team-a' });
    assert.deepEqual(
      entries.slice(0, 2).map((entry) => [entry.action, entry.actor, entry.outcome]),
      [
        ['relist', 'reader-a', 'success'],
        ['unlist', 'reader-a', 'success'],
      ],
    );
    // Deleting is for feeds that delete, and for keys whose scopes allow it.
    assert.equal((await browser.post(`${base}/delete`, { csrf_token: token })).statusCode, 400);
  });

  test('upload a .nupkg: published through the same use case and limits; no temp file left on failure', async () => {
    const browser = new WebFormClient(feed.app);
    await browser.signIn(testApiKey);
    const form = await browser.get('/ui/admin/feeds/team-b/upload');
    assert.equal(form.statusCode, 200);
    const action = /action="([^"]+)"/.exec(form.body.slice(form.body.indexOf('class="upload"') - 200))?.[1];
    assert.ok(action);
    const url = action.replace(/&amp;/g, '&');
    const withoutToken = await browser.upload(
      '/ui/admin/feeds/team-b/upload',
      'x.nupkg',
      await buildNupkg({ id: 'Up.Lib', version: '1.0.0' }),
    );
    assert.equal(withoutToken.statusCode, 403);
    const uploaded = await browser.upload(
      url,
      'up.nupkg',
      await buildNupkg({ id: 'Up.Lib', version: '1.0.0' }),
    );
    assert.equal(uploaded.statusCode, 303, uploaded.body);
    assert.match(String(uploaded.headers.location), /version\?id=Up\.Lib&version=1\.0\.0/);
    const restored = await feed.get('/feeds/team-b/v3/flatcontainer/up.lib/index.json', {
      'x-nuget-apikey': testApiKey,
    });
    assert.deepEqual(JSON.parse(restored.body), { versions: ['1.0.0'] });
    const duplicate = await browser.upload(
      url,
      'up.nupkg',
      await buildNupkg({ id: 'Up.Lib', version: '1.0.0' }),
    );
    assert.equal(duplicate.statusCode, 409);
    const tooLarge = await browser.upload(url, 'big.nupkg', Buffer.alloc(128 * 1024, 7));
    assert.equal(tooLarge.statusCode, 413);
    const garbage = await browser.upload(url, 'bad.nupkg', Buffer.from('not a zip'));
    assert.equal(garbage.statusCode, 400);
    assert.deepEqual(await readdir(feed.services.options.tempDir), []);
  });

  test('a server admin changes the settings of a feed, deprecates a version and filters the audit log', async () => {
    const admin = new WebFormClient(feed.app);
    await admin.signIn(testApiKey);
    const feeds = await admin.get('/ui/admin/feeds');
    const token = WebFormClient.csrfOf(feeds);
    const settings = {
      private: 'true',
      deleteBehavior: 'delete',
      maxPackageSize: '10MB',
      allowRepushAfterDelete: 'inherit',
      description: 'Team A',
    };
    assert.equal(
      (await admin.post('/ui/admin/feeds/team-a', { ...settings, csrf_token: 'wrong' })).statusCode,
      403,
    );
    assert.equal((await feed.services.feeds.get('team-a')).feed.description, '');
    assert.equal(
      (await admin.post('/ui/admin/feeds/team-a', { ...settings, csrf_token: token })).statusCode,
      303,
    );
    const changed = (await feed.services.feeds.get('team-a')).feed;
    assert.deepEqual(
      [changed.description, changed.settings.deleteBehavior, changed.settings.maxPackageSize],
      ['Team A', 'delete', 10 * 1024 * 1024],
    );
    const bad = await admin.post('/ui/admin/feeds/team-a', {
      ...settings,
      maxPackageSize: 'huge',
      csrf_token: token,
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /maxPackageSize/);
    const base = '/ui/admin/feeds/team-a/packages/Contoso.Core/1.0.0';
    const deprecated = await admin.post(`${base}/deprecate`, {
      csrf_token: token,
      reasons: ['Legacy', 'CriticalBugs'],
      message: 'Use Contoso.Next',
      alternateId: 'Contoso.Next',
      alternateRange: '',
    });
    assert.equal(deprecated.statusCode, 303, deprecated.body);
    const version = await (
      await feed.services.feeds.get('team-a')
    ).stores.packages.findVersion('contoso.core', '1.0.0');
    assert.deepEqual(version?.deprecation?.reasons, ['Legacy', 'CriticalBugs']);
    assert.equal(version?.deprecation?.alternatePackage?.id, 'Contoso.Next');
    const audit = await admin.get('/ui/admin/audit?feed=team-a&action=deprecate&actor=bootstrap');
    assert.equal(audit.statusCode, 200);
    assert.match(audit.body, /<td>deprecate<\/td>/);
    assert.doesNotMatch(audit.body, /<td>unlist<\/td>/);
    assert.equal((await admin.get('/ui/admin/audit?action=nonsense')).statusCode, 400);
    assert.equal((await admin.get('/ui/admin/upstreams')).statusCode, 200);
  });

  test('sign-out ends the session on the server: the old cookie no longer works', async () => {
    const browser = new WebFormClient(feed.app);
    await browser.signIn(testApiKey);
    const session = browser.cookies.get('nugget-session');
    const admin = await browser.get('/ui/admin');
    assert.match(admin.body, /href="\/ui\/sign-out"/, 'the layout offers signing out');
    const page = await browser.get('/ui/sign-out');
    assert.equal((await browser.post('/ui/sign-out', { csrf_token: 'wrong' })).statusCode, 403);
    const out = await browser.post('/ui/sign-out', { csrf_token: WebFormClient.csrfOf(page) });
    assert.equal(out.statusCode, 303);
    assert.equal(browser.cookies.has('nugget-session'), false);
    browser.cookies.set('nugget-session', session ?? '');
    assert.equal((await browser.get('/ui/admin')).statusCode, 303);
  });
});

describe('web UI sessions over https', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ trustProxy: true });
  });
  after(() => feed.close());

  test('behind a trusted proxy that says https: __Host- cookies, Secure', async () => {
    const browser = new WebFormClient(feed.app, {
      origin: 'https://nuget.example.com',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'nuget.example.com' },
    });
    const signedIn = await browser.signIn(testApiKey);
    assert.equal(signedIn.statusCode, 303);
    const cookie = String(signedIn.headers['set-cookie']);
    assert.match(cookie, /__Host-nugget-session=nus_/);
    assert.match(cookie, /Secure/);
    assert.match(cookie, /Path=\//);
    assert.equal((await browser.get('/ui/admin')).statusCode, 200);
  });
});
