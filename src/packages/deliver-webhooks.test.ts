// Retries of webhook deliveries (docs/webhooks.md, "Delivery and retries"): exponential backoff with jitter,
// capped, and a retry period after which a delivery is failed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideOutcome, deliveryHeaders, retryDelayMs } from './deliver-webhooks.ts';
import { verifyWebhook } from './webhook-signature.ts';

const policy = { retryForMs: 24 * 3_600_000, retryMinMs: 10_000, retryMaxMs: 3_600_000 };

test('the wait doubles after each failed attempt, up to the maximum, with half of it random', () => {
  const rows: [attempts: number, lowest: number, highest: number][] = [
    [1, 5_000, 10_000],
    [2, 10_000, 20_000],
    [3, 20_000, 40_000],
    [9, 1_280_000, 2_560_000],
    [10, 1_800_000, 3_600_000],
    [50, 1_800_000, 3_600_000],
  ];
  for (const [attempts, lowest, highest] of rows) {
    assert.equal(
      retryDelayMs(attempts, policy, () => 0),
      lowest,
      `attempt ${attempts}, no jitter`,
    );
    assert.equal(
      retryDelayMs(attempts, policy, () => 1),
      highest,
      `attempt ${attempts}, full jitter`,
    );
  }
});

test('a failure is retried until the next attempt would fall after the retry period, then it is failed', () => {
  const retryFrom = '2026-01-01T00:00:00.000Z';
  const failure = { ok: false as const, error: 'HTTP 500', status: 500 };
  const early = decideOutcome(
    { attempts: 0, retryFrom },
    failure,
    new Date('2026-01-01T00:00:01Z'),
    policy,
    () => 0,
  );
  assert.deepEqual(early, {
    kind: 'retry',
    nextAttempt: new Date('2026-01-01T00:00:06Z'),
    error: 'HTTP 500',
    responseCode: 500,
  });
  const late = decideOutcome(
    { attempts: 30, retryFrom },
    failure,
    new Date('2026-01-01T23:59:00Z'),
    policy,
    () => 0,
  );
  assert.deepEqual(late, {
    kind: 'failed',
    error: 'HTTP 500 (gave up after 31 attempts)',
    responseCode: 500,
  });
  assert.deepEqual(
    decideOutcome(
      { attempts: 30, retryFrom },
      { ok: true, status: 202 },
      new Date('2026-01-09T00:00:00Z'),
      policy,
    ),
    { kind: 'delivered', responseCode: 202 },
  );
});

test('each attempt is signed over its own timestamp', () => {
  const delivery = { id: 'd1', event: 'package.pushed', secret: 'whsec_s', body: '{"a":1}' };
  const now = new Date('2026-01-01T00:00:00Z');
  const headers = deliveryHeaders(delivery, now, 'nugget-webhooks/test');
  assert.equal(headers['x-nugget-webhook-timestamp'], String(now.getTime() / 1000));
  assert.equal(headers['x-nugget-webhook-id'], 'd1');
  assert.equal(headers['x-nugget-webhook-event'], 'package.pushed');
  assert.equal(
    verifyWebhook(
      'whsec_s',
      { timestamp: headers['x-nugget-webhook-timestamp'], signature: headers['x-nugget-webhook-signature'] },
      delivery.body,
      now,
    ),
    'valid',
  );
});
