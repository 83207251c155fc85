import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authorize } from './authorize.ts';
import { claimsForRules, principalOfClaims, parseSsoRoleRules } from './sso-roles.ts';

describe('SSO role rules', () => {
  test('rules parse from text and from a list', () => {
    const rules = [
      ['groups:nuget-admins=admin', { claim: 'groups', value: 'nuget-admins', role: 'admin', feeds: ['*'] }],
      [
        'groups:team a = publisher @ ci+release',
        { claim: 'groups', value: 'team a', role: 'publisher', feeds: ['ci', 'release'] },
      ],
      [
        'email:*@partner.example=reader@partner',
        { claim: 'email', value: '*@partner.example', role: 'reader', feeds: ['partner'] },
      ],
      ['roles:a:b=admin@ci', { claim: 'roles', value: 'a:b', role: 'admin', feeds: ['ci'] }],
    ] as const;
    for (const [text, rule] of rules) assert.deepEqual(parseSsoRoleRules(text), [rule], text);
    assert.equal(parseSsoRoleRules('groups:a=admin; groups:b=reader@x;').length, 2);
    assert.equal(parseSsoRoleRules(['groups:a=admin', 'groups:b=reader@x']).length, 2);
  });

  test('a rule that is not claim:value=role says how to write one', () => {
    for (const text of ['groups=admin', 'groups:a=owner', 'groups:a', ':a=admin']) {
      assert.throws(() => parseSsoRoleRules(text), /is not a role rule: write claim:value=role/, text);
    }
  });

  const rules = parseSsoRoleRules(
    'groups:nuget-admins=admin; groups:team-a=publisher@ci; groups:team-a=reader@release; email:*@partner.example=reader@partner',
  );

  test('a list claim matches any of its values; a * prefix matches an ending, case-insensitively', () => {
    assert.deepEqual(principalOfClaims(rules, { groups: ['x', 'nuget-admins'] }, 'a')?.scopes, ['admin']);
    assert.equal(principalOfClaims(rules, { groups: 'team-a' }, 'a')?.alsoGrants?.length, 1);
    assert.deepEqual(principalOfClaims(rules, { email: 'Bob@Partner.Example' }, 'a')?.feeds, ['partner']);
    assert.equal(principalOfClaims(rules, { email: 'bob@partner.example.evil' }, 'a'), undefined);
    assert.equal(
      principalOfClaims(rules, { groups: ['NUGET-ADMINS'] }, 'a'),
      undefined,
      'group names are exact',
    );
    assert.equal(principalOfClaims(rules, { groups: 42 }, 'a'), undefined);
  });

  test('roles decide through authorize(): publisher on ci, reader on release, nothing elsewhere', () => {
    const principal = principalOfClaims(rules, { groups: ['team-a'] }, 'sso:alice');
    assert.ok(principal);
    const may = (action: Parameters<typeof authorize>[1], feed?: string, id?: string) =>
      authorize(principal, action, id, feed).allowed;
    assert.equal(may('push-new', 'ci', 'Any.Id'), true);
    assert.equal(may('unlist', 'ci', 'Any.Id'), true);
    assert.equal(may('deprecate', 'ci', 'Any.Id'), false);
    assert.equal(may('read', 'release'), true);
    assert.equal(may('push', 'release', 'Any.Id'), false);
    assert.equal(may('read', 'partner'), false);
    assert.equal(may('manage-feeds'), false);
    const refusal = authorize(principal, 'push', 'Any.Id', 'release');
    assert.match(refusal.allowed ? '' : refusal.reason, /needs the push scope/);
    const admin = principalOfClaims(rules, { groups: ['nuget-admins'] }, 'sso:root');
    assert.ok(admin);
    assert.equal(authorize(admin, 'manage-api-keys').allowed, true);
  });

  test('only the claims the rules read are kept with a session', () => {
    assert.deepEqual(claimsForRules(rules, { groups: ['team-a'], email: 'a@b', secret: 'x' }), {
      groups: ['team-a'],
      email: ['a@b'],
    });
  });
});
