import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNuggetError } from '../errors.ts';
import { parseExpiry, parseSince } from './expiry.ts';

const now = new Date('2025-06-01T12:00:00.000Z');

describe('parseExpiry', () => {
  const rows: [string, string | undefined][] = [
    ['90d', '2025-08-30T12:00:00.000Z'],
    ['12h', '2025-06-02T00:00:00.000Z'],
    ['2w', '2025-06-15T12:00:00.000Z'],
    ['1D', '2025-06-02T12:00:00.000Z'],
    ['never', undefined],
    ['Never', undefined],
    ['2026-01-31', '2026-01-31T00:00:00.000Z'],
    ['2026-01-31T08:30:00Z', '2026-01-31T08:30:00.000Z'],
  ];
  for (const [text, expected] of rows) {
    test(`'${text}' -> ${expected ?? 'never expires'}`, () =>
      assert.equal(parseExpiry(text, now)?.toISOString(), expected));
  }

  const bad: [string, string][] = [
    ['90', 'expiry_invalid'],
    ['90 days', 'expiry_invalid'],
    ['tomorrow', 'expiry_invalid'],
    ['', 'expiry_invalid'],
    ['2020-01-01', 'expiry_in_past'],
    ['0d', 'expiry_in_past'],
  ];
  for (const [text, code] of bad) {
    test(`'${text}' is refused (${code})`, () =>
      assert.throws(
        () => parseExpiry(text, now),
        (error) => isNuggetError(error) && error.code === code,
      ));
  }
});

describe('parseSince', () => {
  test('a duration counts back from now', () =>
    assert.equal(parseSince('24h', now).toISOString(), '2025-05-31T12:00:00.000Z'));
  test('an ISO date', () =>
    assert.equal(parseSince('2025-05-01', now).toISOString(), '2025-05-01T00:00:00.000Z'));
  test('anything else is refused', () =>
    assert.throws(
      () => parseSince('yesterday', now),
      (error) => isNuggetError(error) && error.code === 'since_invalid',
    ));
});
