// One log line per request, the same on every path (Fastify and the raw-HTTP fast path): the client address
// (honouring --trust-proxy), the key's name (never its secret), X-NuGet-Session-Id, X-NuGet-Protocol-Version and
// the User-Agent (../../../shared/spec/nuget-api/overview.md; ../../../shared/notes/client-behaviour.md §1.1).
// And no secret in any line: keys a client put in a query string, credential headers, passwords in URLs of error
// messages, on every path (issue 10, class 14). The logger is the server's own (src/logger.ts), writing here.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../../src/auth/manage-api-keys.ts';
import { buildApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/logger.ts';
import { type JsonObject, startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

/** A destination for the server's logger that keeps every line, parsed. */
function logSink() {
  const lines: JsonObject[] = [];
  const text: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        text.push(line);
        lines.push(JSON.parse(line));
      }
      callback();
    },
  });
  return { stream, lines, text };
}

const sessionId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const nugetHeaders = {
  'x-nuget-session-id': sessionId,
  'x-nuget-protocol-version': '4.1.0',
  'user-agent': 'NuGet .NET Core MSBuild Task/7.9.0 (test)',
};

describe('request log', () => {
  let feed: TestFeed;
  const sink = logSink();
  const requestLines = (url: string) =>
    sink.lines.filter((line) => line['msg'] === 'request' && line['url'] === url);

  before(async () => {
    feed = await startFeed({ logger: await createLogger({ logLevel: 'info' }, sink.stream) });
    await feed.publish({ id: 'Logged.Pkg', version: '1.0.0' });
  });
  after(() => feed.close());

  test('records the client address, the NuGet headers and the User-Agent', async () => {
    const response = await feed.get('/v3/index.json?probe=1', {
      ...nugetHeaders,
      'x-forwarded-for': '203.0.113.9',
    });
    assert.equal(response.statusCode, 200);
    const [line] = requestLines('/v3/index.json?probe=1');
    assert.ok(line, `no request line among ${JSON.stringify(sink.lines).slice(0, 500)}`);
    assert.equal(line['sessionId'], sessionId);
    assert.equal(line['protocolVersion'], '4.1.0');
    assert.equal(line['userAgent'], 'NuGet .NET Core MSBuild Task/7.9.0 (test)');
    assert.equal(line['method'], 'GET');
    assert.equal(line['status'], 200);
    assert.equal(typeof line['ms'], 'number');
    assert.equal(line['address'], '127.0.0.1', 'without --trust-proxy, X-Forwarded-For is not believed');
    assert.equal(line['keyName'], undefined);
  });

  test('logs one line per request, failures included, without the headers when not sent', async () => {
    const response = await feed.get('/v3/flatcontainer/no.such/index.json');
    assert.equal(response.statusCode, 404);
    const found = requestLines('/v3/flatcontainer/no.such/index.json');
    assert.equal(found.length, 1);
    assert.equal(found[0]?.['status'], 404);
    assert.equal(found[0]?.['sessionId'], undefined);
    assert.equal(found[0]?.['protocolVersion'], undefined);
  });

  test('records the name of the key a request authenticated with, never the key', async () => {
    const { key } = await createApiKey(
      feed.feed,
      { actor: 'cli', source: 'cli' },
      { name: 'ci-pipeline', scopes: ['unlist'], packages: ['*'] },
    );
    await feed.request('DELETE', '/v3/package/Logged.Pkg/1.0.0', { headers: { 'x-nuget-apikey': key } });
    await feed.request('POST', '/v3/package/Logged.Pkg/1.0.0', { headers: { 'x-nuget-apikey': testApiKey } });
    const [unlist] = requestLines('/v3/package/Logged.Pkg/1.0.0').filter((l) => l['method'] === 'DELETE');
    const [relist] = requestLines('/v3/package/Logged.Pkg/1.0.0').filter((l) => l['method'] === 'POST');
    assert.equal(unlist?.['status'], 204);
    assert.equal(unlist?.['keyName'], 'ci-pipeline');
    assert.equal(relist?.['keyName'], 'bootstrap');
    assert.doesNotMatch(sink.text.join('\n'), new RegExp(`${key}|${testApiKey}`));
  });

  test('answers of the raw-HTTP fast path are logged with the same fields, marked cached', async () => {
    const url = '/v3/flatcontainer/logged.pkg/index.json';
    for (let i = 0; i < 2; i++) {
      assert.equal((await feed.rawRequest('GET', url, { headers: nugetHeaders })).statusCode, 200);
    }
    const found = requestLines(url);
    assert.equal(found.length, 2, JSON.stringify(found));
    const [fastify, fast] = found;
    assert.equal(fastify?.['cached'], undefined);
    assert.equal(fast?.['cached'], true);
    for (const line of found) {
      assert.equal(line['sessionId'], sessionId);
      assert.equal(line['userAgent'], nugetHeaders['user-agent']);
      assert.equal(line['address'], '127.0.0.1');
      assert.equal(line['status'], 200);
      assert.equal(typeof line['ms'], 'number');
    }
  });
});

