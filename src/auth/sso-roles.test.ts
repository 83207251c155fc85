import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authorizeGrants } from './grants.ts';
import { claimsForRules, grantsOfClaims, parseSsoRoleRules } from './sso-roles.ts';

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
    assert.equal(grantsOfClaims(rules, { groups: ['x', 'nuget-admins'] }, 'a').length, 1);
    assert.equal(grantsOfClaims(rules, { groups: 'team-a' }, 'a').length, 2);
    assert.equal(grantsOfClaims(rules, { email: 'Bob@Partner.Example' }, 'a').length, 1);
    assert.equal(grantsOfClaims(rules, { email: 'bob@partner.example.evil' }, 'a').length, 0);
    assert.equal(grantsOfClaims(rules, { groups: ['NUGET-ADMINS'] }, 'a').length, 0, 'group names are exact');
    assert.equal(grantsOfClaims(rules, { groups: 42 }, 'a').length, 0);
  });

  test('roles decide through authorize(): publisher on ci, reader on release, nothing elsewhere', () => {
    const grants = grantsOfClaims(rules, { groups: ['team-a'] }, 'sso:alice');
    const may = (action: Parameters<typeof authorizeGrants>[1], feed?: string, id?: string) =>
      authorizeGrants(grants, action, id, feed).allowed;
    assert.equal(may('push-new', 'ci', 'Any.Id'), true);
    assert.equal(may('unlist', 'ci', 'Any.Id'), true);
    assert.equal(may('deprecate', 'ci', 'Any.Id'), false);
    assert.equal(may('read', 'release'), true);
    assert.equal(may('push', 'release', 'Any.Id'), false);
    assert.equal(may('read', 'partner'), false);
    assert.equal(may('manage-feeds'), false);
    const refusal = authorizeGrants(grants, 'push', 'Any.Id', 'release');
    assert.match(refusal.allowed ? '' : refusal.reason, /needs the push scope/);
    const admin = grantsOfClaims(rules, { groups: ['nuget-admins'] }, 'sso:root');
    assert.equal(authorizeGrants(admin, 'manage-api-keys').allowed, true);
    assert.equal(authorizeGrants([], 'read', undefined, 'ci').allowed, false);
  });

  test('only the claims the rules read are kept with a session', () => {
    assert.deepEqual(claimsForRules(rules, { groups: ['team-a'], email: 'a@b', secret: 'x' }), {
      groups: ['team-a'],
      email: ['a@b'],
    });
  });
});
