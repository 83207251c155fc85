import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateApiKey, hashSecret, parseApiKey, sameSecret, secretMatches } from './api-key.ts';

describe('API key format ngt_<key id>_<secret>', () => {
  test('a generated key parses back into its key id and secret', () => {
    const { key, keyId, secret } = generateApiKey();
    assert.match(key, /^ngt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(parseApiKey(key), { keyId, secret });
  });

  test('two keys never share a key id or secret', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    assert.notEqual(a.keyId, b.keyId);
    assert.notEqual(a.secret, b.secret);
  });

  const notManagedKeys: [string, string][] = [
    ['the bootstrap --api-key', 'test-api-key-0123456789'],
    ['no prefix', '0123456789abcdef_' + 'a'.repeat(43)],
    ['upper-case key id', 'ngt_0123456789ABCDEF_' + 'a'.repeat(43)],
    ['short secret', 'ngt_0123456789abcdef_' + 'a'.repeat(42)],
    ['long secret', 'ngt_0123456789abcdef_' + 'a'.repeat(44)],
    ['secret with padding', 'ngt_0123456789abcdef_' + 'a'.repeat(42) + '='],
    ['empty', ''],
  ];
  for (const [what, text] of notManagedKeys) {
    test(`${what} is not a managed key`, () => assert.equal(parseApiKey(text), undefined));
  }
});

describe('stored hash of the secret', () => {
  test('the hash names its algorithm and is not the secret', () => {
    const { secret } = generateApiKey();
    const hash = hashSecret(secret);
    assert.match(hash, /^sha256:[0-9a-f]{64}$/);
    assert.ok(!hash.includes(secret));
  });

  test('the right secret matches; a secret differing in one character, case or length does not', () => {
    const { secret } = generateApiKey();
    const hash = hashSecret(secret);
    assert.equal(secretMatches(secret, hash), true);
    const last = secret.at(-1) === 'A' ? 'B' : 'A';
    assert.equal(secretMatches(secret.slice(0, -1) + last, hash), false);
    assert.equal(
      secretMatches(secret.toUpperCase() === secret ? secret.toLowerCase() : secret.toUpperCase(), hash),
      false,
    );
    assert.equal(secretMatches(secret + 'x', hash), false);
    assert.equal(secretMatches('', hash), false);
  });

  test('a stored hash of another shape never matches', () => {
    assert.equal(secretMatches('anything', 'md5:abc'), false);
  });

  test('sameSecret compares any two strings exactly', () => {
    assert.equal(sameSecret('key', 'key'), true);
    assert.equal(sameSecret('key', 'KEY'), false);
    assert.equal(sameSecret('key', 'key '), false);
    assert.equal(sameSecret('k'.repeat(8000), 'key'), false);
  });
});
