import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSearchQuery, searchableText } from './parse-search-query.ts';

describe('parseSearchQuery', () => {
  const rows: [string, string[], Record<string, string[]>][] = [
    ['', [], {}],
    ['json', ['json'], {}],
    ['  json   serializer ', ['json', 'serializer'], {}],
    ['"json serializer"', ['json serializer'], {}],
    ['id:Newtonsoft', [], { id: ['Newtonsoft'] }],
    ['PackageId:Newtonsoft.Json', [], { packageid: ['Newtonsoft.Json'] }],
    ['version:1.0.0 logging', ['logging'], { version: ['1.0.0'] }],
    ['tag:json tags:xml', [], { tags: ['json', 'xml'] }],
    ['author:"James Newton-King"', [], { authors: ['James Newton-King'] }],
    [
      'owner:contoso description:fast summary:small title:Core',
      [],
      {
        owners: ['contoso'],
        description: ['fast'],
        summary: ['small'],
        title: ['Core'],
      },
    ],
    ['c:x', ['c:x'], {}],
    ['id:', [], {}],
    ['"unterminated phrase', ['unterminated phrase'], {}],
    // A control character (NUL ends an FTS5 query string; PostgreSQL refuses it in text) separates terms.
    ['a\u0000b', ['a', 'b'], {}],
    ['"json\u0000serializer"', ['json serializer'], {}],
    ['id:x\u0000', [], { id: ['x'] }],
    ['tags:"x\u001fy"', [], { tags: ['x y'] }],
    ['packageid:\u0000', [], {}],
  ];
  for (const [q, terms, fields] of rows) {
    it(`'${q}' -> terms ${JSON.stringify(terms)} fields ${JSON.stringify(fields)}`, () => {
      const parsed = parseSearchQuery(q);
      assert.deepEqual(parsed.terms, terms);
      assert.deepEqual(Object.fromEntries(parsed.fields), fields);
    });
  }
});

describe('searchableText', () => {
  it('turns every control character into a space, and nothing else', () => {
    for (let code = 0; code < 0xa0; code++) {
      const c = String.fromCharCode(code);
      const control = code < 0x20 || (code >= 0x7f && code < 0xa0);
      assert.equal(
        searchableText(`a${c}b`),
        control ? 'a b' : `a${c}b`,
        `U+${code.toString(16).padStart(4, '0')}`,
      );
    }
  });
  it('replaces a lone surrogate and keeps a pair', () => {
    assert.equal(searchableText('a\ud800b\udfff'), 'a\ufffdb\ufffd');
    assert.equal(searchableText('\u{1f600}'), '\u{1f600}');
  });
});
