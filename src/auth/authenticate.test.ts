import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { generateApiKey, hashSecret } from './api-key.ts';
import { authenticate, lastUsedResolutionMs } from './authenticate.ts';
import { bootstrapPrincipal } from './authorize.ts';
import type { StoredApiKey } from './ports.ts';
import { MemoryApiKeyStore } from '../../test/support/memory-api-key-store.ts';

describe('authenticate', () => {
  let store: MemoryApiKeyStore;
  let now: Date;
  const clock = { now: () => now };
  const deps = () => ({ apiKeys: store, clock, bootstrapKey: 'bootstrap-secret' });

  async function addKey(overrides: Partial<StoredApiKey> = {}): Promise<string> {
    const { key, keyId, secret } = generateApiKey();
    await store.insert({
      keyId,
      name: `key-${keyId}`,
      scopes: ['push'],
      packages: ['*'],
      feeds: ['*'],
      created: now.toISOString(),
      secretHash: hashSecret(secret),
      ...overrides,
    });
    return key;
  }

  beforeEach(() => {
    store = new MemoryApiKeyStore();
    now = new Date('2025-06-01T12:00:00.000Z');
  });

  test('the bootstrap key is admin on everything', async () => {
    assert.deepEqual(await authenticate(deps(), 'bootstrap-secret'), {
      ok: true,
      principal: bootstrapPrincipal,
    });
  });

  test('a managed key becomes a principal with its name, key id, scopes and patterns', async () => {
    const key = await addKey({ name: 'ci', scopes: ['push', 'push-new'], packages: ['Contoso.*'] });
    const result = await authenticate(deps(), key);
    assert.ok(result.ok);
    assert.equal(result.principal.name, 'ci');
    assert.deepEqual(result.principal.scopes, ['push', 'push-new']);
    assert.deepEqual(result.principal.packages, ['Contoso.*']);
    assert.equal(result.principal.keyId, key.slice(4, 20));
  });

  test('an unknown key, a wrong secret and a near-miss of the bootstrap key are all just invalid', async () => {
    const key = await addKey();
    for (const presented of [
      'nope',
      'bootstrap-secreT',
      generateApiKey().key,
      key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'),
    ]) {
      const result = await authenticate(deps(), presented);
      assert.deepEqual(result.ok ? 'ok' : result.code, 'api_key_invalid', presented);
    }
  });

  test('without a bootstrap key, nothing but managed keys authenticates', async () => {
    const result = await authenticate({ apiKeys: store, clock }, '');
    assert.equal(result.ok, false);
  });

  test('a revoked key says when it was revoked', async () => {
    const key = await addKey({ name: 'old-ci', revoked: '2025-05-01T00:00:00.000Z' });
    const result = await authenticate(deps(), key);
    assert.ok(!result.ok && result.code === 'api_key_revoked');
    assert.match(result.reason, /'old-ci' was revoked on 2025-05-01/);
  });

  test('an expired key says when it expired; a key is valid until the instant it expires', async () => {
    const key = await addKey({ name: 'temp', expires: '2025-06-01T12:00:01.000Z' });
    assert.equal((await authenticate(deps(), key)).ok, true);
    now = new Date('2025-06-01T12:00:01.000Z');
    const result = await authenticate(deps(), key);
    assert.ok(!result.ok && result.code === 'api_key_expired');
    assert.match(result.reason, /'temp' expired on 2025-06-01T12:00:01/);
  });

  test('last used is written on first use and then at most once a minute', async () => {
    const key = await addKey();
    await authenticate(deps(), key);
    await authenticate(deps(), key);
    assert.equal(store.markUsedCalls, 1);
    now = new Date(now.getTime() + lastUsedResolutionMs);
    await authenticate(deps(), key);
    assert.equal(store.markUsedCalls, 2);
    assert.equal((await store.find(key.slice(4, 20)))?.lastUsed, now.toISOString());
  });
});
