import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCredentialName, redactError, redactFields, redactHeaders, redactSecrets } from './redact.ts';

describe('redactSecrets', () => {
  const rows: [string, string][] = [
    ['/v3/index.json', '/v3/index.json'],
    ['/v3/search?q=json&take=20', '/v3/search?q=json&take=20'],
    ['/v3/index.json?apikey=s3cr3t', '/v3/index.json?apikey=[REDACTED]'],
    ['/v3/index.json?q=a&api_key=s3cr3t&x=1', '/v3/index.json?q=a&api_key=[REDACTED]&x=1'],
    ['/v3/package?ApiKey=s3cr3t', '/v3/package?ApiKey=[REDACTED]'],
    ['/x?key=s3cr3t', '/x?key=[REDACTED]'],
    [
      '/x?token=t&access_token=a&password=p&secret=s',
      '/x?token=[REDACTED]&access_token=[REDACTED]&password=[REDACTED]&secret=[REDACTED]',
    ],
    ['/x?client_secret=s;sig=abc%3D%3D', '/x?client_secret=[REDACTED];sig=[REDACTED]'],
    ['/x?api%5Fkey=s3cr3t', '/x?api%5Fkey=[REDACTED]'],
    ['/x?apikey=', '/x?apikey='],
    [
      'https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2026&X-Amz-Signature=abc123&X-Amz-Security-Token=tok',
      'https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]&X-Amz-Security-Token=[REDACTED]',
    ],
    ['postgres://nugget:pa55word@db:5432/nugget', 'postgres://nugget:[REDACTED]@db:5432/nugget'],
    ['postgres://nugget:p@ss@db/nugget', 'postgres://nugget:[REDACTED]@db/nugget'],
    ['https://ghp_abcdef@github.com/x', 'https://[REDACTED]@github.com/x'],
    [
      'connect to postgresql://u:pw@h/db failed; retry with s3://AKIA:wJalr@bucket/prefix',
      'connect to postgresql://u:[REDACTED]@h/db failed; retry with s3://AKIA:[REDACTED]@bucket/prefix',
    ],
    ['the request had apikey=abc in it', 'the request had apikey=[REDACTED] in it'],
    ['mail me at someone@example.com', 'mail me at someone@example.com'],
    ['level=info q=key', 'level=info q=key'],
  ];
  for (const [input, expected] of rows) {
    test(`${input} -> ${expected}`, () => assert.equal(redactSecrets(input), expected));
  }

  test('is idempotent', () => {
    for (const [input] of rows) {
      const once = redactSecrets(input);
      assert.equal(redactSecrets(once), once);
    }
  });
});

describe('isCredentialName', () => {
  for (const name of [
    'X-NuGet-ApiKey',
    'authorization',
    'Proxy-Authorization',
    'cookie',
    'Set-Cookie',
    'apiKey',
    'x-api-key',
    'AWS_SECRET_ACCESS_KEY',
    'metricsToken',
  ]) {
    test(`${name} is credential-like`, () => assert.equal(isCredentialName(name), true));
  }
  for (const name of [
    'url',
    'q',
    'sessionId',
    'keyName',
    'user-agent',
    'host',
    'semVerLevel',
    'id',
    'version',
  ]) {
    test(`${name} is not`, () => assert.equal(isCredentialName(name), false));
  }
});

describe('redactHeaders and redactFields', () => {
  test('replaces credential headers and keeps the rest', () => {
    const headers = {
      host: 'feed',
      'x-nuget-apikey': 'k',
      authorization: 'Basic dTpw',
      cookie: 'a=b',
      'set-cookie': ['s=1'],
      'proxy-authorization': 'Bearer t',
      'user-agent': 'NuGet',
    };
    assert.deepEqual(redactHeaders(headers), {
      host: 'feed',
      'x-nuget-apikey': '[REDACTED]',
      authorization: '[REDACTED]',
      cookie: '[REDACTED]',
      'set-cookie': '[REDACTED]',
      'proxy-authorization': '[REDACTED]',
      'user-agent': 'NuGet',
    });
    assert.equal(headers['x-nuget-apikey'], 'k', 'the original is left alone');
  });

  test('walks nested fields, arrays and errors, and returns the same object when nothing is secret', () => {
    const clean = { method: 'GET', url: '/v3/index.json', status: 200, nested: { list: ['a', 1] } };
    assert.equal(redactFields(clean), clean);
    const dirty = {
      url: '/v3/index.json?apikey=s3cr3t',
      req: { headers: { 'x-nuget-apikey': 's3cr3t' } },
      list: ['postgres://u:s3cr3t@h/db'],
      password: 's3cr3t',
      err: new Error('cannot reach postgres://u:s3cr3t@h/db'),
    };
    const safe = redactFields(dirty);
    assert.doesNotMatch(JSON.stringify(safe) + String(safe.err.message) + String(safe.err.stack), /s3cr3t/);
    assert.ok(safe.err instanceof Error);
    assert.match(dirty.url, /s3cr3t/, 'the original is left alone');
  });

  test('redactError keeps the class, code and cause chain without the secret', () => {
    const cause = new Error('dial postgres://u:s3cr3t@h/db');
    const error = Object.assign(new TypeError('wrapped', { cause }), { code: 'E_X', url: '/x?token=s3cr3t' });
    const safe = redactError(error);
    assert.ok(safe instanceof TypeError);
    assert.equal(safe.code, 'E_X');
    assert.equal(safe.url, '/x?token=[REDACTED]');
    assert.equal((safe.cause as Error).message, 'dial postgres://u:[REDACTED]@h/db');
    assert.equal(redactError(new Error('harmless')).message, 'harmless');
  });

  test('a cycle ends', () => {
    const a: Record<string, unknown> = { url: '/x?key=s3cr3t' };
    a['self'] = a;
    assert.doesNotThrow(() => redactFields(a));
  });
});
