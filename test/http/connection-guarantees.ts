// The connection guarantees of src/http/server-timeouts.ts and request-guards.ts, over real sockets, for one
// server variant (raw-HTTP fast path on or off, TLS, private, PostgreSQL): the same timeouts apply whatever path a
// request takes (answered by the fast path, by Fastify, by the 404 handler, refused before routing), a body is
// read only by a route that takes it and only after authentication, and no client can hold a socket by sending
// nothing, or `{` and nothing more. The timeouts are shortened for the tests; each assertion waits for the server
// to act (the test's own timeout catches a server that never does) and bounds times only loosely, so a loaded
// machine does not fail them.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { type FeedSettings, multipartBody, startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

export const testTimeouts = { headersMs: 1000, keepAliveMs: 500, bodyIdleMs: 1000 };

export interface Exchange {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte of the answer (or from connecting, without one) to the server's close. */
  closedAfterMs: number;
}

export interface Target {
  port: number;
  tls: boolean;
}

/**
 * Connects, sends `head` and then `pieces` (`gapMs` apart), never ends the request, and waits for the server to
 * close the connection. Returns the first answer on it.
 */
export function exchange(
  target: Target,
  head: string,
  pieces: readonly Buffer[] = [],
  gapMs = 0,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = target.tls
      ? tls.connect({ port: target.port, host: '127.0.0.1', rejectUnauthorized: false })
      : net.connect(target.port, '127.0.0.1');
    const received: Buffer[] = [];
    let since = Date.now();
    socket.on('data', (chunk: Buffer) => {
      if (received.length === 0) since = Date.now();
      received.push(chunk);
    });
    // ECONNRESET: the server closed while this side was still writing a body it would not read.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, split < 0 ? text.length : split).split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      const length = Number(headers['content-length'] ?? Number.NaN);
      const rest = split < 0 ? '' : text.slice(split + 4);
      resolve({
        statusLine,
        headers,
        body: Number.isFinite(length) ? rest.slice(0, length) : rest,
        closedAfterMs: Date.now() - since,
      });
    });
    const start = () => {
      since = Date.now();
      if (head) socket.write(head);
      let next = 0;
      const writeNext = () => {
        const piece = pieces[next++];
        if (piece === undefined || socket.destroyed) return;
        socket.write(piece);
        if (gapMs > 0) setTimeout(writeNext, gapMs);
        else writeNext();
      };
      writeNext();
    };
    socket.once(target.tls ? 'secureConnect' : 'connect', start);
  });
}

export const chunked = (bytes: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);

const key = `X-NuGet-ApiKey: ${testApiKey}\r\n`;

