import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSearchQuery } from './parse-search-query.ts';

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
  ];
  for (const [q, terms, fields] of rows) {
    it(`'${q}' -> terms ${JSON.stringify(terms)} fields ${JSON.stringify(fields)}`, () => {
      const parsed = parseSearchQuery(q);
      assert.deepEqual(parsed.terms, terms);
      assert.deepEqual(Object.fromEntries(parsed.fields), fields);
    });
  }
});
