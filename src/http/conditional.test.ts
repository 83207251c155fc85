import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  conditionalAnswer,
  contentRange,
  entityTag,
  gzipEntityTag,
  ifNoneMatchMatches,
  ifRangeAllows,
  parseByteRange,
} from './conditional.ts';

describe('entity tags', () => {
  test('are strong, quoted, and differ between bodies and between codings', () => {
    const tag = entityTag(Buffer.from('{"versions":["1.0.0"]}'));
    assert.match(tag, /^"[A-Za-z0-9_-]{22}"$/);
    assert.equal(entityTag(Buffer.from('{"versions":["1.0.0"]}')), tag);
    assert.notEqual(entityTag(Buffer.from('{"versions":["1.0.1"]}')), tag);
    assert.match(gzipEntityTag(tag), /^"[A-Za-z0-9_-]{22}-gz"$/);
  });
});

describe('If-None-Match (weak comparison, RFC 9110 §13.1.2)', () => {
  const etag = '"abc"';
  const rows: [string | undefined, boolean][] = [
    [undefined, false],
    ['"abc"', true],
    ['W/"abc"', true],
    ['*', true],
    [' * ', true],
    ['"xyz", "abc"', true],
    ['"xyz",W/"abc"', true],
    ['"xyz"', false],
    ['"ab"', false],
    ['"abcd"', false],
    ['abc', false],
    ['"abc', false],
    ['', false],
    ['"a,b", "abc"', true],
  ];
  for (const [header, expected] of rows) {
    test(`${JSON.stringify(header)} -> ${expected}`, () =>
      assert.equal(ifNoneMatchMatches(header, etag), expected));
  }
});

describe('If-Range (strong comparison)', () => {
  test('only the same strong tag lets the range apply', () => {
    assert.equal(ifRangeAllows(undefined, '"abc"'), true);
    assert.equal(ifRangeAllows('"abc"', '"abc"'), true);
    assert.equal(ifRangeAllows('W/"abc"', '"abc"'), false);
    assert.equal(ifRangeAllows('"xyz"', '"abc"'), false);
    assert.equal(ifRangeAllows('Wed, 21 Oct 2015 07:28:00 GMT', '"abc"'), false);
  });
});

describe('Range: bytes (RFC 9110 §14.1.2)', () => {
  const rows: [string | undefined, number, ReturnType<typeof parseByteRange>][] = [
    [undefined, 100, undefined],
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=10-', 100, { start: 10, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-1000', 100, { start: 0, end: 99 }],
    ['bytes=90-1000', 100, { start: 90, end: 99 }],
    ['bytes=99-99', 100, { start: 99, end: 99 }],
    ['Bytes = 5 - 6', 100, { start: 5, end: 6 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=100-200', 100, 'unsatisfiable'],
    ['bytes=-0', 100, 'unsatisfiable'],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=-5', 0, 'unsatisfiable'],
    ['bytes=9-0', 100, undefined],
    ['bytes=0-1,5-6', 100, undefined],
    ['bytes=-', 100, undefined],
    ['items=0-9', 100, undefined],
    ['bytes=a-b', 100, undefined],
    ['bytes=0x10-20', 100, undefined],
  ];
  for (const [header, size, expected] of rows) {
    test(`${JSON.stringify(header)} of ${size} -> ${JSON.stringify(expected)}`, () =>
      assert.deepEqual(parseByteRange(header, size), expected));
  }

  test('Content-Range', () => {
    assert.equal(contentRange({ start: 0, end: 9 }, 100), 'bytes 0-9/100');
    assert.equal(contentRange(undefined, 100), 'bytes */100');
  });
});

describe('conditionalAnswer', () => {
  const file = { etag: '"abc"', size: 100, ranges: true };
  const answer = (method: string, headers: Record<string, string>, representation = file) =>
    conditionalAnswer({ method, headers }, representation);

  test('304 before any range, for GET and HEAD', () => {
    assert.deepEqual(answer('GET', { 'if-none-match': '"abc"', range: 'bytes=0-1' }), { status: 304 });
    assert.deepEqual(answer('HEAD', { 'if-none-match': '*' }), { status: 304 });
  });
  test('206 for GET only, when If-Range allows, and for representations that take ranges', () => {
    assert.deepEqual(answer('GET', { range: 'bytes=0-1' }), { status: 206, range: { start: 0, end: 1 } });
    assert.deepEqual(answer('HEAD', { range: 'bytes=0-1' }), { status: 200 });
    assert.deepEqual(answer('GET', { range: 'bytes=0-1', 'if-range': '"old"' }), { status: 200 });
    assert.deepEqual(answer('GET', { range: 'bytes=0-1', 'if-range': '"abc"' }), {
      status: 206,
      range: { start: 0, end: 1 },
    });
    assert.deepEqual(answer('GET', { range: 'bytes=0-1' }, { ...file, ranges: false }), { status: 200 });
  });
  test('416 past the end, 200 for a range it does not serve', () => {
    assert.deepEqual(answer('GET', { range: 'bytes=200-' }), { status: 416 });
    assert.deepEqual(answer('GET', { range: 'bytes=0-1,3-4' }), { status: 200 });
    assert.deepEqual(answer('GET', {}), { status: 200 });
  });
});
