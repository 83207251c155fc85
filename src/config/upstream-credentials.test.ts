import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readUpstreamCredentials } from './upstream-credentials.ts';

const files = (contents: Record<string, string>) => (file: string) => {
  const found = contents[file];
  if (found === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
  return found;
};

test('Basic, API key header and bearer token, inline or from a file next to the credentials file', () => {
  const headers = readUpstreamCredentials(
    '/etc/nugget/upstreams.toml',
    files({
      '/etc/nugget/upstreams.toml': [
        '[nuget-org]',
        'username = "me"',
        'password-file = "secrets/pw"',
        '[partner]',
        'api-key = "k-123"',
        'api-key-header = "X-Api-Key"',
        '[azure]',
        'bearer-token-file = "/run/secrets/pat"',
        '[plain]',
      ].join('\n'),
      '/etc/nugget/secrets/pw': 'p@ss\n',
      '/run/secrets/pat': 'tok',
    }),
  );
  assert.deepEqual(headers.get('nuget-org'), {
    authorization: `Basic ${Buffer.from('me:p@ss').toString('base64')}`,
  });
  assert.deepEqual(headers.get('partner'), { 'x-api-key': 'k-123' });
  assert.deepEqual(headers.get('azure'), { authorization: 'Bearer tok' });
  assert.equal(headers.get('plain'), undefined);
});

test('mistakes name the file, table and key, and never print a secret', () => {
  const secret = 'hunter2-very-secret';
  const cases: [string, RegExp][] = [
    [
      `[a]\npassword = "${secret}"\napi-key = "${secret}"`,
      /\[a\]: give one of password, api-key or bearer-token/,
    ],
    [
      `[a]\npassword = "${secret}"\npassword-file = "x"`,
      /\[a\] password: give password or password-file, not both/,
    ],
    [`[a]\ntoken = "${secret}"`, /\[a\] token: not a credential key/],
    [`[a]\napi-key-file = "missing"`, /\[a\] api-key-file: cannot read missing \(ENOENT\)/],
    [`a = "${secret}"`, /\[a\]: give a table per upstream feed/],
    [`[a]\nusername = "me"`, /\[a\] username: a username needs password/],
    [`[a\npassword = "${secret}"`, /cannot read the upstream credentials/],
  ];
  for (const [text, expected] of cases) {
    assert.throws(
      () => readUpstreamCredentials('/c.toml', files({ '/c.toml': text })),
      (error: Error) => {
        assert.match(error.message, expected);
        assert.ok(error.message.startsWith('/c.toml'), error.message);
        assert.ok(!error.message.includes(secret), `the secret leaked: ${error.message}`);
        return true;
      },
    );
  }
});