describe('request log behind a trusted proxy (--trust-proxy)', () => {
  test('the address is the one the proxy added (the last X-Forwarded-For entry), on both paths', async () => {
    const sink = logSink();
    const feed = await startFeed({
      trustProxy: true,
      logger: await createLogger({ logLevel: 'info' }, sink.stream),
    });
    try {
      await feed.publish({ id: 'Proxied.Pkg', version: '1.0.0' });
      const url = '/v3/flatcontainer/proxied.pkg/index.json';
      // What the client claims comes first; the proxy appends the address it saw.
      const headers = { 'x-forwarded-for': '10.66.66.66, 198.51.100.7' };
      for (let i = 0; i < 2; i++) await feed.rawRequest('GET', url, { headers });
      const lines = sink.lines.filter((line) => line['url'] === url);
      assert.deepEqual(
        lines.map((line) => [line['address'], line['cached'] ?? false]),
        [
          ['198.51.100.7', false],
          ['198.51.100.7', true],
        ],
      );
    } finally {
      await feed.close();
    }
  });

  test('failed authentications are counted per client, not against the proxy', async () => {
    const feed = await startFeed({ trustProxy: true, config: { authFailureLimit: 2 } });
    try {
      const attempt = (client: string) =>
        feed.request('DELETE', '/v3/package/No.Such/1.0.0', {
          headers: { 'x-nuget-apikey': 'wrong-key', 'x-forwarded-for': client },
        });
      for (let i = 0; i < 3; i++) await attempt('203.0.113.1');
      assert.equal((await attempt('203.0.113.1')).statusCode, 429, 'the client that failed is held back');
      assert.equal(
        (await attempt('203.0.113.2')).statusCode,
        403,
        'another client behind the same proxy is not',
      );
    } finally {
      await feed.close();
    }
  });
});

describe('--log-format pretty', () => {
  test('writes one readable line per request, with the same fields', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    const feed = await startFeed({
      logger: await createLogger({ logLevel: 'info', logFormat: 'pretty' }, stream),
    });
    try {
      await feed.get('/v3/index.json?apikey=pretty-secret', nugetHeaders);
      const line = lines.find((l) => l.includes('/v3/index.json'));
      assert.ok(line, lines.join('\n'));
      assert.match(
        line,
        /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*: GET \/v3\/index\.json\?apikey=\[REDACTED\] 200 [\d.]+ ms from 127\.0\.0\.1/,
      );
      assert.match(line, new RegExp(sessionId));
      assert.doesNotMatch(lines.join('\n'), /pretty-secret/);
    } finally {
      await feed.close();
    }
  });
});

