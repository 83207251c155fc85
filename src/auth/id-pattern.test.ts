import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNuggetError } from '../errors.ts';
import { matchesAnyIdPattern, matchesIdPattern, parseIdPatterns } from './id-pattern.ts';

describe('matchesIdPattern: whole id, case-insensitive, * any run, ? one character', () => {
  const rows: [string, string, boolean][] = [
    ['*', 'Anything.At.All', true],
    ['Contoso.*', 'Contoso.Core', true],
    ['Contoso.*', 'contoso.core', true],
    ['contoso.*', 'CONTOSO.Core', true],
    ['Contoso.*', 'Contoso', false],
    ['Contoso.*', 'Contoso.', true],
    ['Contoso.*', 'Other.Lib', false],
    ['Contoso.*', 'My.Contoso.Core', false],
    ['Contoso.Core', 'Contoso.Core', true],
    ['Contoso.Core', 'Contoso.Core.Extra', false],
    ['Contoso.?ore', 'Contoso.Core', true],
    ['Contoso.?ore', 'Contoso.Ccore', false],
    ['*.Tests', 'Fabrikam.Tests', true],
    ['*.Tests', 'Fabrikam.Tests.Helpers', false],
    // '.' is a literal dot, not a regular-expression wildcard.
    ['Contoso.Core', 'ContosoXCore', false],
    ['a-b_c', 'A-B_C', true],
  ];
  for (const [pattern, id, expected] of rows) {
    test(`'${pattern}' ${expected ? 'matches' : 'does not match'} '${id}'`, () =>
      assert.equal(matchesIdPattern(pattern, id), expected));
  }

  test('any of several patterns', () => {
    assert.equal(matchesAnyIdPattern(['Contoso.*', 'Fabrikam.*'], 'Fabrikam.Lib'), true);
    assert.equal(matchesAnyIdPattern(['Contoso.*', 'Fabrikam.*'], 'Other.Lib'), false);
    assert.equal(matchesAnyIdPattern([], 'Other.Lib'), false);
  });
});

describe('parseIdPatterns', () => {
  const rows: [string, string[]][] = [
    ['Contoso.*', ['Contoso.*']],
    ['Contoso.*, Fabrikam.?ore', ['Contoso.*', 'Fabrikam.?ore']],
    ['', ['*']],
    ['Contoso.*,Contoso.*', ['Contoso.*']],
  ];
  for (const [text, patterns] of rows)
    test(`'${text}' -> ${patterns.join(' ')}`, () => assert.deepEqual(parseIdPatterns(text), patterns));

  for (const bad of ['Contoso/*', 'Con toso', '[a-z]*', 'a+b', 'x'.repeat(129)]) {
    test(`'${bad.slice(0, 20)}' is not a pattern`, () =>
      assert.throws(
        () => parseIdPatterns(bad),
        (error) => isNuggetError(error) && error.code === 'id_pattern_invalid',
      ));
  }
});
