import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createApiKey, revokeApiKey } from './manage-api-keys.ts';
import type { AuditLog } from './ports.ts';
import { MemoryApiKeyStore } from '../../test/support/memory-api-key-store.ts';
import { parseSsoRoleRules } from './sso-roles.ts';
import {
  resumeSession,
  signInWithKey,
  signInWithSso,
  signOut,
  type WebSession,
  type WebSessionDeps,
  type WebSessionStore,
} from './web-sessions.ts';

class MemorySessions implements WebSessionStore {
  readonly rows = new Map<string, WebSession>();
  async insert(session: WebSession) {
    this.rows.set(session.id, session);
  }
  async find(id: string) {
    return this.rows.get(id);
  }
  async revoke(id: string, at: Date) {
    const row = this.rows.get(id);
    if (row && !row.revoked) this.rows.set(id, { ...row, revoked: at.toISOString() });
  }
  async deleteEnded(before: Date) {
    let removed = 0;
    for (const [id, row] of this.rows) {
      if (row.expires < before.toISOString() || (row.revoked && row.revoked < before.toISOString())) {
        this.rows.delete(id);
        removed++;
      }
    }
    return removed;
  }
}

const audit: AuditLog = { append: async () => {}, list: async () => [] };

function setUp(overrides: Partial<WebSessionDeps> = {}) {
  let now = new Date('2026-01-01T00:00:00Z');
  const clock = { now: () => now };
  const deps: WebSessionDeps = {
    sessions: new MemorySessions(),
    apiKeys: new MemoryApiKeyStore(),
    clock,
    bootstrapKey: 'the-bootstrap-key',
    ssoRules: parseSsoRoleRules('groups:admins=admin; groups:readers=reader@ci'),
    lifetimeMs: 8 * 3_600_000,
    ...overrides,
  };
  return { deps, later: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

const cli = { actor: 'cli', source: 'cli' };

describe('web sessions', () => {
  test('a key signs in; the session carries its principal; a changed cookie is no session', async () => {
    const { deps } = setUp();
    const { key } = await createApiKey({ ...deps, audit }, cli, {
      name: 'ci',
      scopes: ['push'],
      packages: ['A.*'],
      feeds: ['ci'],
    });
    const { token, signedIn } = await signInWithKey(deps, key);
    assert.match(token, /^nus_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    assert.equal(signedIn.name, 'ci');
    assert.deepEqual(
      [signedIn.principal].map((g) => [g.scopes, g.packages, g.feeds]),
      [[['push'], ['A.*'], ['ci']]],
    );
    assert.ok(await resumeSession(deps, token));
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    assert.equal(await resumeSession(deps, flipped), undefined);
    assert.equal(await resumeSession(deps, 'nus_garbage'), undefined);
  });

  test('the secret is not stored: only its hash', async () => {
    const { deps } = setUp();
    const { token } = await signInWithKey(deps, 'the-bootstrap-key');
    const rows = [...(deps.sessions as MemorySessions).rows.values()];
    // nus_{id}_{secret}: the secret is base64url, so it may hold '_' itself; it is what follows the id.
    const secret = token.slice('nus_'.length + 32 + 1);
    assert.equal(secret.length, 43);
    assert.equal(JSON.stringify(rows).includes(secret), false);
    assert.equal(JSON.stringify(rows).includes('the-bootstrap-key'), false);
  });

  test('a wrong, revoked or expired key is refused with authenticate()s reason', async () => {
    const { deps } = setUp();
    await assert.rejects(signInWithKey(deps, 'nope'), { code: 'api_key_invalid' });
    const { key } = await createApiKey({ ...deps, audit }, cli, {
      name: 'old',
      scopes: ['read'],
      packages: ['*'],
    });
    await revokeApiKey({ ...deps, audit }, cli, 'old');
    await assert.rejects(signInWithKey(deps, key), { code: 'api_key_revoked' });
  });

  test('signing out, revoking the key, or the key expiring ends the session', async () => {
    const { deps, later } = setUp();
    const made = await createApiKey({ ...deps, audit }, cli, {
      name: 'alice',
      scopes: ['admin'],
      packages: ['*'],
      expires: new Date('2026-01-01T02:00:00Z'),
    });
    const a = await signInWithKey(deps, made.key);
    const b = await signInWithKey(deps, made.key);
    assert.equal(a.signedIn.expires, '2026-01-01T02:00:00.000Z', 'never outlives its key');
    await signOut(deps, a.signedIn.sessionId);
    assert.equal(await resumeSession(deps, a.token), undefined);
    assert.ok(await resumeSession(deps, b.token));
    await revokeApiKey({ ...deps, audit }, cli, 'alice');
    assert.equal(await resumeSession(deps, b.token), undefined);
    const other = await createApiKey({ ...deps, audit }, cli, {
      name: 'bob',
      scopes: ['read'],
      packages: ['*'],
    });
    const c = await signInWithKey(deps, other.key);
    later(8 * 3_600_000 - 1);
    assert.ok(await resumeSession(deps, c.token));
    later(1);
    assert.equal(await resumeSession(deps, c.token), undefined, 'the session lifetime ends it');
  });

  test('a bootstrap session ends when the server starts with another bootstrap key', async () => {
    const { deps } = setUp();
    const { token } = await signInWithKey(deps, 'the-bootstrap-key');
    assert.ok(await resumeSession(deps, token));
    assert.equal(await resumeSession({ ...deps, bootstrapKey: 'another-key' }, token), undefined);
    assert.equal(await resumeSession({ ...deps, bootstrapKey: undefined }, token), undefined);
  });

  test('SSO: roles from the claims, refused without one, re-read under the rules in force', async () => {
    const { deps } = setUp();
    const identity = { issuer: 'https://idp', subject: '1', name: 'alice@example.com' };
    await assert.rejects(signInWithSso(deps, { ...identity, claims: { groups: ['nobody'] } }), {
      code: 'sso_no_role',
    });
    const { token, signedIn } = await signInWithSso(deps, { ...identity, claims: { groups: ['readers'] } });
    assert.equal(signedIn.name, 'sso:alice@example.com');
    assert.deepEqual(signedIn.principal.feeds, ['ci']);
    const changed = { ...deps, ssoRules: parseSsoRoleRules('groups:admins=admin') };
    assert.equal(await resumeSession(changed, token), undefined, 'the group lost its role');
  });
});