function requestHead(method: string, path: string, headers: string): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`;
}

function assertStatus(answer: Exchange, status: number, what: string): void {
  assert.match(
    answer.statusLine,
    new RegExp(`^HTTP/1\\.1 ${status} `),
    `${what}: ${answer.statusLine}\n${answer.body}`,
  );
}

/** An error answer that says why, and closes the connection (the rest of the body is never read). */
function assertRefused(answer: Exchange, status: number, code: string, what: string): void {
  assertStatus(answer, status, what);
  assert.equal(answer.headers['connection'], 'close', `${what}: Connection: close`);
  assert.equal(JSON.parse(answer.body).error.code, code, `${what}: ${answer.body}`);
}

export interface Variant {
  readonly name: string;
  /** Settings for startFeed (resolved in `before`: certificates and databases are made there). */
  readonly settings: () => Promise<FeedSettings>;
  readonly tls?: boolean;
  /** Whether the raw-HTTP fast path answers repeated reads (front-cache.ts). */
  readonly fastPath: boolean;
}

export function connectionGuaranteesSuite(variant: Variant): void {
  describe(`connection guarantees: ${variant.name}`, { timeout: 120_000 }, () => {
    let feed: TestFeed;
    let target: Target;
    before(async () => {
      const settings = await variant.settings();
      feed = await startFeed({
        ...settings,
        serverTimeouts: { headersMs: testTimeouts.headersMs, keepAliveMs: testTimeouts.keepAliveMs },
        config: { ...settings.config, uploadTimeout: `${testTimeouts.bodyIdleMs}ms` },
      });
      await feed.publish({ id: 'Timeout.Target', version: '1.0.0' });
      await feed.app.listen({ host: '127.0.0.1', port: 0 });
      const address = feed.app.server.address();
      assert.ok(address && typeof address === 'object');
      target = { port: address.port, tls: variant.tls ?? false };
    });
    after(() => feed.close());

    test('the server it listens with has the defined timeouts, not Node defaults', () => {
      const server = feed.app.server;
      assert.equal(server.requestTimeout, 0, 'requestTimeout: a push that keeps sending is never cut off');
      assert.equal(server.headersTimeout, testTimeouts.headersMs);
      assert.equal(server.keepAliveTimeout, testTimeouts.keepAliveMs);
      assert.equal(Boolean(feed.feed.caches.front), variant.fastPath, 'the raw-HTTP fast path is on or off');
    });

    test('a client that sends nothing, or stops inside its headers, is disconnected', async () => {
      const heads = ['', 'GET /v3/index.json HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'GET /v3/inde'];
      const answers = await Promise.all(heads.map((head) => exchange(target, head)));
      for (const [i, answer] of answers.entries()) {
        // Node answers a raw 408 (or just closes); either way the socket is gone.
        if (answer.statusLine) assertStatus(answer, 408, `headers ${JSON.stringify(heads[i])}`);
      }
    });

    test('an idle keep-alive connection is closed after the keep-alive timeout, whoever answered', async () => {
      const urls = [
        '/v3/flatcontainer/timeout.target/index.json',
        '/v3/registration/timeout.target/index.json',
        '/v3/no-such-resource',
        '/v3/flatcontainer/%E0%A4%A/index.json',
      ];
      // Twice first: the second answer of a cacheable read comes from the fast path where it is on.
      for (const url of urls.slice(0, 2)) {
        for (let i = 0; i < 2; i++)
          await exchange(target, requestHead('GET', url, `${key}Connection: close\r\n`));
      }
      const answers = await Promise.all(urls.map((url) => exchange(target, requestHead('GET', url, key))));
      for (const [i, answer] of answers.entries()) {
        const url = urls[i];
        assert.match(answer.statusLine, /^HTTP\/1\.1 [234]\d\d /, `${url}: ${answer.statusLine}`);
        assert.notEqual(answer.headers['connection'], 'close', `${url} keeps the connection open`);
        // Node's default would be 5 s (+1 s); the configured one is 0.5 s (+1 s). Far from both, for loaded machines.
        assert.ok(answer.closedAfterMs < 4500, `${url}: closed after ${answer.closedAfterMs} ms`);
        assert.ok(
          answer.closedAfterMs >= testTimeouts.keepAliveMs / 2,
          `${url}: closed after ${answer.closedAfterMs} ms`,
        );
      }
    });

    test('a body that is not taken is refused unread, and the connection closed', async () => {
      const json = 'Content-Type: application/json\r\n';
      const text = 'Content-Type: text/plain\r\n';
      const [notFound, noBody, badType] = [
        [404, 'not_found'],
        [413, 'request_body_not_accepted'],
        [415, 'unsupported_media_type'],
      ] as const;
      const cases = [
        ['POST', '/v3/no-such-resource', json, notFound],
        ['PUT', '/v3/index.json', json, notFound],
        ['GET', '/v3/flatcontainer/timeout.target/index.json', json, noBody],
        ['DELETE', '/v3/package/timeout.target/1.0.0', json, noBody],
        ['POST', '/v3/package/timeout.target/1.0.0', text, noBody],
        ['PUT', '/v3/package', json, badType],
        ['PUT', '/v3/package', text, badType],
        ['PUT', '/v3/package', '', badType],
        ['PUT', '/v3/symbol-package', 'Content-Type: application/x-www-form-urlencoded\r\n', badType],
        ['PUT', '/v3/admin/vulnerabilities', text, badType],
        [
          'PUT',
          '/v3/admin/deprecations/timeout.target/1.0.0',
          'Content-Type: multipart/form-data; boundary=x\r\n',
          badType,
        ],
      ] as const;
      for (const [method, path, type, [status, code]] of cases) {
        for (const [length, piece] of [
          ['Content-Length: 100\r\n', Buffer.from('{')],
          ['Transfer-Encoding: chunked\r\n', chunked(Buffer.from('{'))],
        ] as const) {
          const what = `${method} ${path} ${type.trim() || 'no Content-Type'} ${length.trim()}`;
          // A server that read the body would wait for it, and answer 408 after the stall timeout instead.
          const answer = await exchange(target, requestHead(method, path, `${key}${type}${length}`), [piece]);
          assertRefused(answer, status, code, what);
        }
      }
    });

    test('authentication comes before the body: an anonymous `{` gets 401 at once, not a read', async () => {
      for (const [path, type] of [
        ['/v3/admin/vulnerabilities', 'application/json'],
        ['/v3/admin/deprecations/timeout.target/1.0.0', 'application/json'],
        ['/v3/package', 'multipart/form-data; boundary="x"'],
        ['/v3/package', 'application/octet-stream'],
        ['/v3/symbol-package', 'multipart/form-data; boundary="x"'],
      ] as const) {
        const head = requestHead('PUT', path, `Content-Type: ${type}\r\nContent-Length: 100\r\n`);
        const answer = await exchange(target, head, [Buffer.from('{')]);
        assertRefused(answer, 401, 'api_key_missing', `anonymous PUT ${path}`);
      }
    });

    test('a JSON body that stalls is answered 408 and the connection closed', async () => {
      const stalls = [
        ['/v3/admin/vulnerabilities', 'Content-Length: 100\r\n', Buffer.from('{')],
        [
          '/v3/admin/deprecations/timeout.target/1.0.0',
          'Transfer-Encoding: chunked\r\n',
          chunked(Buffer.from('{')),
        ],
        ['/v3/admin/vulnerabilities', 'Content-Length: 100\r\n', Buffer.alloc(0)],
      ] as const;
      const answers = await Promise.all(
        stalls.map(([path, length, piece]) =>
          exchange(target, requestHead('PUT', path, `${key}Content-Type: application/json\r\n${length}`), [
            piece,
          ]),
        ),
      );
      for (const [i, answer] of answers.entries()) {
        assertRefused(answer, 408, 'request_body_timed_out', `PUT ${stalls[i]?.[0]} stalled`);
        assert.match(JSON.parse(answer.body).error.message, /sent no data for 1 second\b.*--upload-timeout/);
      }
    });

    test('a push that stalls is answered 408 and leaves nothing behind', async () => {
      const head = requestHead(
        'PUT',
        '/v3/package',
        `${key}Content-Type: multipart/form-data; boundary="s"\r\nTransfer-Encoding: chunked\r\n`,
      );
      const body = multipartBody(await buildNupkg({ id: 'Timeout.Stalled', version: '1.0.0' }), 's');
      const answer = await exchange(target, head, [chunked(body.subarray(0, 300))]);
      assertRefused(answer, 408, 'push_timed_out', 'stalled push');
      assert.deepEqual(await feed.filesUnder('tmp'), []);
    });

    test('a slow push that keeps sending outlasts every timeout and is stored', async () => {
      const body = multipartBody(await buildNupkg({ id: 'Timeout.Slow', version: '1.0.0' }), 'slow');
      // 16 pieces 150 ms apart: 2.4 s in all, longer than the header, keep-alive and body stall timeouts together.
      const size = Math.ceil(body.length / 16);
      const pieces: Buffer[] = [];
      for (let at = 0; at < body.length; at += size) pieces.push(chunked(body.subarray(at, at + size)));
      pieces.push(Buffer.from('0\r\n\r\n'));
      const head = requestHead(
        'PUT',
        '/v3/package',
        `${key}Content-Type: multipart/form-data; boundary="slow"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n`,
      );
      const answer = await exchange(target, head, pieces, 150);
      assertStatus(answer, 201, 'slow push');
      assert.equal(
        (await feed.get('/v3/flatcontainer/timeout.slow/index.json', { 'x-nuget-apikey': testApiKey }))
          .statusCode,
        200,
      );
    });
  });
}
