// Single sign-on to the web UI through a real OpenID Connect provider (oidc-provider, started by the test on
// 127.0.0.1): authorization code with PKCE, state and nonce; groups mapped to roles by --sso-roles; the client
// secret read from a file (NUGGET_SSO_CLIENT_SECRET_FILE). docs/web-ui.md.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveConfig } from '../../src/config/config.ts';
import { createFeed } from '../../src/packages/manage-feeds.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import {
  startOidcProvider,
  type TestAccount,
  type TestOidcProvider,
} from '../support/oidc-provider-server.ts';
import { WebFormClient } from '../support/web-form-client.ts';
import { startFeed, type TestFeed } from './feed-fixture.ts';

const publicUrl = 'http://nuget.test';
const alice: TestAccount = { sub: 'alice-1', email: 'alice@example.com', groups: ['staff', 'nuget-admins'] };
const bob: TestAccount = { sub: 'bob-1', email: 'bob@example.com', groups: ['team-a'] };
const carol: TestAccount = { sub: 'carol-1', email: 'carol@example.com', groups: ['staff'] };

/** Follows the provider's redirects as a browser would (with its cookies), up to the way back to nugget. */
async function throughProvider(provider: TestOidcProvider, start: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = start;
  for (let hop = 0; hop < 10 && url.startsWith(provider.issuer); hop++) {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) cookies.delete(name);
      else cookies.set(name, value);
    }
    const location = response.headers.get('location');
    assert.ok(location, `the provider answered ${response.status} at ${url}: ${await response.text()}`);
    url = new URL(location, url).href;
  }
  return new URL(url);
}

async function ssoSignIn(feed: TestFeed, provider: TestOidcProvider, account: TestAccount) {
  const browser = new WebFormClient(feed.app, { origin: publicUrl });
  provider.signInAs(account);
  const start = await browser.get('/ui/sign-in/sso?next=/ui/admin');
  assert.equal(start.statusCode, 302, start.body);
  const location = String(start.headers.location);
  assert.ok(location.startsWith(`${provider.issuer}/`), location);
  const query = new URL(location).searchParams;
  assert.equal(query.get('code_challenge_method'), 'S256');
  assert.ok(query.get('state') && query.get('nonce') && query.get('code_challenge'));
  const back = await throughProvider(provider, location);
  assert.equal(`${back.origin}${back.pathname}`, `${publicUrl}/ui/sign-in/sso/callback`);
  const finished = await browser.get(`${back.pathname}${back.search}`);
  return { browser, finished, back };
}

