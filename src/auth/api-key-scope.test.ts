import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNuggetError } from '../errors.ts';
import { type ApiKeyScope, hasScope, parseScopes } from './api-key-scope.ts';

describe('parseScopes', () => {
  const rows: [string, ApiKeyScope[]][] = [
    ['push,push-new,unlist', ['push', 'push-new', 'unlist']],
    [' read ', ['read']],
    ['PUSH, Push', ['push']],
    ['admin', ['admin']],
  ];
  for (const [text, scopes] of rows)
    test(`'${text}' -> ${scopes.join(',')}`, () => assert.deepEqual(parseScopes(text), scopes));

  const bad: [string, RegExp][] = [
    ['', /at least one scope/],
    [' , ', /at least one scope/],
    ['push,write', /Unknown scope 'write'.*push-new, push, unlist, read, admin/],
    ['delete', /Unknown scope 'delete'/],
  ];
  for (const [text, message] of bad) {
    test(`'${text}' is refused: ${message}`, () =>
      assert.throws(
        () => parseScopes(text),
        (error) => isNuggetError(error) && message.test(error.message),
      ));
  }
});

describe('hasScope: admin implies every scope, no other scope implies another', () => {
  const rows: [ApiKeyScope[], ApiKeyScope, boolean][] = [
    [['admin'], 'push-new', true],
    [['admin'], 'read', true],
    [['push'], 'push', true],
    [['push'], 'push-new', false],
    [['push-new'], 'push', false],
    [['push', 'push-new', 'unlist'], 'read', false],
    [['read'], 'unlist', false],
    [[], 'read', false],
  ];
  for (const [scopes, scope, expected] of rows) {
    test(`[${scopes.join(',')}] has ${scope}: ${expected}`, () =>
      assert.equal(hasScope(scopes, scope), expected));
  }
});
