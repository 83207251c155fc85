// The S3 blob store against s3rver, an S3-compatible server run as a child process (test/support/s3-server.ts).
// s3rver does not verify request signatures, so nothing here can show that a wrong key or an expired
// presigned URL is refused; those paths need a real S3 (see ../shared/notes/dependencies.md §3).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BlobStore } from '../../src/packages/ports.ts';
import { S3BlobStore } from '../../src/storage/blobs/s3-blob-store.ts';
import { parseS3StorageUrl } from '../../src/storage/blobs/s3-storage-url.ts';
import { blobStoreContract } from '../../src/storage/contracts/blob-store-contract.ts';
import { type S3TestServer, startS3Server } from '../support/s3-server.ts';

const server: S3TestServer = await startS3Server();
const scratch = await mkdtemp(join(tmpdir(), 'nugget-s3-test-'));
const stores: S3BlobStore[] = [];
let n = 0;

/** A store with a prefix of its own, built from a `--storage` URL the way the server will build it. */
function createStore(prefix = `feed-${n++}`, storageUrl = server.storageUrl(prefix)): S3BlobStore {
  const store = new S3BlobStore({ ...parseS3StorageUrl(storageUrl), credentials: server.credentials });
  stores.push(store);
  return store;
}

after(async () => {
  for (const store of stores) store.close();
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function sha256(stream: NodeJS.ReadableStream): Promise<{ hash: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  return { hash: hash.digest('hex'), length };
}

async function text(store: BlobStore, key: string): Promise<string | undefined> {
  const blob = await store.open(key);
  if (!blob) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('S3BlobStore streams large packages', () => {
  // Declared first so that no earlier test has raised the process's peak RSS above the baseline.
  const fileSize = 192 * 1024 * 1024;
  const source = join(scratch, 'large.nupkg');
  let expected: string;

  before(async () => {
    // Written from one reused 1 MiB chunk (varied per MiB) so the test itself never holds the file.
    const hash = createHash('sha256');
    const out = createWriteStream(source);
    const chunk = randomBytes(1024 * 1024);
    for (let i = 0; i < fileSize / chunk.length; i++) {
      chunk.writeUInt32BE(i, 0);
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    expected = hash.digest('hex');
  });

  it('uploads and downloads a 192 MiB file without holding it in memory', async () => {
    const store = createStore();
    const baseline = process.memoryUsage().rss;

    await store.putFile('packages/big/1.0.0/p1/big.1.0.0.nupkg', source);
    await assert.rejects(stat(source), { code: 'ENOENT' }, 'putFile removes the source, as a move would');

    const blob = await store.open('packages/big/1.0.0/p1/big.1.0.0.nupkg');
    assert.ok(blob);
    assert.equal(blob.size, fileSize);
    assert.deepEqual(await sha256(blob.stream), { hash: expected, length: fileSize });

    // maxRSS is the peak of the whole process so far (in KiB on Linux). A store that buffered the file would
    // peak at least a file size above the baseline. A streaming one peaked 80-100 MiB above it for files of
    // 96, 250 and 400 MiB alike: lib-storage's 4 × 5 MiB parts, their copies, and garbage not yet collected.
    // The file is large enough that the two cannot be confused; this is a sanity bound, not a benchmark.
    const peakGrowth = process.resourceUsage().maxRSS * 1024 - baseline;
    assert.ok(
      peakGrowth < (fileSize * 3) / 4,
      `peak RSS grew by ${Math.round(peakGrowth / 2 ** 20)} MiB for a ${fileSize / 2 ** 20} MiB file`,
    );
  });
});

blobStoreContract('S3 (s3rver)', async () => createStore());

describe('S3BlobStore on an S3-compatible server', () => {
  it('keeps stores with different prefixes in one bucket apart', async () => {
    const first = createStore('tenant-a/feed');
    const second = createStore('tenant-b/feed');
    await first.put('packages/x/1.0.0/p1/nuspec', Buffer.from('a'));
    await second.put('packages/x/1.0.0/p1/nuspec', Buffer.from('b'));
    await first.deletePrefix('packages/x');
    assert.equal(await first.open('packages/x/1.0.0/p1/nuspec'), undefined);
    assert.equal(await text(second, 'packages/x/1.0.0/p1/nuspec'), 'b');
  });

  it('stores at the bucket root when the URL has no prefix', async () => {
    const root = createStore(
      '',
      `s3://${server.bucket}?endpoint=${server.endpoint}&forcePathStyle=true&region=${server.region}`,
    );
    const key = `root-test-${process.pid}/nuspec`;
    await root.put(key, Buffer.from('at the root'));
    const response = await fetch(`${server.endpoint}/${server.bucket}/${key}`);
    assert.equal(await response.text(), 'at the root');
    await root.deletePrefix(`root-test-${process.pid}`);
    assert.equal(await root.open(key), undefined);
  });

  it('deletes a prefix as a folder: p1 does not take p10 with it', async () => {
    const store = createStore();
    await store.put('packages/e/1.0.0/p1/nuspec', Buffer.from('1'));
    await store.put('packages/e/1.0.0/p10/nuspec', Buffer.from('10'));
    await store.deletePrefix('packages/e/1.0.0/p1');
    assert.equal(await store.open('packages/e/1.0.0/p1/nuspec'), undefined);
    assert.equal(await text(store, 'packages/e/1.0.0/p10/nuspec'), '10');
  });

  it('deletes more than one page (1000 keys) of blobs under a prefix', async () => {
    const prefix = `feed-${n++}`;
    const store = createStore(prefix);
    const keys = Array.from({ length: 1005 }, (_, i) => `packages/many/1.0.0/p1/file-${i}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, Buffer.from(key))));
    }
    await store.put('packages/many/2.0.0/p1/nuspec', Buffer.from('kept'));
    await store.deletePrefix('packages/many/1.0.0');
    for (const key of [keys[0], keys[999], keys[1000], keys[1004]]) {
      assert.equal(await store.open(key as string), undefined, `${key} is gone`);
    }
    assert.equal(await text(store, 'packages/many/2.0.0/p1/nuspec'), 'kept');
    const listing = await fetch(
      `${server.endpoint}/${server.bucket}?list-type=2&prefix=${encodeURIComponent(`${prefix}/`)}`,
    );
    assert.doesNotMatch(await listing.text(), /file-\d+/, 'no key of the deleted prefix is listed');
  });

  it('falls back to one DeleteObject per key when the server lacks DeleteObjects', async () => {
    const proxy = await startProxyWithoutBatchDelete(server.endpoint);
    try {
      const prefix = `feed-${n++}`;
      const viaProxy = createStore(
        prefix,
        `s3://${server.bucket}/${prefix}?endpoint=${proxy.endpoint}&forcePathStyle=true&region=${server.region}`,
      );
      await viaProxy.put('packages/f/1.0.0/p1/nuspec', Buffer.from('1'));
      await viaProxy.put('packages/f/1.0.0/p1/icon', Buffer.from('2'));
      await viaProxy.deletePrefix('packages/f/1.0.0/p1');
      assert.equal(proxy.refusedBatchDeletes(), 1, 'the batch delete was tried once and refused');
      assert.equal(await viaProxy.open('packages/f/1.0.0/p1/nuspec'), undefined);
      assert.equal(await viaProxy.open('packages/f/1.0.0/p1/icon'), undefined);
      await viaProxy.put('packages/g/1.0.0/p1/nuspec', Buffer.from('3'));
      await viaProxy.deletePrefix('packages/g');
      assert.equal(proxy.refusedBatchDeletes(), 1, 'after a refusal the store no longer tries the batch API');
      assert.equal(await viaProxy.open('packages/g/1.0.0/p1/nuspec'), undefined);
    } finally {
      await proxy.stop();
    }
  });

  it('gives a presigned GET URL that plain fetch can download', async () => {
    const store = createStore();
    await store.put('packages/h/1.0.0/p1/h.1.0.0.nupkg', Buffer.from('presigned bytes'));
    const url = new URL(await store.presignedUrl('packages/h/1.0.0/p1/h.1.0.0.nupkg', 300));
    assert.equal(url.searchParams.get('X-Amz-Expires'), '300');
    assert.ok(url.searchParams.get('X-Amz-Signature'), 'the URL is signed');
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'presigned bytes');
  });

  it('refuses a presigned URL lifetime outside 1 second to 7 days', async () => {
    const store = createStore();
    for (const seconds of [0, 604_801, 1.5]) {
      await assert.rejects(store.presignedUrl('packages/h/1.0.0/p1/nuspec', seconds), RangeError);
    }
  });

  it('reports a missing bucket as an error, not as a missing blob', async () => {
    const store = createStore(
      'feed',
      `s3://no-such-bucket/feed?endpoint=${server.endpoint}&forcePathStyle=true&region=${server.region}`,
    );
    // A server fault (503 naming the setting), with S3's own error as its cause.
    await assert.rejects(store.open('packages/a/1.0.0/p1/nuspec'), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'storage_bucket_missing');
      assert.equal((error.cause as Error).name, 'NoSuchBucket');
      return true;
    });
  });

  it('refuses keys with empty, . or .. segments', async () => {
    const store = createStore();
    for (const key of ['../escape', 'packages/../../x', 'packages//x', '/packages/x', '']) {
      await assert.rejects(store.put(key, Buffer.from('x')), /not a clean relative path/);
    }
  });
});

/**
 * A pass-through HTTP proxy to s3rver that answers the batch DeleteObjects request (`POST /bucket?delete`)
 * with 501 NotImplemented, like S3-compatible gateways that lack it.
 */
async function startProxyWithoutBatchDelete(
  target: string,
): Promise<{ endpoint: string; refusedBatchDeletes: () => number; stop: () => Promise<void> }> {
  const upstream = new URL(target);
  let refused = 0;
  const proxy: Server = createServer((incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', 'http://proxy');
    if (incoming.method === 'POST' && url.searchParams.has('delete')) {
      refused++;
      incoming.resume();
      outgoing.writeHead(501, { 'content-type': 'application/xml' });
      outgoing.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code>' +
          '<Message>A header you provided implies functionality that is not implemented</Message></Error>',
      );
      return;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forwarded.on('error', (error) => outgoing.destroy(error));
    incoming.pipe(forwarded);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const { port } = proxy.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    refusedBatchDeletes: () => refused,
    stop: async () => {
      proxy.closeAllConnections();
      proxy.close();
      await once(proxy, 'close');
    },
  };
}
