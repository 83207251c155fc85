// Trusted publishing (docs/trusted-publishing.md) over HTTP, as a suite run on each storage: a local OpenID Connect issuer on https
// (test/support/oidc-issuer.ts) signs GitHub- and GitLab-shaped tokens, the server fetches its keys through the
// configured test CA, and the exchange at /api/v2/token answers as nuget.org's does for the NuGet/login action.
// The server's clock is the test's, so the issued key's hour can pass.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { base64url, SignJWT } from 'jose';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { newSigningKey, startTestIssuer, type TestIssuer } from '../support/oidc-issuer.ts';
import {
  assertClientError,
  type JsonObject,
  parseJson,
  type Response,
  startFeed,
  type TestFeed,
} from './feed-fixture.ts';

const audience = 'https://nuget.test';
type Headers = Record<string, string>;

/** The exchange and its refusals, on the storage `variant` configures (SQLite here, PostgreSQL in test/storage/). */
export function trustedPublishingSuite(variant: {
  name: string;
  config: () => Promise<Record<string, unknown>>;
}): void {
  describe(`trusted publishing (${variant.name})`, () => {
    let dir: string;
    let issuer: TestIssuer;
    let server: TestFeed;
    let admin: Headers;
    let now = new Date();
    const clock = { now: () => now };
    const json = { 'content-type': 'application/json' };

    const adminRequest = (method: string, url: string, body?: unknown, headers: Headers = admin) =>
      server.request(method, url, {
        headers: { ...headers, ...(body === undefined ? {} : json) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const addPolicy = async (policy: JsonObject): Promise<JsonObject> => {
      const response = await adminRequest('POST', '/admin/trust-policies', policy);
      assert.equal(response.statusCode, 201, response.body);
      return parseJson(response);
    };
    const exchange = (
      token: string | undefined,
      body: unknown = { username: 'ci-bot', tokenType: 'ApiKey' },
      url = '/api/v2/token',
    ) =>
      server.request('POST', url, {
        headers: { ...json, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(body),
      });
    const keyCount = async () => (await server.services.apiKeys.list()).length;
    const push = async (key: string, id: string, version = '1.0.0', feed = 'ci') =>
      server.push(await buildNupkg({ id, version }), { feed, key });

    /** The refusal as the NuGet/login action reads it: a 4xx with {"error": "<message>"}. */
    function refusal(response: Response, status: number | number[]): { error: string; code: string } {
      const allowed = Array.isArray(status) ? status : [status];
      assert.ok(
        allowed.includes(response.statusCode),
        `expected ${allowed.join('/')}, got ${response.statusCode}: ${response.body}`,
      );
      assert.match(String(response.headers['content-type']), /^application\/json/);
      const body = parseJson(response);
      assert.equal(typeof body['error'], 'string', response.body);
      assert.ok(body['error'].length > 0);
      if (response.statusCode === 401) assert.match(String(response.headers['www-authenticate']), /^Bearer /);
      return body as { error: string; code: string };
    }

    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'nugget-trust-'));
      issuer = await startTestIssuer(dir);
      server = await startFeed({
        clock,
        config: {
          ...(await variant.config()),
          trustedPublishingAudience: audience,
          trustedPublishingIssuers: issuer.issuersFlag,
          trustedPublishingCa: issuer.certificate.caFile,
          // Refusals come in a row here; the limiter has its own tests.
          authFailureLimit: 0,
        },
      });
      admin = { 'x-nuget-apikey': server.apiKey ?? '' };
      for (const name of ['ci', 'other']) {
        assert.equal((await adminRequest('PUT', `/admin/feeds/${name}`, {})).statusCode, 201);
      }
      await addPolicy({
        feed: 'ci',
        user: 'ci-bot',
        kind: 'github',
        repositoryOwner: 'contoso',
        repository: 'lib',
        workflow: 'release.yml',
        scopes: ['push-new', 'push'],
        packages: ['Contoso.*'],
      });
      await addPolicy({
        feed: 'ci',
        user: 'gl-bot',
        kind: 'gitlab',
        namespace: 'contoso/libraries',
        project: 'core',
        ref: 'main',
        environment: 'production',
        scopes: 'push-new,push',
        packages: 'Contoso.*',
      });
    });
    after(async () => {
      await server?.close();
      await issuer?.close();
      await rm(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      now = new Date();
    });

    test("a GitHub token is exchanged for a key that pushes the policy's ids on its feed, for one hour", async () => {
      const response = await exchange(await issuer.github(audience, now));
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.headers['cache-control'], 'no-store');
      const body = parseJson(response);
      assert.match(body['apiKey'], /^ngt_[0-9a-f]{16}_/);
      assert.equal(body['feed'], 'ci');
      assert.equal(Date.parse(body['expires']), now.getTime() + 3_600_000);
      // The issuer's keys came over https, through the configured CA.
      assert.ok(issuer.requests.includes('/github/.well-known/openid-configuration'), issuer.requests.join());
      assert.ok(issuer.requests.includes('/github/jwks'));

      const key: string = body['apiKey'];
      assert.equal((await push(key, 'Contoso.Trusted')).statusCode, 201);
      // Not outside its ids, and not on another feed.
      const outside = assertClientError(await push(key, 'Other.Lib'), 403);
      assert.match(outside.message, /may push only ids matching Contoso\.\*/);
      assertClientError(await push(key, 'Contoso.Elsewhere', '1.0.0', 'other'), 403);

      // Stored like every key: hashed, named after the repository and run, issued by the policy.
      const stored = (await server.services.apiKeys.list()).find((k) => key.includes(k.keyId));
      assert.equal(stored?.name, 'github:contoso/lib@release.yml run 4242.1');
      assert.deepEqual(stored?.feeds, ['ci']);
      assert.ok(stored?.trustPolicy);
      const audit = parseJson(await adminRequest('GET', '/admin/audit?limit=20'))['entries'] as JsonObject[];
      const issued = audit.find((e) => e['action'] === 'exchange-token' && e['outcome'] === 'success');
      assert.equal(issued?.['actor'], 'github:contoso/lib@release.yml run 4242.1');
      assert.equal(issued?.['detail'].run_id, '4242');
      const pushed = audit.find((e) => e['action'] === 'push' && e['packageId'] === 'Contoso.Trusted');
      assert.equal(pushed?.['actor'], 'github:contoso/lib@release.yml run 4242.1');

      // An hour later the key no longer works.
      now = new Date(now.getTime() + 3_600_000 + 1000);
      const expired = assertClientError(await push(key, 'Contoso.Trusted', '2.0.0'), 403);
      assert.equal(expired.code, 'api_key_expired');
    });

    test("a GitLab job's token is exchanged too; the policy's environment and branch must match", async () => {
      const job = { environment: 'production', jobId: '601' };
      const response = await exchange(await issuer.gitlab(audience, now, job), { username: 'gl-bot' });
      assert.equal(response.statusCode, 200, response.body);
      const key: string = parseJson(response)['apiKey'];
      assert.equal((await push(key, 'Contoso.FromGitLab')).statusCode, 201);
      const stored = (await server.services.apiKeys.list()).find((k) => key.includes(k.keyId));
      assert.equal(stored?.name, 'gitlab:contoso/libraries/core@main pipeline 500 job 601');

      const staging = refusal(
        await exchange(await issuer.gitlab(audience, now, { environment: 'staging' }), {
          username: 'gl-bot',
        }),
        403,
      );
      assert.match(staging.error, /environment 'staging' does not match/);
      const tag = refusal(
        await exchange(await issuer.gitlab(audience, now, { ...job, refType: 'tag', ref: 'v1' }), {
          username: 'gl-bot',
        }),
        403,
      );
      assert.match(tag.error, /ref_type 'tag'/);
    });

    describe('refusals: a 4xx the action prints, and no key', () => {
      const wrongKey = newSigningKey('k-unknown');
      const cases: [string, () => Promise<Response>, number, RegExp][] = [
        ['no bearer token', () => exchange(undefined), 401, /Authorization: Bearer/],
        ['not a JWT', () => exchange('not-a-token'), 401, /not a signed JWT/],
        [
          'wrong audience',
          async () => exchange(await issuer.github('https://www.nuget.org', now)),
          401,
          /audience .*https:\/\/nuget\.test/,
        ],
        [
          'wrong repository',
          async () => exchange(await issuer.github(audience, now, { repository: 'other' })),
          403,
          /repository 'contoso\/other' does not match/,
        ],
        [
          'wrong owner',
          async () => exchange(await issuer.github(audience, now, { owner: 'evil' })),
          403,
          /repository_owner 'evil'/,
        ],
        [
          'wrong workflow',
          async () => exchange(await issuer.github(audience, now, { workflow: 'ci.yml' })),
          403,
          /job_workflow_ref '.*ci\.yml.*' does not match/,
        ],
        [
          'expired',
          async () => exchange(await issuer.github(audience, new Date(now.getTime() - 3_600_000))),
          401,
          /expired/,
        ],
        [
          'not yet valid',
          async () =>
            exchange(await issuer.github(audience, now, {}, { nbf: Math.floor(now.getTime() / 1000) + 900 })),
          401,
          /not valid yet/,
        ],
        [
          'alg none',
          async () => {
            const [, payload] = (await issuer.github(audience, now)).split('.');
            return exchange(`${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`);
          },
          401,
          /'none', which is not accepted/,
        ],
        [
          "HS256 with the issuer's public key as the secret",
          async () => {
            const [, payload] = (await issuer.github(audience, now)).split('.');
            const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
            const jwk = issuer.keys[0]?.jwk;
            const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({
              type: 'spki',
              format: 'pem',
            });
            const token = await new SignJWT(claims)
              .setProtectedHeader({ alg: 'HS256', kid: jwk?.kid ?? '' })
              .sign(new TextEncoder().encode(String(pem)));
            return exchange(token);
          },
          401,
          /'HS256', which is not accepted/,
        ],
        [
          'unknown kid',
          async () => {
            const token = await issuer.github(audience, now);
            const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
            return exchange(await issuer.sign(claims, { key: await wrongKey }));
          },
          401,
          /No signing key .* matches the token's key id/,
        ],
        [
          "a key of someone else under the issuer's kid",
          async () => {
            const token = await issuer.github(audience, now);
            const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
            return exchange(
              await issuer.sign(claims, { key: await wrongKey, kid: issuer.keys[0]?.kid ?? '' }),
            );
          },
          401,
          /signature is invalid/,
        ],
        [
          'a token for another feed',
          async () => exchange(await issuer.github(audience, now), undefined, '/feeds/other/api/v2/token'),
          403,
          /No trust policy of user 'ci-bot' on feed 'other'/,
        ],
        [
          'another user name',
          async () => exchange(await issuer.github(audience, now), { username: 'mallory' }),
          403,
          /No trust policy of user 'mallory'/,
        ],
        [
          "a GitHub token for the GitLab policy's user",
          async () => exchange(await issuer.github(audience, now), { username: 'gl-bot' }),
          403,
          /No trust policy/,
        ],
        [
          'no username',
          async () => exchange(await issuer.github(audience, now), { tokenType: 'ApiKey' }),
          400,
          /no username/,
        ],
        [
          'another token type',
          async () => exchange(await issuer.github(audience, now), { username: 'ci-bot', tokenType: 'Jwt' }),
          400,
          /tokenType 'Jwt' is not supported/,
        ],
        [
          'a feed that does not exist',
          async () => exchange(await issuer.github(audience, now), undefined, '/feeds/nope/api/v2/token'),
          404,
          /nope/,
        ],
      ];
      for (const [what, send, status, message] of cases) {
        test(`${what} -> ${status}`, async () => {
          const keysBefore = await keyCount();
          const { error } = refusal(await send(), status);
          assert.match(error, message);
          assert.equal(await keyCount(), keysBefore, 'a refused exchange leaves no key');
        });
      }

      test('a token is accepted once: the replay is refused and leaves no key', async () => {
        const token = await issuer.github(audience, now, { runId: '5000' });
        assert.equal((await exchange(token)).statusCode, 200);
        const keysBefore = await keyCount();
        const { code } = refusal(await exchange(token), 401);
        assert.equal(code, 'oidc_token_replayed');
        assert.equal(await keyCount(), keysBefore);
      });

      test('the same token sent twice at once gives one key', async () => {
        const token = await issuer.github(audience, now, { runId: '6000' });
        const keysBefore = await keyCount();
        const answers = await Promise.all([exchange(token), exchange(token), exchange(token)]);
        assert.deepEqual(answers.map((a) => a.statusCode).sort(), [200, 401, 401]);
        assert.equal(await keyCount(), keysBefore + 1);
      });

      test('until the token validates, nothing about the policies is told', async () => {
        const token = await issuer.github('https://elsewhere', now, { repository: 'other' });
        const { error } = refusal(await exchange(token), 401);
        assert.doesNotMatch(error, /polic|ci-bot|contoso\/lib|release\.yml/i);
        const mismatch = refusal(
          await exchange(await issuer.github(audience, now, { repository: 'other' })),
          403,
        );
        assert.doesNotMatch(mismatch.error, /contoso\/lib\b|'lib'/, "the policy's own values are not told");
      });
    });

    test('the owner and repository ids are recorded at first use: a re-created repository is not trusted', async () => {
      const policy = await addPolicy({
        feed: 'other',
        user: 'pin-bot',
        kind: 'github',
        repository: 'fabrikam/tool',
        workflow: '.github/workflows/publish.yml',
        scopes: ['push-new'],
      });
      const run = {
        owner: 'fabrikam',
        repository: 'tool',
        workflow: 'publish.yml',
        ownerId: '31',
        repositoryId: '41',
      };
      assert.equal(
        (await exchange(await issuer.github(audience, now, run), { username: 'pin-bot' })).statusCode,
        200,
      );
      const shown = parseJson(await adminRequest('GET', `/admin/trust-policies/${policy['id']}`));
      assert.deepEqual(shown['pinned'], { repository_owner_id: '31', repository_id: '41' });
      const recreated = await issuer.github(audience, now, { ...run, repositoryId: '999' });
      const { error } = refusal(await exchange(recreated, { username: 'pin-bot' }), 403);
      assert.match(error, /repository_id '999' is not the one recorded/);
    });

    test('removing a policy revokes the keys it issued', async () => {
      const policy = await addPolicy({
        feed: 'other',
        user: 'gone-bot',
        kind: 'github',
        repositoryOwner: 'contoso',
        repository: 'gone',
        workflow: 'release.yml',
        scopes: ['push-new'],
      });
      const response = await exchange(await issuer.github(audience, now, { repository: 'gone' }), {
        username: 'gone-bot',
      });
      const key: string = parseJson(response)['apiKey'];
      const removed = await adminRequest('DELETE', `/admin/trust-policies/${policy['id']}`);
      assert.equal(removed.statusCode, 200, removed.body);
      assert.equal(parseJson(removed)['revokedKeys'], 1);
      assert.equal(
        assertClientError(await push(key, 'Gone.Lib', '1.0.0', 'other'), 403).code,
        'api_key_revoked',
      );
      assert.equal((await adminRequest('GET', `/admin/trust-policies/${policy['id']}`)).statusCode, 404);
    });

    test('a token that matches policies on two feeds must name the feed in the URL', async () => {
      for (const feed of ['ci', 'other']) {
        await addPolicy({
          feed,
          user: 'both-bot',
          kind: 'github',
          repository: 'contoso/both',
          workflow: 'release.yml',
          scopes: ['push-new'],
        });
      }
      const ambiguous = refusal(
        await exchange(await issuer.github(audience, now, { repository: 'both' }), { username: 'both-bot' }),
        409,
      );
      assert.match(ambiguous.error, /feeds ci, other: exchange it at \/feeds\/\{name\}\/api\/v2\/token/);
      const response = await exchange(
        await issuer.github(audience, now, { repository: 'both' }),
        { username: 'both-bot' },
        '/feeds/other/api/v2/token',
      );
      assert.equal(parseJson(response)['feed'], 'other');
    });

    test("a feed's maxApiKeyLifetime caps the keys created for it; issued keys stay within it", async () => {
      const { createApiKey } = await import('../../src/auth/manage-api-keys.ts');
      const bad = assertClientError(
        await adminRequest('PATCH', '/admin/feeds/other', { maxApiKeyLifetime: '0.5h' }),
        400,
      );
      assert.match(bad.message, /maxApiKeyLifetime: must be at least 1h/);
      assert.equal(
        (await adminRequest('PATCH', '/admin/feeds/other', { maxApiKeyLifetime: '8d' })).statusCode,
        200,
      );
      const day = 24 * 3_600_000;
      const create = (name: string, feeds: string[], expires: Date | undefined) =>
        createApiKey(
          server.services,
          { actor: 'test', source: 'test' },
          { name, scopes: ['push'], packages: ['*'], feeds, expires },
        );
      await assert.rejects(
        create('too-long', ['other'], new Date(now.getTime() + 30 * day)),
        /Feed 'other' allows API keys of at most 8 days/,
      );
      await assert.rejects(create('forever', ['other'], undefined), /at most 8 days: give an expiry/);
      // A key for every feed is a key for this one too.
      await assert.rejects(create('everywhere', ['*'], new Date(now.getTime() + 30 * day)), /Feed 'other'/);
      await create('within', ['other'], new Date(now.getTime() + 8 * day));
      await create('elsewhere', ['ci'], new Date(now.getTime() + 30 * day));

      await addPolicy({
        feed: 'other',
        user: 'capped-bot',
        kind: 'github',
        repository: 'contoso/capped',
        workflow: 'release.yml',
        scopes: ['push-new'],
      });
      const issued = parseJson(
        await exchange(await issuer.github(audience, now, { repository: 'capped' }), {
          username: 'capped-bot',
        }),
      );
      assert.equal(Date.parse(issued['expires']), now.getTime() + 3_600_000);
      assert.equal(
        (await adminRequest('PATCH', '/admin/feeds/other', { maxApiKeyLifetime: null })).statusCode,
        200,
      );
    });

    test('deleting a feed removes its trust policies', async () => {
      assert.equal((await adminRequest('PUT', '/admin/feeds/doomed', {})).statusCode, 201);
      const policy = await addPolicy({
        feed: 'doomed',
        user: 'doomed-bot',
        kind: 'github',
        repository: 'contoso/doomed',
        workflow: 'release.yml',
        scopes: ['push-new'],
      });
      assert.equal((await adminRequest('DELETE', '/admin/feeds/doomed')).statusCode, 200);
      assert.equal((await adminRequest('GET', `/admin/trust-policies/${policy['id']}`)).statusCode, 404);
      const refused = refusal(
        await exchange(await issuer.github(audience, now, { repository: 'doomed' }), {
          username: 'doomed-bot',
        }),
        403,
      );
      assert.equal(refused.code, 'trust_policy_not_found');
    });

    describe('the admin API of policies', () => {
      test("needs the admin scope, on the policy's feed", async () => {
        const { createApiKey } = await import('../../src/auth/manage-api-keys.ts');
        const make = async (name: string, scopes: string[], feeds: string[]) =>
          (
            await createApiKey(
              server.services,
              { actor: 'test', source: 'test' },
              { name, scopes: scopes as never, packages: ['*'], feeds },
            )
          ).key;
        const pusher = { 'x-nuget-apikey': await make('pusher', ['push'], ['*']) };
        const ciAdmin = { 'x-nuget-apikey': await make('ci-admin', ['admin'], ['ci']) };
        const body = {
          feed: 'other',
          user: 'x',
          kind: 'github',
          repository: 'a/b',
          workflow: 'r.yml',
          scopes: ['push'],
        };
        assertClientError(await adminRequest('POST', '/admin/trust-policies', body, pusher), 403);
        assertClientError(await adminRequest('POST', '/admin/trust-policies', body, ciAdmin), 403);
        assertClientError(await adminRequest('POST', '/admin/trust-policies', body, {}), 401);
        assert.equal(
          (await adminRequest('POST', '/admin/trust-policies', { ...body, feed: 'ci' }, ciAdmin)).statusCode,
          201,
        );
        const listed = parseJson(await adminRequest('GET', '/admin/trust-policies', undefined, ciAdmin));
        assert.ok((listed['policies'] as JsonObject[]).every((p) => p['feed'] === 'ci'));
      });

      test('bad policies get a 400 that says what to give', async () => {
        const base = {
          feed: 'ci',
          user: 'x',
          kind: 'github',
          repository: 'a/b',
          workflow: 'r.yml',
          scopes: ['push'],
        };
        const rows: [JsonObject, RegExp][] = [
          [{ ...base, kind: 'jenkins' }, /not a kind of trust policy/],
          [{ ...base, workflow: undefined }, /needs workflow file/],
          [{ ...base, scopes: ['admin'] }, /may not grant the admin scope/],
          [{ ...base, scopes: [] }, /at least one scope/],
          [{ ...base, user: 'has space' }, /not a user name/],
          [{ ...base, repositoryId: '5' }, /both repository_owner_id and repository_id/],
          [{ ...base, issuer: 'https://elsewhere.example' }, /not a github issuer this server trusts/],
        ];
        for (const [body, message] of rows) {
          assert.match(
            assertClientError(
              await adminRequest('POST', '/admin/trust-policies', body),
              400,
              JSON.stringify(body),
            ).message,
            message,
          );
        }
        assertClientError(
          await adminRequest('POST', '/admin/trust-policies', { ...base, feed: 'nope' }),
          404,
        );
      });
    });
  });
}
