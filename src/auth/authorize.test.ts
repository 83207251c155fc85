import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Action, authorize, bootstrapPrincipal, mayDoAnyOf, type Principal } from './authorize.ts';

const ci: Principal = {
  name: 'ci',
  keyId: 'k1',
  scopes: ['push', 'push-new', 'unlist'],
  packages: ['Contoso.*'],
  feeds: ['*'],
};
const reader: Principal = { name: 'reader', keyId: 'k2', scopes: ['read'], packages: ['*'], feeds: ['*'] };
const updater: Principal = { name: 'updater', keyId: 'k3', scopes: ['push'], packages: ['*'], feeds: ['*'] };
const admin: Principal = { name: 'ops', keyId: 'k4', scopes: ['admin'], packages: ['*'], feeds: ['*'] };

describe('authorize', () => {
  const rows: [Principal, Action, string | undefined, true | RegExp][] = [
    [ci, 'push-new', 'Contoso.Core', true],
    [ci, 'push', 'contoso.core', true],
    [ci, 'unlist', 'Contoso.Core', true],
    [ci, 'relist', 'Contoso.Core', true],
    [ci, 'delete', 'Contoso.Core', true],
    [
      ci,
      'push',
      'Other.Lib',
      /^key 'ci' may push only ids matching Contoso\.\*; 'Other\.Lib' does not match\.$/,
    ],
    [ci, 'push-new', 'Other.Lib', /only ids matching Contoso\.\*; 'Other\.Lib' does not match/],
    [ci, 'unlist', 'Other.Lib', /may unlist only ids matching Contoso\.\*/],
    [ci, 'push-symbols', 'Contoso.Core', true],
    [
      ci,
      'read',
      undefined,
      /key 'ci' may not read this feed: that needs the read scope, and it has push, push-new, unlist/,
    ],
    [ci, 'deprecate', 'Contoso.Core', /needs the admin scope/],
    [ci, 'import-vulnerabilities', undefined, /needs the admin scope/],
    [reader, 'read', undefined, true],
    [
      reader,
      'push-new',
      'Any.Lib',
      /key 'reader' may not push new package ids: that needs the push-new scope/,
    ],
    [updater, 'push', 'Any.Lib', true],
    [updater, 'push-new', 'Any.Lib', /push-new scope/],
    [updater, 'unlist', 'Any.Lib', /unlist scope/],
    [admin, 'push-new', 'Any.Lib', true],
    [admin, 'read-audit-log', undefined, true],
    [admin, 'deprecate', 'Any.Lib', true],
    [bootstrapPrincipal, 'delete', 'Any.Lib', true],
    [bootstrapPrincipal, 'read', undefined, true],
  ];
  for (const [principal, action, id, expected] of rows) {
    test(`${principal.name} ${action} ${id ?? ''} -> ${expected === true ? 'allowed' : 'refused'}`, () => {
      const decision = authorize(principal, action, id);
      if (expected === true) {
        assert.deepEqual(decision, { allowed: true });
      } else {
        assert.equal(decision.allowed, false);
        assert.ok(!decision.allowed && decision.code === 'api_key_out_of_scope');
        assert.match(!decision.allowed ? decision.reason : '', expected);
      }
    });
  }

  test('id patterns limit admin keys too', () => {
    const scopedAdmin: Principal = {
      name: 'team-admin',
      scopes: ['admin'],
      packages: ['Team.*'],
      feeds: ['*'],
    };
    assert.equal(authorize(scopedAdmin, 'deprecate', 'Team.Lib').allowed, true);
    assert.equal(authorize(scopedAdmin, 'deprecate', 'Other.Lib').allowed, false);
  });

  test('a key valid for some feeds is refused on the others, with the feeds it is valid for', () => {
    const ciOnly: Principal = { ...updater, name: 'ci-bot', feeds: ['ci', 'nightly'] };
    assert.deepEqual(authorize(ciOnly, 'push', 'Any.Lib', 'ci'), { allowed: true });
    assert.deepEqual(authorize(ciOnly, 'push', 'Any.Lib', 'nightly'), { allowed: true });
    const refused = authorize(ciOnly, 'push', 'Any.Lib', 'release');
    assert.equal(refused.allowed, false);
    assert.ok(!refused.allowed && refused.code === 'api_key_wrong_feed');
    assert.match(
      !refused.allowed ? refused.reason : '',
      /not valid for feed 'release': it is valid for ci, nightly/,
    );
    // Scopes still apply on the feeds the key is valid for.
    assert.equal(authorize(ciOnly, 'unlist', 'Any.Lib', 'ci').allowed, false);
  });

  test('server-wide actions need a key valid for every feed', () => {
    const feedAdmin: Principal = { ...admin, name: 'ci-admin', feeds: ['ci'] };
    assert.equal(authorize(feedAdmin, 'deprecate', 'Any.Lib', 'ci').allowed, true);
    const refused = authorize(feedAdmin, 'manage-feeds');
    assert.ok(!refused.allowed && refused.code === 'api_key_wrong_feed');
    assert.match(refused.reason, /needs a key valid for every feed/);
    assert.equal(authorize(admin, 'manage-feeds').allowed, true);
  });

  test('mayDoAnyOf: checked before a push body is read', () => {
    assert.equal(mayDoAnyOf(updater, ['push-new', 'push']), true);
    assert.equal(mayDoAnyOf(reader, ['push-new', 'push']), false);
  });
});