describe('secrets in logs', () => {
  const secret = 'k3y-that-must-never-be-logged-0123';
  let feed: TestFeed;
  const sink = logSink();
  before(async () => {
    feed = await startFeed({ logger: await createLogger({ logLevel: 'trace' }, sink.stream) });
    await feed.publish({ id: 'Secret.Pkg', version: '1.0.0' });
  });
  after(() => feed.close());

  const assertNoSecret = () => {
    const all = sink.text.join('\n');
    assert.doesNotMatch(
      all,
      new RegExp(secret),
      all.split('\n').find((l) => l.includes(secret)),
    );
  };

  test('keys in query strings are logged as [REDACTED], on Fastify and on the fast path', async () => {
    const urls = [
      `/v3/index.json?apikey=${secret}`,
      `/v3/search?q=x&api_key=${secret}`,
      `/v3/package?access_token=${secret}&x=1`,
      `/v3/flatcontainer/secret.pkg/index.json?X-Amz-Signature=${secret}&X-Amz-Credential=${secret}`,
      `/v3/flatcontainer/secret.pkg/1.0.0/secret.pkg.1.0.0.nupkg?token=${secret}&sig=${secret}&password=${secret}`,
    ];
    for (const url of urls) {
      await feed.get(url);
      // Twice over a socket: the second answer of a cached document comes from the fast path.
      for (let i = 0; i < 2; i++) await feed.rawRequest('GET', url);
    }
    // A URL Fastify refuses before routing (a broken %-escape) is answered, counted and logged apart.
    const refused = await feed.rawRequest('GET', `/v3/flatcontainer/%E0%A4%A/index.json?apikey=${secret}`);
    assert.equal(refused.statusCode, 400);
    assert.ok(sink.lines.some((l) => l['status'] === 400 && String(l['url']).includes('%E0%A4%A')));
    assertNoSecret();
    const logged = sink.lines.filter(
      (l) => l['msg'] === 'request' && String(l['url']).includes('[REDACTED]'),
    );
    assert.ok(
      logged.some((l) => l['cached'] === true),
      'a fast-path line was checked',
    );
    assert.ok(logged.length >= urls.length * 3 - 2, `${logged.length} lines`);
  });

  test('credential headers are never logged, at any level', async () => {
    const headers = {
      'x-nuget-apikey': secret,
      authorization: `Basic ${Buffer.from(`user:${secret}`).toString('base64')}`,
      'proxy-authorization': `Bearer ${secret}`,
      cookie: `session=${secret}`,
    };
    await feed.request('DELETE', '/v3/package/Secret.Pkg/9.9.9', { headers });
    await feed.get('/v3/index.json', headers);
    const encoded = Buffer.from(`user:${secret}`).toString('base64');
    assertNoSecret();
    assert.doesNotMatch(sink.text.join('\n'), new RegExp(encoded));
  });

  test('an error whose message holds a connection URL is logged without its password', async () => {
    const failing = {
      ...feed.feed.blobs,
      open: async () => {
        throw new Error(`cannot reach postgres://nugget:${secret}@db.internal/nugget?sslpassword=${secret}`);
      },
    };
    const logger = await createLogger({ logLevel: 'info' }, sink.stream);
    const app = await buildApp(
      { ...feed.feed, blobs: failing, caches: { ...feed.feed.caches, front: undefined } },
      { logger },
    );
    try {
      const response = await app.inject({
        method: 'GET',
        url: '/v3/flatcontainer/secret.pkg/1.0.0/secret.pkg.nuspec',
      });
      assert.equal(response.statusCode, 500);
      assert.doesNotMatch(response.body, new RegExp(secret));
    } finally {
      await app.close();
    }
    const failure = sink.lines.find((l) => l['msg'] === 'request failed');
    assert.ok(failure, 'the failure was logged');
    assert.match(JSON.stringify(failure), /postgres:\/\/nugget:\[REDACTED\]@db\.internal/);
    assertNoSecret();
  });

  test('the audit log keeps no secret a detail quoted', async () => {
    await feed.feed.audit.append({
      at: new Date().toISOString(),
      actor: 'cli',
      action: 'import-vulnerabilities',
      source: 'cli',
      outcome: 'success',
      detail: {
        from: `https://reader:${secret}@advisories.example/feed.json?token=${secret}`,
        apiKey: secret,
      },
    });
    const [record] = await feed.feed.audit.list({ limit: 1 });
    assert.ok(record?.detail);
    assert.doesNotMatch(JSON.stringify(record), new RegExp(secret));
    assert.equal(
      record.detail['from'],
      'https://reader:[REDACTED]@advisories.example/feed.json?token=[REDACTED]',
    );
  });
});
