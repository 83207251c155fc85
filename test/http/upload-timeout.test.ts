// A push that stops sending must not hold a socket and a temporary file forever (--upload-timeout): the server
// answers 408 with the JSON error shape, closes the connection (RFC 9110 §15.5.9) and removes the partial upload.
// The NuGet client retries 408 (../../../shared/notes/client-behaviour.md §3.1), so a push from a client that was
// only briefly cut off still succeeds. Each stall here is a real socket that simply stops writing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { chunked, type Exchange, exchange } from './connection-guarantees.ts';
import { multipartBody, startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

function requestHead(contentType: string, lengthHeader: string): string {
  return (
    'PUT /v3/package HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
    `X-NuGet-ApiKey: ${testApiKey}\r\nContent-Type: ${contentType}\r\n${lengthHeader}\r\n\r\n`
  );
}

describe('--upload-timeout: a push that stalls', () => {
  let feed: TestFeed;
  let port = 0;
  before(async () => {
    feed = await startFeed({ config: { uploadTimeout: '400ms' } });
    // rawRequest starts the listener; the stalling sockets below need its port.
    assert.equal((await feed.rawRequest('GET', '/v3/index.json')).statusCode, 200);
    const address = feed.app.server.address();
    assert.ok(address && typeof address === 'object');
    port = address.port;
  });
  after(() => feed.close());

  const assertTimedOut = async (answer: Exchange) => {
    assert.match(answer.statusLine, /^HTTP\/1\.1 408 /, `${answer.statusLine}\n${answer.body}`);
    assert.equal(answer.headers['connection'], 'close');
    assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
    const error = JSON.parse(answer.body).error;
    assert.equal(error.code, 'push_timed_out');
    assert.match(error.message, /sent no data for 400 ms.*--upload-timeout.*push again/);
    assert.deepEqual(await feed.filesUnder('tmp'), [], 'the partial upload was removed');
    assert.deepEqual(await feed.filesUnder('blobs'), []);
    assert.equal((await feed.get('/v3/index.json')).statusCode, 200, 'the server still serves');
  };

  test(
    'raw body with Content-Length, stalled after the first bytes -> 408, socket closed, no temp file',
    { timeout: 20_000 },
    async () => {
      const nupkg = await buildNupkg({ id: 'Stall.Raw', version: '1.0.0' });
      const head = requestHead('application/octet-stream', `Content-Length: ${nupkg.length}`);
      await assertTimedOut(await exchange({ port, tls: false }, head, [nupkg.subarray(0, 300)]));
    },
  );

  test('multipart, chunked, stalled inside the file part -> 408', { timeout: 20_000 }, async () => {
    const body = multipartBody(await buildNupkg({ id: 'Stall.Part', version: '1.0.0' }), 'stall');
    const head = requestHead('multipart/form-data; boundary="stall"', 'Transfer-Encoding: chunked');
    await assertTimedOut(await exchange({ port, tls: false }, head, [chunked(body.subarray(0, 400))]));
  });

  test('multipart, stalled before the file part begins -> 408', { timeout: 20_000 }, async () => {
    const head = requestHead('multipart/form-data; boundary="stall"', 'Transfer-Encoding: chunked');
    await assertTimedOut(await exchange({ port, tls: false }, head, [chunked(Buffer.from('--stall\r\n'))]));
  });

  test('headers only, no body byte at all -> 408', { timeout: 20_000 }, async () => {
    const head = requestHead('application/octet-stream', 'Content-Length: 5000');
    await assertTimedOut(await exchange({ port, tls: false }, head, []));
  });

  test(
    'a slow push that keeps sending is not cut off: the timeout is per gap, not per push',
    { timeout: 20_000 },
    async () => {
      const nupkg = await buildNupkg({ id: 'Slow.But.Steady', version: '1.0.0' });
      const body = multipartBody(nupkg, 'slow');
      // 12 pieces 100 ms apart: the push takes longer than the 400 ms timeout, no gap comes near it.
      const size = Math.ceil(body.length / 12);
      const pieces: Buffer[] = [];
      for (let at = 0; at < body.length; at += size) pieces.push(chunked(body.subarray(at, at + size)));
      pieces.push(Buffer.from('0\r\n\r\n'));
      const head = requestHead('multipart/form-data; boundary="slow"', 'Transfer-Encoding: chunked').replace(
        'Host: 127.0.0.1\r\n',
        'Host: 127.0.0.1\r\nConnection: close\r\n',
      );
      const answer = await exchange({ port, tls: false }, head, pieces, 100);
      assert.match(answer.statusLine, /^HTTP\/1\.1 201 /, `${answer.statusLine}\n${answer.body}`);
      assert.equal((await feed.get('/v3/flatcontainer/slow.but.steady/index.json')).statusCode, 200);
    },
  );
});