describe('web UI single sign-on through an OpenID Connect provider', () => {
  let provider: TestOidcProvider;
  let feed: TestFeed;
  let secretDir: string;
  before(async () => {
    provider = await startOidcProvider({ redirectUri: `${publicUrl}/ui/sign-in/sso/callback` });
    secretDir = await mkdtemp(path.join(os.tmpdir(), 'nugget-sso-'));
    const secretFile = path.join(secretDir, 'client-secret');
    await writeFile(secretFile, `${provider.clientSecret}\n`);
    const config = resolveConfig({
      env: {
        NUGGET_SSO_ISSUER: provider.issuer,
        NUGGET_SSO_CLIENT_ID: provider.clientId,
        NUGGET_SSO_CLIENT_SECRET_FILE: secretFile,
        NUGGET_SSO_ROLES: 'groups:nuget-admins=admin; groups:team-a=publisher@team-a',
      },
    });
    feed = await startFeed({
      publicUrl,
      config: {
        ssoIssuer: config.ssoIssuer,
        ssoClientId: config.ssoClientId,
        ssoClientSecret: config.ssoClientSecret,
        ssoRoles: config.ssoRoles,
      },
    });
    const deps = {
      feeds: feed.services.feedStore,
      directory: feed.services.feeds,
      blobs: feed.services.blobs,
      audit: feed.services.audit,
      clock: feed.services.clock,
    };
    await createFeed(deps, { actor: 'cli', source: 'cli' }, { name: 'team-a', overrides: { private: true } });
    await createFeed(deps, { actor: 'cli', source: 'cli' }, { name: 'team-b', overrides: { private: true } });
    await feed.push(await buildNupkg({ id: 'Team.B', version: '1.0.0' }), { feed: 'team-b' });
  });
  after(async () => {
    await feed?.close();
    await provider?.close();
    await rm(secretDir, { recursive: true, force: true });
  });

  test('the sign-in page offers single sign-on', async () => {
    const page = await new WebFormClient(feed.app).get('/ui/sign-in');
    assert.match(page.body, /href="\/ui\/sign-in\/sso\?next=%2Fui%2Fadmin"/);
  });

  test('a member of the admins group signs in as a server admin', async () => {
    const { browser, finished } = await ssoSignIn(feed, provider, alice);
    assert.equal(finished.statusCode, 303, finished.body);
    assert.equal(finished.headers.location, '/ui/admin');
    assert.match(String(finished.headers['set-cookie']), /nugget-session=nus_.*HttpOnly.*SameSite=Lax/);
    const keys = await browser.get('/ui/admin/keys');
    assert.equal(keys.statusCode, 200);
    assert.match(keys.body, /Signed in as <strong>sso:alice@example.com<\/strong>/);
  });

  test('a publisher of team-a may upload there, sees nothing of team-b and no server admin page', async () => {
    const { browser, finished } = await ssoSignIn(feed, provider, bob);
    assert.equal(finished.statusCode, 303, finished.body);
    assert.equal((await browser.get('/ui/admin/feeds/team-a/upload')).statusCode, 200);
    assert.equal(
      (await browser.get('/ui/admin/feeds/team-b/version?id=Team.B&version=1.0.0')).statusCode,
      404,
    );
    assert.equal((await browser.get('/ui/admin/keys')).statusCode, 403);
    const upload = await browser.get('/ui/admin/feeds/team-a/upload');
    const action = /action="([^"]+upload[^"]*)"/.exec(upload.body)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(action);
    const uploaded = await browser.upload(
      action,
      'a.nupkg',
      await buildNupkg({ id: 'Team.A', version: '1.0.0' }),
    );
    assert.equal(uploaded.statusCode, 303, uploaded.body);
    const [entry] = await feed.services.audit.list({ limit: 1, feed: 'team-a' });
    assert.deepEqual(
      [entry?.action, entry?.actor, entry?.packageId],
      ['push', 'sso:bob@example.com', 'Team.A'],
    );
  });

  test('someone the provider knows but no rule gives a role is refused, with no session', async () => {
    const { browser, finished } = await ssoSignIn(feed, provider, carol);
    assert.equal(finished.statusCode, 403);
    assert.match(finished.body, /none of your groups or claims gives you a role/);
    assert.equal(browser.cookies.has('nugget-session'), false);
  });

  test('a callback with another state, or without the sign-in this browser started, makes no session', async () => {
    const { browser, back } = await (async () => {
      const b = new WebFormClient(feed.app, { origin: publicUrl });
      provider.signInAs(alice);
      const start = await b.get('/ui/sign-in/sso');
      return { browser: b, back: await throughProvider(provider, String(start.headers.location)) };
    })();
    const forged = new URL(back.href);
    forged.searchParams.set('state', 'not-the-state');
    const refused = await browser.get(`${forged.pathname}${forged.search}`);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /Single sign-on did not complete/);
    assert.equal(browser.cookies.has('nugget-session'), false);
    // The pending sign-in is used up: the right callback afterwards, or one in another browser, is refused too.
    const stranger = new WebFormClient(feed.app, { origin: publicUrl });
    const elsewhere = await stranger.get(`${back.pathname}${back.search}`);
    assert.equal(elsewhere.statusCode, 403);
    assert.match(elsewhere.body, /not started here/);
    assert.equal(stranger.cookies.has('nugget-session'), false);
  });

  test('signing out of an SSO session ends it', async () => {
    const { browser } = await ssoSignIn(feed, provider, alice);
    const page = await browser.get('/ui/sign-out');
    const session = browser.cookies.get('nugget-session') ?? '';
    const out = await browser.post('/ui/sign-out', {
      csrf_token: WebFormClient.csrfOf(page, '/ui/sign-out'),
    });
    assert.equal(out.statusCode, 303);
    browser.cookies.set('nugget-session', session);
    assert.equal((await browser.get('/ui/admin/keys')).statusCode, 303);
  });
});
