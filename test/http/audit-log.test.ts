// The audit log (docs/security.md, "Audit log"): every write, allowed or refused, with who (key name or
// 'bootstrap'), which key, what, when, from where and how it ended; read by admins at GET /v3/admin/audit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditRecord } from '../../src/auth/ports.ts';
import { createApiKey } from '../../src/auth/manage-api-keys.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { assertClientError, startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

describe('audit log', () => {
  let feed: TestFeed;
  let ci: { key: string; keyId: string };
  let startedAt: string;

  const audit = async (query = '', key = testApiKey): Promise<AuditRecord[]> => {
    const response = await feed.get(`/v3/admin/audit${query}`, { 'x-nuget-apikey': key });
    assert.equal(response.statusCode, 200, response.body);
    return (response.json() as { entries: AuditRecord[] }).entries;
  };
  const withoutTimes = (entries: AuditRecord[]) =>
    entries.map(({ action, actor, keyId, packageId, version, source, outcome }) => ({
      action,
      actor,
      keyId,
      packageId,
      version,
      source,
      outcome,
    }));

  before(async () => {
    feed = await startFeed();
    const created = await createApiKey(
      feed.feed,
      { actor: 'cli', source: 'cli' },
      { name: 'ci', scopes: ['push', 'push-new', 'unlist'], packages: ['Contoso.*'] },
    );
    ci = { key: created.key, keyId: created.apiKey.keyId };
    startedAt = new Date().toISOString();

    const as = (key: string | null) => ({ key });
    assert.equal(
      (await feed.push(await buildNupkg({ id: 'Contoso.Core', version: '1.0.0' }), as(ci.key))).statusCode,
      201,
    );
    assert.equal(
      (await feed.push(await buildNupkg({ id: 'Contoso.Core', version: '1.0.0' }), as(ci.key))).statusCode,
      409,
    );
    assert.equal(
      (await feed.push(await buildNupkg({ id: 'Other.Lib', version: '2.0.0' }), as(ci.key))).statusCode,
      403,
    );
    assert.equal(
      (await feed.push(await buildNupkg({ id: 'Anonymous.Try', version: '1.0.0' }), as(null))).statusCode,
      401,
    );
    const headers = { 'x-nuget-apikey': ci.key };
    assert.equal(
      (await feed.request('DELETE', '/v3/package/Contoso.Core/1.0.0', { headers })).statusCode,
      204,
    );
    assert.equal((await feed.request('POST', '/v3/package/Contoso.Core/1.0.0', { headers })).statusCode, 200);
    assert.equal(
      (
        await feed.request('DELETE', '/v3/package/Contoso.Core/1.0.0', {
          headers: { 'x-nuget-apikey': 'wrong' },
        })
      ).statusCode,
      403,
    );
    const json = { 'content-type': 'application/json', 'x-nuget-apikey': testApiKey };
    const deprecation = '/v3/admin/deprecations/Contoso.Core/1.0.0';
    assert.equal(
      (
        await feed.request('PUT', deprecation, {
          headers: json,
          body: JSON.stringify({ reasons: ['Legacy'] }),
        })
      ).statusCode,
      204,
    );
    assert.equal(
      (await feed.request('DELETE', deprecation, { headers: { 'x-nuget-apikey': testApiKey } })).statusCode,
      204,
    );
    assert.equal(
      (await feed.request('PUT', deprecation, { headers: { ...json, 'x-nuget-apikey': ci.key }, body: '{}' }))
        .statusCode,
      403,
    );
    assert.equal(
      (await feed.request('PUT', '/v3/admin/vulnerabilities', { headers: json, body: '[]' })).statusCode,
      200,
    );
  });
  after(() => feed.close());

  test('every write, newest first, with actor, key, package, source and outcome; anonymous attempts left out', async () => {
    const fromClient = (await audit(`?since=${encodeURIComponent(startedAt)}`)).filter(
      (e) => e.source !== 'cli',
    );
    const ciKey = ci.keyId;
    const local = '127.0.0.1';
    assert.deepEqual(withoutTimes(fromClient).reverse(), [
      {
        action: 'push',
        actor: 'ci',
        keyId: ciKey,
        packageId: 'Contoso.Core',
        version: '1.0.0',
        source: local,
        outcome: 'success',
      },
      {
        action: 'push',
        actor: 'ci',
        keyId: ciKey,
        packageId: 'Contoso.Core',
        version: '1.0.0',
        source: local,
        outcome: 'package_exists',
      },
      {
        action: 'push',
        actor: 'ci',
        keyId: ciKey,
        packageId: 'Other.Lib',
        version: '2.0.0',
        source: local,
        outcome: 'api_key_out_of_scope',
      },
      {
        action: 'unlist',
        actor: 'ci',
        keyId: ciKey,
        packageId: 'Contoso.Core',
        version: '1.0.0',
        source: local,
        outcome: 'success',
      },
      {
        action: 'relist',
        actor: 'ci',
        keyId: ciKey,
        packageId: 'Contoso.Core',
        version: '1.0.0',
        source: local,
        outcome: 'success',
      },
      {
        action: 'unlist',
        actor: 'unknown key',
        keyId: undefined,
        packageId: 'Contoso.Core',
        version: '1.0.0',
        source: local,
        outcome: 'api_key_invalid',
      },
      {
        action: 'deprecate',
        actor: 'bootstrap',
        keyId: undefined,
        packageId: 'Contoso.Core',
        version: '1.0.0',
        source: local,
        outcome: 'success',
      },
      {
        action: 'undeprecate',
        actor: 'bootstrap',
        keyId: undefined,
        packageId: 'Contoso.Core',
        version: '1.0.0',
        source: local,
        outcome: 'success',
      },
      {
        action: 'deprecate',
        actor: 'ci',
        keyId: ciKey,
        packageId: 'Contoso.Core',
        version: '1.0.0',
        source: local,
        outcome: 'api_key_out_of_scope',
      },
      {
        action: 'import-vulnerabilities',
        actor: 'bootstrap',
        keyId: undefined,
        packageId: undefined,
        version: undefined,
        source: local,
        outcome: 'success',
      },
    ]);
    for (const entry of fromClient) assert.ok(entry.at >= startedAt, `${entry.at} is a time after the start`);
  });

  test('creating a key is recorded too, with what it may do but never the key', async () => {
    const created = (await audit()).find((e) => e.action === 'create-api-key');
    assert.ok(created);
    assert.equal(created.actor, 'cli');
    assert.deepEqual(created.detail?.['scopes'], ['push', 'push-new', 'unlist']);
    assert.ok(!JSON.stringify(created).includes(ci.key.slice(21)));
  });

  test('the outcome of a write carries what it did (deprecation counts)', async () => {
    const deprecated = (await audit()).find((e) => e.action === 'deprecate' && e.outcome === 'success');
    assert.deepEqual(deprecated?.detail, { changed: ['1.0.0'], unchanged: [] });
  });

  test('limit and since', async () => {
    assert.equal((await audit('?limit=2')).length, 2);
    assert.deepEqual(await audit(`?since=${encodeURIComponent('2999-01-01')}`), []);
    assertClientError(await feed.get('/v3/admin/audit?limit=0', { 'x-nuget-apikey': testApiKey }), 400);
    assertClientError(
      await feed.get('/v3/admin/audit?since=yesterday', { 'x-nuget-apikey': testApiKey }),
      400,
    );
  });

  test('only admins read it: no key 401, a key without admin 403', async () => {
    assertClientError(await feed.get('/v3/admin/audit'), 401);
    const error = assertClientError(await feed.get('/v3/admin/audit', { 'x-nuget-apikey': ci.key }), 403);
    assert.match(error.message, /may not read the audit log: that needs the admin scope/);
  });
});
