// Retries of webhook deliveries (docs/webhooks.md, "Delivery and retries"): exponential backoff with jitter,
// capped, and a retry period after which a delivery is failed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideOutcome, deliveryHeaders, retryDelayMs, WebhookDeliveryWorker } from './deliver-webhooks.ts';
import type { WebhookQueue, WebhookSender } from './ports.ts';
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

/** A queue in memory that hands out every pending delivery of the test's one subscription. */
function memoryQueue(count: number) {
  const subscription = { failures: 0, pausedUntil: undefined as Date | undefined };
  const deliveries = Array.from({ length: count }, (_, i) => ({
    id: `d${i}`,
    status: 'pending',
    attempts: 0,
  }));
  const queue: WebhookQueue = {
    nextDue: async () => undefined,
    claim: async (_owner, _now, _until, limit) =>
      deliveries
        .filter((d) => d.status === 'pending')
        .slice(0, limit)
        .map((d) => ({
          id: d.id,
          subscriptionId: 's1',
          event: 'package.pushed',
          url: 'https://hooks.example.com/',
          secret: 'whsec_s',
          body: `{"deliveryId":"${d.id}"}`,
          attempts: d.attempts,
          retryFrom: new Date().toISOString(),
          subscriptionFailures: subscription.failures,
        })),
    complete: async (_owner, _at, attempts, health) => {
      for (const { id, outcome } of attempts) {
        const delivery = deliveries.find((d) => d.id === id)!;
        if (outcome.kind !== 'released') delivery.attempts++;
        if (outcome.kind === 'delivered' || outcome.kind === 'failed') delivery.status = outcome.kind;
      }
      for (const h of health)
        Object.assign(subscription, { failures: h.failures, pausedUntil: h.pausedUntil });
    },
    prune: async () => 0,
    stats: async () => ({
      pending: 0,
      oldestPendingSeconds: 0,
      byStatus: { pending: 0, delivered: 0, failed: 0, dropped: 0 },
    }),
  };
  return { queue, deliveries, subscription };
}

test('a failing receiver gets one probe per round, and everything once a probe gets through', async () => {
  const { queue, deliveries, subscription } = memoryQueue(10);
  let up = false;
  const sent: string[] = [];
  const sender: WebhookSender = {
    send: async ({ headers }) => {
      sent.push(headers['x-nugget-webhook-id']!);
      return up ? { ok: true, status: 204 } : { ok: false, error: 'ECONNREFUSED' };
    },
  };
  const worker = new WebhookDeliveryWorker(
    { queue, sender, clock: { now: () => new Date() } },
    { ...policy, pollMs: 1000, batch: 20, leaseMs: 60_000, keepDeliveredMs: 1000, userAgent: 'test' },
  );
  await worker.runOnce();
  assert.equal(sent.length, 10, 'a healthy receiver gets the whole batch');
  assert.equal(subscription.failures, 1);
  assert.ok(subscription.pausedUntil && subscription.pausedUntil.getTime() > Date.now());
  await worker.runOnce();
  await worker.runOnce();
  assert.equal(sent.length, 12, 'then one probe per round');
  assert.equal(subscription.failures, 3);
  assert.deepEqual(
    deliveries.map((d) => d.attempts),
    [3, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  );
  up = true;
  await worker.runOnce();
  assert.equal(subscription.failures, 0, 'the probe got through: the pause ends');
  assert.equal(subscription.pausedUntil, undefined);
  await worker.runOnce();
  assert.ok(deliveries.every((d) => d.status === 'delivered'));
  assert.equal(sent.length, 13 + 9);
});
