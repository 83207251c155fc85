import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifyStatus,
  defaultRetryPolicy,
  isTransientError,
  parseRetryAfter,
  retryDelayMs,
  type StatusClass,
} from './retry-policy.ts';

describe('classifyStatus', () => {
  const rows: [number, StatusClass][] = [
    [200, 'ok'],
    [203, 'ok'],
    [404, 'absent'],
    [410, 'absent'],
    [408, 'transient'],
    [429, 'transient'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [504, 'transient'],
    [520, 'transient'],
    [501, 'refused'],
    [505, 'refused'],
    [400, 'refused'],
    [401, 'refused'],
    [403, 'refused'],
    [405, 'refused'],
    [451, 'refused'],
    [304, 'refused'],
  ];
  for (const [status, expected] of rows) {
    it(`${status} -> ${expected}`, () => assert.equal(classifyStatus(status), expected));
  }
});

describe('isTransientError', () => {
  const withCode = (code: string) => Object.assign(new Error(code), { code });
  const fetchFailed = (cause: Error) => new TypeError('fetch failed', { cause });
  it('retries resets, refusals and timeouts, also when fetch wraps them', () => {
    for (const code of [
      'ECONNRESET',
      'ECONNREFUSED',
      'UND_ERR_SOCKET',
      'UND_ERR_HEADERS_TIMEOUT',
      'EAI_AGAIN',
    ]) {
      assert.equal(isTransientError(withCode(code)), true, code);
      assert.equal(isTransientError(fetchFailed(withCode(code))), true, `wrapped ${code}`);
    }
    assert.equal(
      isTransientError(new TypeError('terminated', { cause: withCode('UND_ERR_BODY_TIMEOUT') })),
      true,
    );
  });
  it('does not retry what waiting does not fix', () => {
    for (const error of [
      withCode('ENOTFOUND'),
      fetchFailed(withCode('CERT_HAS_EXPIRED')),
      new SyntaxError('Unexpected token'),
      'a string',
      undefined,
    ]) {
      assert.equal(isTransientError(error), false, String(error));
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const rows: [string | null, number | undefined][] = [
    ['0', 0],
    ['7', 7000],
    [' 120 ', 120_000],
    ['Thu, 01 Jan 2026 12:00:30 GMT', 30_000],
    ['Thu, 01 Jan 2026 11:00:00 GMT', 0],
    ['-5', undefined],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ];
  for (const [header, expected] of rows) {
    it(`${JSON.stringify(header)} -> ${String(expected)}`, () =>
      assert.equal(parseRetryAfter(header, now), expected));
  }
});

describe('retryDelayMs', () => {
  const policy = { ...defaultRetryPolicy, baseDelayMs: 1000, maxDelayMs: 10_000 };
  it('doubles the backoff per retry up to the maximum, with half of it jittered', () => {
    const rows: [number, number, number][] = [
      // retry, least (random 0), most (random 1)
      [1, 500, 1000],
      [2, 1000, 2000],
      [3, 2000, 4000],
      [4, 4000, 8000],
      [5, 5000, 10_000],
      [9, 5000, 10_000],
    ];
    for (const [retry, least, most] of rows) {
      assert.equal(
        retryDelayMs(policy, retry, undefined, () => 0),
        least,
        `retry ${retry}, least`,
      );
      assert.equal(
        retryDelayMs(policy, retry, undefined, () => 0.999999),
        most,
        `retry ${retry}, most`,
      );
    }
  });
  it('waits as long as Retry-After asks', () => {
    assert.equal(
      retryDelayMs(policy, 1, 30_000, () => 0.5),
      30_000,
    );
    assert.equal(
      retryDelayMs(policy, 3, 0, () => 0.5),
      0,
    );
  });
});
