// Trusted publishing over HTTP on SQLite (the suite is test/http/trusted-publishing.ts), and what does not depend on
// the storage: keys configured by hand for air-gapped sites, and the limit on refused exchanges.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.ts';
import { parseJson, startFeed, type TestFeed } from './feed-fixture.ts';
import { trustedPublishingSuite } from './trusted-publishing.ts';

const audience = 'https://nuget.test';

trustedPublishingSuite({ name: 'SQLite', config: async () => ({}) });

describe('trusted publishing: keys configured by hand, and the limit on refused exchanges', () => {
  let dir: string;
  let issuer: TestIssuer;
  let server: TestFeed;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nugget-trust-keys-'));
    issuer = await startTestIssuer(dir);
    const jwksFile = path.join(dir, 'github-jwks.json');
    await writeFile(jwksFile, JSON.stringify({ keys: issuer.keys.map((key) => key.jwk) }));
    server = await startFeed({
      config: {
        trustedPublishingAudience: audience,
        trustedPublishingIssuers: issuer.issuersFlag,
        // No CA: this server could not fetch the keys over https even if it tried.
        trustedPublishingKeys: `${issuer.githubUrl}=${jwksFile}`,
        authFailureLimit: 2,
      },
    });
    const admin = { 'x-nuget-apikey': server.apiKey ?? '', 'content-type': 'application/json' };
    const policy = {
      feed: 'default',
      user: 'ci-bot',
      kind: 'github',
      repository: 'contoso/lib',
      workflow: 'release.yml',
      scopes: ['push-new'],
    };
    const created = await server.request('POST', '/admin/trust-policies', {
      headers: admin,
      body: JSON.stringify(policy),
    });
    assert.equal(created.statusCode, 201, created.body);
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const exchange = (token: string) =>
    server.request('POST', '/api/v2/token', {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ username: 'ci-bot', tokenType: 'ApiKey' }),
    });

  test('an air-gapped server verifies with the key set it was given, fetching nothing', async () => {
    const response = await exchange(await issuer.github(audience, new Date()));
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(issuer.requests, []);
  });

  test("an issuer whose keys cannot be fetched (here: its CA is not trusted) is a 503 saying so, not the client's fault", async () => {
    const response = await exchange(await issuer.gitlab(audience, new Date()));
    assert.equal(response.statusCode, 503, response.body);
    const body = parseJson(response);
    assert.equal(body['code'], 'oidc_keys_unavailable');
    assert.match(
      body['error'],
      /The signing keys of https:\/\/127\.0\.0\.1:\d+\/gitlab could not be fetched/,
    );
  });

  test('refused exchanges count against the client: over the limit, 429 with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      statuses.push((await exchange(await issuer.github('https://elsewhere', new Date()))).statusCode);
    }
    assert.deepEqual(statuses.slice(0, 2), [401, 401]);
    const limited = await exchange(await issuer.github(audience, new Date()));
    assert.equal(limited.statusCode, 429, limited.body);
    assert.match(String(limited.headers['retry-after']), /^\d+$/);
    assert.equal(typeof parseJson(limited)['error'], 'string');
  });
});
