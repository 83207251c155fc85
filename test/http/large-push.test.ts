// Pushes of several megabytes over a real socket: what the small pushes of package-publish.test.ts never reach in
// the receiving path (src/storage/package-file-sink.ts): the bytes past the part kept in memory, written in buffers of
// a megabyte, with the hash and the limit checked across them; and what a client that fails mid-push leaves.
// Spec: ../../../shared/spec/nuget-api/package-publish-resource.md
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { multipartBody, startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

/** A stored (incompressible) package of about `bytes`, under the id given. */
const bigPackage = (id: string, bytes: number) =>
  buildNupkg({ id, version: '1.0.0', files: [{ path: 'lib/net8.0/big.bin', content: randomBytes(bytes) }] });

interface Sent {
  readonly status: number;
  readonly body: string;
}

/**
 * PUTs `body` (already framed) to the feed over a socket, in pieces of `pieceBytes`, chunked as the NuGet client
 * sends it; with `cutAfter`, the connection is destroyed once that many bytes are written.
 */
async function send(
  feed: TestFeed,
  body: Buffer,
  headers: Record<string, string>,
  options: { pieceBytes?: number; cutAfter?: number } = {},
): Promise<Sent | 'cut'> {
  await feed.app.listen({ host: '127.0.0.1', port: 0 }).catch((error: NodeJS.ErrnoException) => {
    if (!/already listening/i.test(error.message)) throw error;
  });
  const address = feed.app.server.address();
  assert.ok(address && typeof address === 'object');
  const request = http.request({
    host: '127.0.0.1',
    port: address.port,
    method: 'PUT',
    path: '/v3/package',
    agent: false,
    headers: { 'x-nuget-apikey': testApiKey, 'transfer-encoding': 'chunked', ...headers },
  });
  const answer = new Promise<Sent | 'cut'>((resolve) => {
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on('error', () => resolve('cut'));
    });
    request.on('error', () => resolve('cut'));
  });
  const pieceBytes = options.pieceBytes ?? 100_003;
  const end = options.cutAfter ?? body.length;
  for (let at = 0; at < end; at += pieceBytes) {
    const piece = body.subarray(at, Math.min(at + pieceBytes, end));
    if (!request.write(piece)) await new Promise((resolve) => request.once('drain', resolve));
  }
  if (options.cutAfter === undefined) request.end();
  else {
    // Let the server read what was sent before the connection goes.
    await sleep(200);
    request.destroy();
  }
  return answer;
}

/** The answer, failing the test if the connection died without one. */
function answered(answer: Sent | 'cut'): Sent {
  assert.notEqual(answer, 'cut', 'the connection closed without an answer');
  return answer as Sent;
}

const multipart = (nupkg: Buffer) => {
  const boundary = randomUUID();
  return {
    body: multipartBody(nupkg, boundary),
    headers: { 'content-type': `multipart/form-data; boundary="${boundary}"` },
  };
};

/** Waits (bounded) until the upload folder is empty: a refused or broken push removes its file. */
async function tmpEmptied(feed: TestFeed): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const left = await feed.filesUnder('tmp');
    if (left.length === 0) return left;
    await sleep(50);
  }
  return feed.filesUnder('tmp');
}

