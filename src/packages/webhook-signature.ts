// How a webhook delivery is signed (docs/webhooks.md, "Signature"): HMAC-SHA256, keyed with the subscription's
// secret (its UTF-8 bytes), over `{timestamp}.{body}`, where the timestamp is the Unix time in seconds sent in
// X-Nugget-Webhook-Timestamp. Signing the timestamp with the body lets a receiver refuse an old delivery replayed
// by someone who recorded it: the signature does not match any other timestamp.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const webhookHeaders = {
  deliveryId: 'x-nugget-webhook-id',
  event: 'x-nugget-webhook-event',
  timestamp: 'x-nugget-webhook-timestamp',
  signature: 'x-nugget-webhook-signature',
} as const;

/** How far a receiver should accept a timestamp from its own clock (docs/webhooks.md): 5 minutes. */
export const replayWindowSeconds = 300;

/** A new subscription secret: 32 random bytes, base64url, with a prefix that says what it is. */
export const generateWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** The value of X-Nugget-Webhook-Signature: `sha256=` and the lower-case hex HMAC. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'));
  mac.update(`${timestamp}.`, 'utf8');
  mac.update(body, 'utf8');
  return `sha256=${mac.digest('hex')}`;
}

/**
 * What a receiver does (the C# snippet of docs/webhooks.md does the same): the signature must match, in
 * constant time, and the timestamp must be within the replay window of `now`.
 */
export function verifyWebhook(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  now: Date,
): 'valid' | 'bad-signature' | 'too-old' {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || headers.signature === undefined) return 'bad-signature';
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad-signature';
  return Math.abs(now.getTime() / 1000 - timestamp) > replayWindowSeconds ? 'too-old' : 'valid';
}
