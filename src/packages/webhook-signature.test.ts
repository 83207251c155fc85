// The signature of a webhook delivery (docs/webhooks.md, "Signature"): a known vector, and what a receiver refuses.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  generateWebhookSecret,
  replayWindowSeconds,
  signWebhook,
  verifyWebhook,
} from './webhook-signature.ts';

const secret = 'whsec_test-secret';
const body = '{"deliveryId":"d1","event":"ping"}';

test('the signature is HMAC-SHA256 of "{timestamp}.{body}" keyed with the secret, in lower-case hex', () => {
  const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
  assert.equal(signWebhook(secret, 1_700_000_000, body), `sha256=${expected}`);
  // A known vector, so that a change of the scheme shows here and in the docs' C# snippet at once.
  assert.equal(
    signWebhook('key', 0, 'x'),
    `sha256=${createHmac('sha256', 'key').update('0.x').digest('hex')}`,
  );
});

test('a receiver accepts a fresh delivery and refuses a changed body, a wrong secret or an old timestamp', () => {
  const now = new Date(1_700_000_000_000);
  const timestamp = '1700000000';
  const signature = signWebhook(secret, 1_700_000_000, body);
  const rows: [string, Parameters<typeof verifyWebhook>, ReturnType<typeof verifyWebhook>][] = [
    ['as sent', [secret, { timestamp, signature }, body, now], 'valid'],
    ['body changed', [secret, { timestamp, signature }, body.replace('ping', 'pong'), now], 'bad-signature'],
    ['other secret', ['whsec_other', { timestamp, signature }, body, now], 'bad-signature'],
    ['timestamp changed', [secret, { timestamp: '1700000001', signature }, body, now], 'bad-signature'],
    ['no signature', [secret, { timestamp, signature: undefined }, body, now], 'bad-signature'],
    ['no timestamp', [secret, { timestamp: undefined, signature }, body, now], 'bad-signature'],
    [
      'upper-case hex',
      [secret, { timestamp, signature: signature.toUpperCase() }, body, now],
      'bad-signature',
    ],
    [
      'replayed after the window',
      [secret, { timestamp, signature }, body, new Date(now.getTime() + (replayWindowSeconds + 1) * 1000)],
      'too-old',
    ],
    [
      'just within the window',
      [secret, { timestamp, signature }, body, new Date(now.getTime() + replayWindowSeconds * 1000)],
      'valid',
    ],
  ];
  for (const [name, args, verdict] of rows) assert.equal(verifyWebhook(...args), verdict, name);
});

test('secrets are 32 random bytes, each new', () => {
  const a = generateWebhookSecret();
  assert.match(a, /^whsec_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, generateWebhookSecret());
});
