// The fetcher of OpenID Connect discovery documents and key sets (src/storage/remote/issuer-key-fetch.ts) against
// a real https server with a certificate from a throwaway CA (test/support/oidc-issuer.ts).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { issuerKeyFetch } from '../../src/storage/remote/issuer-key-fetch.ts';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.ts';

describe('issuerKeyFetch', () => {
  let dir: string;
  let issuer: TestIssuer;
  let extraCa: string;
  const get = (fetch: ReturnType<typeof issuerKeyFetch>, url: string) =>
    fetch(url, {
      headers: new Headers(),
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nugget-key-fetch-'));
    issuer = await startTestIssuer(dir);
    extraCa = await readFile(issuer.certificate.caFile, 'utf8');
  });
  after(async () => {
    await issuer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('with the CA bundle, the key set is fetched over https', async () => {
    const response = await get(issuerKeyFetch({ extraCa }), `${issuer.githubUrl}/jwks`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { keys: { kid: string }[] };
    assert.equal(body.keys[0]?.kid, issuer.keys[0]?.kid);
  });

  test('without it, a server whose CA the system does not trust is refused', async () => {
    await assert.rejects(
      get(issuerKeyFetch(), `${issuer.githubUrl}/jwks`),
      /self-signed|unable to verify|certificate/i,
    );
  });

  test('plain http is refused before anything is sent', async () => {
    await assert.rejects(
      get(issuerKeyFetch({ extraCa }), `${issuer.githubUrl.replace('https:', 'http:')}/jwks`),
      /not an https URL/,
    );
  });

  test('a redirect is answered as it is, not followed', async () => {
    const response = await get(issuerKeyFetch({ extraCa }), `${issuer.base}/redirect`);
    assert.equal(response.status, 302);
  });

  test('a body larger than any key set is refused', async () => {
    await assert.rejects(get(issuerKeyFetch({ extraCa }), `${issuer.base}/huge`), /more than 1048576 bytes/);
  });
});
