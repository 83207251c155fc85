// The format of a managed API key and how its secret is stored: `ngt_<key id>_<secret>`. The key id is public
// (it names the stored row, so a lookup is one primary-key read); only a hash of the secret is stored.
//
// Why SHA-256 and not scrypt/argon2: those slow hashes exist to make guessing LOW-entropy secrets (passwords)
// expensive. These secrets are 256 random bits from crypto.randomBytes, so nobody can enumerate them whatever the
// hash costs, and a slow hash would only cost us: on a private feed every GET of a restore (hundreds per restore)
// checks the key, and scrypt at safe parameters is tens of milliseconds of CPU each time. GitHub and nuget.org
// store their random tokens with a fast hash for the same reason.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const prefix = 'ngt_';
const keyPattern = /^ngt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ApiKeyParts {
  readonly keyId: string;
  readonly secret: string;
}

/** A new key: 64 random bits of key id, 256 random bits of secret (base64url, 43 characters). */
export function generateApiKey(): ApiKeyParts & { readonly key: string } {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { keyId, secret, key: `${prefix}${keyId}_${secret}` };
}

/** The parts of a managed key, or undefined for anything else (such as the bootstrap --api-key). */
export function parseApiKey(text: string): ApiKeyParts | undefined {
  const match = keyPattern.exec(text);
  return match?.[1] && match[2] ? { keyId: match[1], secret: match[2] } : undefined;
}

/** What is stored instead of the secret; the algorithm is named so that it can change later. */
export function hashSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

/**
 * Whether `secret` hashes to `storedHash`, in time that does not depend on where they differ. Both sides are
 * digests of equal length, so not even the length of the presented secret leaks.
 */
export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'utf8');
  const stored = Buffer.from(storedHash, 'utf8');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** Constant-time comparison of any two strings (the bootstrap key): compares their SHA-256 digests. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