describe('a push of several megabytes', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ maxPackageSize: 8 * 1024 * 1024 });
  });
  after(() => feed.close());

  for (const [name, pieceBytes] of [
    ['in pieces of odd sizes', 100_003],
    ['in pieces smaller than the boundary line', 37],
  ] as const) {
    test(`multipart, ${name} -> 201; the stored bytes and hash are the bytes sent`, async () => {
      const id = `Large.Push.${pieceBytes}`;
      const nupkg = await bigPackage(id, pieceBytes < 100 ? 600_000 : 5 * 1024 * 1024 + 12_345);
      const { body, headers } = multipart(nupkg);
      const answer = answered(await send(feed, body, headers, { pieceBytes }));
      assert.equal(answer.status, 201, answer.body);
      const lower = id.toLowerCase();
      const served = await feed.get(`/v3/flatcontainer/${lower}/1.0.0/${lower}.1.0.0.nupkg`);
      assert.equal(served.statusCode, 200);
      assert.ok(
        served.rawPayload.equals(nupkg),
        `served ${served.rawPayload.length} of ${nupkg.length} bytes`,
      );
      const stored = await feed.feed.packages.findVersion(lower, '1.0.0');
      assert.equal(stored?.packageHash, createHash('sha512').update(nupkg).digest('base64'));
      assert.equal(stored?.packageSize, nupkg.length);
      assert.deepEqual(await tmpEmptied(feed), []);
    });
  }

  test('raw application/octet-stream -> 201 with the same bytes', async () => {
    const nupkg = await bigPackage('Large.Push.Raw', 3 * 1024 * 1024 + 1);
    const answer = answered(await send(feed, nupkg, { 'content-type': 'application/octet-stream' }));
    assert.equal(answer.status, 201, answer.body);
    const served = await feed.get('/v3/flatcontainer/large.push.raw/1.0.0/large.push.raw.1.0.0.nupkg');
    assert.ok(served.rawPayload.equals(nupkg));
  });

  test('a client that disconnects after 3 MB: nothing stored, nothing left in tmp/', async () => {
    const nupkg = await bigPackage('Large.Push.Cut', 6 * 1024 * 1024);
    const { body, headers } = multipart(nupkg);
    assert.equal(await send(feed, body, headers, { cutAfter: 3 * 1024 * 1024 }), 'cut');
    assert.deepEqual(await tmpEmptied(feed), []);
    assert.equal((await feed.get('/v3/flatcontainer/large.push.cut/index.json')).statusCode, 404);
    // The server goes on taking pushes, and the same push sent again whole is taken.
    await feed.publish({ id: 'After.The.Cut', version: '1.0.0' });
    const again = answered(await send(feed, body, headers));
    assert.equal(again.status, 201, again.body);
  });

  test('a multipart body cut off (truncated) then sent again whole -> 400, then 201', async () => {
    const nupkg = await bigPackage('Large.Push.Retried', 3 * 1024 * 1024);
    const { body, headers } = multipart(nupkg);
    const cut = answered(await send(feed, body.subarray(0, 2 * 1024 * 1024 + 7), headers));
    assert.equal(cut.status, 400, cut.body);
    assert.deepEqual(await tmpEmptied(feed), []);
    const again = answered(await send(feed, body, headers));
    assert.equal(again.status, 201, again.body);
  });

  test('a multipart body that ends without its closing boundary after 4 MB -> 400, nothing left', async () => {
    const nupkg = await bigPackage('Large.Push.Truncated', 4 * 1024 * 1024);
    const { body, headers } = multipart(nupkg);
    const answer = answered(await send(feed, body.subarray(0, body.length - 60), headers));
    assert.equal(answer.status, 400, answer.body);
    assert.match(answer.body, /cut off/);
    assert.deepEqual(await tmpEmptied(feed), []);
    assert.equal((await feed.get('/v3/flatcontainer/large.push.truncated/index.json')).statusCode, 404);
  });

  test('a package over the limit, found out after megabytes were written -> 413, nothing left', async () => {
    const nupkg = await bigPackage('Large.Push.Over', 9 * 1024 * 1024);
    const { body, headers } = multipart(nupkg);
    const answer = answered(await send(feed, body, headers));
    assert.equal(answer.status, 413, answer.body);
    assert.deepEqual(await tmpEmptied(feed), []);
    assert.deepEqual(
      (await feed.filesUnder('blobs')).filter((file) => file.includes('large.push.over')),
      [],
    );
    assert.equal((await feed.get('/v3/flatcontainer/large.push.over/index.json')).statusCode, 404);
  });
});

describe('a push exactly at the size limit, and one byte over it', () => {
  let nupkg: Buffer;
  const feeds: TestFeed[] = [];
  before(async () => {
    nupkg = await bigPackage('Large.Push.Edge', 3 * 1024 * 1024);
  });
  after(() => Promise.all(feeds.map((feed) => feed.close())));

  for (const framing of ['multipart', 'raw'] as const) {
    test(`${framing}: a limit of the package's size -> 201; of one byte less -> 413, nothing left`, async () => {
      const at = await startFeed({ maxPackageSize: nupkg.length });
      const under = await startFeed({ maxPackageSize: nupkg.length - 1 });
      feeds.push(at, under);
      const { body, headers } =
        framing === 'multipart'
          ? multipart(nupkg)
          : { body: nupkg, headers: { 'content-type': 'application/octet-stream' } };
      const taken = answered(await send(at, body, headers));
      assert.equal(taken.status, 201, taken.body);
      const refused = answered(await send(under, body, headers));
      assert.equal(refused.status, 413, refused.body);
      assert.deepEqual(await tmpEmptied(under), []);
      assert.equal((await under.get('/v3/flatcontainer/large.push.edge/index.json')).statusCode, 404);
    });
  }
});
