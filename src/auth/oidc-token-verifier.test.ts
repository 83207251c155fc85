import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { base64url, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { isNuggetError } from '../errors.ts';
import { type KeyFetch, OidcTokenVerifier } from './oidc-token-verifier.ts';

const issuerUrl = 'https://issuer.example';
const audience = 'https://nuget.example.com';
const now = new Date('2026-06-01T12:00:00Z');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

async function signingKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256') {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk };
}
type SigningKey = Awaited<ReturnType<typeof signingKey>>;

function sign(key: SigningKey, claims: JWTPayload = {}, header: { kid?: string } = {}): Promise<string> {
  return new SignJWT({
    iss: issuerUrl,
    aud: audience,
    iat: seconds(now) - 10,
    nbf: seconds(now) - 10,
    exp: seconds(now) + 300,
    jti: `jti-${Math.random()}`,
    repository: 'contoso/lib',
    ...claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: header.kid ?? key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}

/** What the verifier refused with: the error's code. */
async function refusal(verifier: OidcTokenVerifier, token: string, at = now): Promise<string> {
  try {
    await verifier.verify(token, at);
  } catch (error) {
    assert.ok(isNuggetError(error), `not a NuggetError: ${String(error)}`);
    return `${error.kind}:${error.code}`;
  }
  return 'accepted';
}

describe('OidcTokenVerifier with keys configured by hand', async () => {
  const key = await signingKey('k1');
  const other = await signingKey('k2');
  const verifier = new OidcTokenVerifier({
    issuers: [{ kind: 'github', url: issuerUrl, jwks: { keys: [key.jwk] } }],
    audiences: [audience],
    fetch: () => Promise.reject(new Error('nothing is fetched for configured keys')),
  });

  test('a token signed by the issuer, for this audience, in time, is accepted with its claims', async () => {
    const verified = await verifier.verify(await sign(key), now);
    assert.equal(verified.claims['repository'], 'contoso/lib');
    assert.equal(verified.issuer.url, issuerUrl);
    assert.equal(verified.expires.getTime(), (seconds(now) + 300) * 1000);
    assert.match(verified.tokenId ?? '', /^jti-/);
  });

  test('an ES256 token is accepted too', async () => {
    const ec = await signingKey('ec', 'ES256');
    const ecVerifier = new OidcTokenVerifier({
      issuers: [{ kind: 'gitlab', url: issuerUrl, jwks: { keys: [ec.jwk] } }],
      audiences: [audience],
      fetch: () => Promise.reject(new Error('unused')),
    });
    assert.equal(await refusal(ecVerifier, await sign(ec)), 'accepted');
  });

  test('another audience is refused', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(issuerUrl)
      .setAudience('https://www.nuget.org')
      .setExpirationTime(seconds(now) + 300)
      .sign(key.privateKey);
    assert.equal(await refusal(verifier, token), 'Unauthenticated:oidc_token_audience');
  });

  test('expiry and not-before allow a minute of clock skew, no more', async () => {
    const token = await sign(key);
    assert.equal(await refusal(verifier, token, new Date(now.getTime() + 330_000)), 'accepted');
    assert.equal(
      await refusal(verifier, token, new Date(now.getTime() + 400_000)),
      'Unauthenticated:oidc_token_expired',
    );
    const early = await sign(key, { nbf: seconds(now) + 600 });
    assert.equal(await refusal(verifier, early), 'Unauthenticated:oidc_token_not_yet_valid');
  });

  test('a token without exp is refused', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(issuerUrl)
      .setAudience(audience)
      .sign(key.privateKey);
    assert.equal(await refusal(verifier, token), 'Unauthenticated:oidc_token_invalid');
  });

  test('alg none is refused', async () => {
    const encode = (value: object) => base64url.encode(JSON.stringify(value));
    const payload = { iss: issuerUrl, aud: audience, exp: seconds(now) + 300, repository: 'contoso/lib' };
    const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
    assert.equal(await refusal(verifier, token), 'Unauthenticated:oidc_token_algorithm');
  });

  test("HS256 with the issuer's public key as the secret is refused", async () => {
    const publicPem = createPublicKey({ key: key.jwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    for (const secret of [publicPem, JSON.stringify(key.jwk)]) {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setIssuer(issuerUrl)
        .setAudience(audience)
        .setExpirationTime(seconds(now) + 300)
        .sign(new TextEncoder().encode(secret));
      assert.equal(await refusal(verifier, token), 'Unauthenticated:oidc_token_algorithm');
    }
  });

  test('a key id the issuer does not publish is refused', async () => {
    assert.equal(await refusal(verifier, await sign(other)), 'Unauthenticated:oidc_token_key_unknown');
  });

  test("another key under the issuer's key id is refused: the signature does not verify", async () => {
    assert.equal(
      await refusal(verifier, await sign(other, {}, { kid: 'k1' })),
      'Unauthenticated:oidc_token_signature',
    );
  });

  test('a tampered payload is refused', async () => {
    const [header, , signature] = (await sign(key)).split('.');
    const forged = base64url.encode(
      JSON.stringify({ iss: issuerUrl, aud: audience, exp: seconds(now) + 300, repository: 'evil/lib' }),
    );
    assert.equal(
      await refusal(verifier, `${header}.${forged}.${signature}`),
      'Unauthenticated:oidc_token_signature',
    );
  });

  test('an issuer the server does not trust is refused before any key is looked at', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://evil.example')
      .setAudience(audience)
      .setExpirationTime(seconds(now) + 300)
      .sign(key.privateKey);
    assert.equal(await refusal(verifier, token), 'Unauthenticated:oidc_token_issuer');
  });

  test('what is not a JWT is refused as malformed', async () => {
    for (const token of ['', 'abc', 'a.b.c', `${'x'.repeat(20_000)}.y.z`]) {
      assert.equal(
        await refusal(verifier, token),
        'Unauthenticated:oidc_token_malformed',
        token.slice(0, 20),
      );
    }
  });
});

/** An in-memory issuer behind the fetch port: its discovery document and key set, and a count of fetches. */
function fakeIssuer(keys: () => JWK[], options: { discoveryIssuer?: string; fail?: boolean } = {}) {
  const fetched: string[] = [];
  const fetch: KeyFetch = async (url) => {
    fetched.push(url);
    if (options.fail) throw new Error('connect ECONNREFUSED');
    if (url === `${issuerUrl}/.well-known/openid-configuration`) {
      return Response.json({ issuer: options.discoveryIssuer ?? issuerUrl, jwks_uri: `${issuerUrl}/jwks` });
    }
    if (url === `${issuerUrl}/jwks`) return Response.json({ keys: keys() });
    return new Response('not found', { status: 404 });
  };
  return { fetch, fetched };
}

describe('OidcTokenVerifier with keys discovered over the fetch port', async () => {
  const first = await signingKey('first');
  const second = await signingKey('second');

  test('discovery, then the key set, cached; after a rotation an unknown kid fetches the set again', async () => {
    let published = [first.jwk];
    const issuer = fakeIssuer(() => published);
    const verifier = new OidcTokenVerifier({
      issuers: [{ kind: 'github', url: issuerUrl }],
      audiences: [audience],
      fetch: issuer.fetch,
      refetchCooldownMs: 0,
    });
    assert.equal(await refusal(verifier, await sign(first)), 'accepted');
    assert.deepEqual(issuer.fetched, [`${issuerUrl}/.well-known/openid-configuration`, `${issuerUrl}/jwks`]);
    assert.equal(await refusal(verifier, await sign(first)), 'accepted');
    assert.equal(issuer.fetched.length, 2, 'the key set is cached');
    published = [second.jwk];
    assert.equal(await refusal(verifier, await sign(second)), 'accepted');
    assert.deepEqual(issuer.fetched.slice(2), [`${issuerUrl}/jwks`], 'only the key set is fetched again');
  });

  test('within the cooldown after a fetch, unknown kids are refused without fetching (no amplification)', async () => {
    const issuer = fakeIssuer(() => [first.jwk]);
    const verifier = new OidcTokenVerifier({
      issuers: [{ kind: 'github', url: issuerUrl }],
      audiences: [audience],
      fetch: issuer.fetch,
    });
    assert.equal(await refusal(verifier, await sign(first)), 'accepted');
    for (let i = 0; i < 5; i += 1) {
      const token = await sign(first, {}, { kid: `random-${i}` });
      assert.equal(await refusal(verifier, token), 'Unauthenticated:oidc_token_key_unknown');
    }
    assert.equal(issuer.fetched.length, 2);
  });

  test('an issuer that cannot be reached is a 503 (Unavailable), and is tried again next time', async () => {
    const issuer = fakeIssuer(() => [first.jwk], { fail: true });
    const verifier = new OidcTokenVerifier({
      issuers: [{ kind: 'github', url: issuerUrl }],
      audiences: [audience],
      fetch: issuer.fetch,
    });
    const token = await sign(first);
    assert.equal(await refusal(verifier, token), 'Unavailable:oidc_keys_unavailable');
    assert.equal(await refusal(verifier, token), 'Unavailable:oidc_keys_unavailable');
    assert.equal(issuer.fetched.length, 2);
  });

  test('a discovery document that names another issuer is not trusted', async () => {
    const issuer = fakeIssuer(() => [first.jwk], { discoveryIssuer: 'https://evil.example' });
    const verifier = new OidcTokenVerifier({
      issuers: [{ kind: 'github', url: issuerUrl }],
      audiences: [audience],
      fetch: issuer.fetch,
    });
    assert.equal(await refusal(verifier, await sign(first)), 'Unavailable:oidc_keys_unavailable');
  });
});
