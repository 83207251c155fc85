// PackageFileSink (src/storage/package-file-sink.ts) under faults injected into node:fs itself: a write that fails
// (EIO, ENOSPC) or that is slow, and a stream destroyed while its last write is under way (the upload watchdog
// fires while the disk is slow). A descriptor must never be closed while a write through it is under way: its
// number is reused at once by the next open (another push's file, the database), which the write would then hit.
// Then through the server: a push whose upload cannot be written (507 / 503, nothing left, the same push taken
// afterwards), one whose data cannot be synced once moved into blobs/, and a package copied from an upstream into
// a full tmp/ (this server's fault, not the upstream's). The sink imports node:fs's functions when it is loaded, so
// they are wrapped (and synced into the ES module namespace) before it is.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs, { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

type WriteCallback = (error: NodeJS.ErrnoException | null, written: number) => void;

/** What the next writes to a file under test do instead of writing: fail with an error, or wait first. */
let writeFault: ((fd: number) => NodeJS.ErrnoException | 'slow' | undefined) | undefined;
/** Descriptors with a write under way, and closes of such a descriptor seen. */
const writing = new Map<number, number>();
const closedWhileWriting: number[] = [];

const realWrite = fs.write;
const realClose = fs.close;
const realOpen = fs.open;
/** Descriptors of the files a package is received into (a push's, a copy from an upstream's) open now. */
const pushFiles = new Set<number>();
(fs as { open: unknown }).open = function open(path: fs.PathLike, ...rest: unknown[]) {
  const callback = rest.pop() as (error: Error | null, fd: number) => void;
  return (realOpen as (...args: unknown[]) => void)(path, ...rest, (error: Error | null, fd: number) => {
    if (!error && /(push|replicate)-[^/]*\.nupkg$/.test(String(path))) pushFiles.add(fd);
    callback(error, fd);
  });
};
(fs as { write: unknown }).write = function write(fd: number, ...rest: unknown[]) {
  const callback = rest.at(-1) as WriteCallback;
  const fault = writeFault?.(fd);
  if (fault === undefined) return (realWrite as (...args: unknown[]) => void)(fd, ...rest);
  writing.set(fd, (writing.get(fd) ?? 0) + 1);
  const done: WriteCallback = (error, written) => {
    writing.set(fd, (writing.get(fd) ?? 1) - 1);
    callback(error, written);
  };
  if (fault === 'slow') {
    setTimeout(() => (realWrite as (...args: unknown[]) => void)(fd, ...rest.slice(0, -1), done), 100);
  } else setImmediate(() => done(fault, 0));
};
(fs as { close: unknown }).close = function close(fd: number, callback: (error: Error | null) => void) {
  if ((writing.get(fd) ?? 0) > 0) closedWhileWriting.push(fd);
  pushFiles.delete(fd);
  return realClose(fd, callback);
};
/** What the next fsync of a descriptor does instead (the blob store's syncs go through fs.fsync, decision 0028). */
let fsyncFault: NodeJS.ErrnoException | undefined;
const realFsync = fs.fsync;
(fs as { fsync: unknown }).fsync = function fsync(fd: number, callback: (error: Error | null) => void) {
  if (fsyncFault) {
    const fault = fsyncFault;
    return setImmediate(() => callback(fault));
  }
  return realFsync(fd, callback);
};
syncBuiltinESMExports();
const { PackageFileSink } = await import('../../src/storage/package-file-sink.ts');
const { parseJson, startFeed } = await import('./feed-fixture.ts');
const { buildNupkg } = await import('../fixtures/build-nupkg.ts');
const { startUpstreamProxy } = await import('../support/upstream-proxy.ts');

const KB = 1024;
const MB = 1024 * KB;
const tooLarge = () => new Error('too large');
const openDescriptors = () => readdirSync('/proc/self/fd').length;

function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected, write`), { code, syscall: 'write', errno: -5 });
}

describe('PackageFileSink under injected file system faults', () => {
  let dir: string;
  let n = 0;
  const nextPath = () => join(dir, `push-${n++}.nupkg`);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nugget-sink-faults-'));
  });
  afterEach(() => {
    writeFault = undefined;
    closedWhileWriting.length = 0;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const size of [100, 256 * KB, 256 * KB + 1, MB + 7, 3 * MB]) {
    for (const code of ['EIO', 'ENOSPC']) {
      test(`${code} on the first write of a ${size}-byte package fails the stream with it; descriptor closed`, async () => {
        const before = openDescriptors();
        const path = nextPath();
        writeFault = () => systemError(code);
        const sink = new PackageFileSink({ path, maxBytes: 10 * MB, tooLarge, keepInMemoryBytes: 256 * KB });
        const bytes = Buffer.alloc(size, 7);
        const chunks = Array.from({ length: Math.ceil(size / 65_536) }, (_, i) =>
          bytes.subarray(i * 65_536, (i + 1) * 65_536),
        );
        await assert.rejects(pipeline(Readable.from(chunks), sink), { code });
        if (!sink.closed) await new Promise((resolve) => sink.once('close', resolve));
        assert.equal(openDescriptors(), before, 'the descriptor is closed');
        assert.deepEqual(closedWhileWriting, []);
        await unlink(path);
      });
    }
  }

  for (const size of [100, 256 * KB, MB + 7]) {
    test(`destroyed while the last write of a ${size}-byte package is under way: closed only after it`, async () => {
      const before = openDescriptors();
      const path = nextPath();
      const sink = new PackageFileSink({ path, maxBytes: 10 * MB, tooLarge, keepInMemoryBytes: 256 * KB });
      let lastWriteStarted!: () => void;
      const started = new Promise<void>((resolve) => (lastWriteStarted = resolve));
      // Only the write made once the stream has ended (in _final) is slow.
      let ended = false;
      writeFault = () => {
        if (!ended) return undefined;
        lastWriteStarted();
        return 'slow';
      };
      sink.write(Buffer.alloc(size, 1));
      await sleep(20);
      ended = true;
      sink.end();
      await started;
      // The upload watchdog (receive-package.ts) destroys the sink when nothing arrived for --upload-timeout.
      sink.destroy(new Error('the push sent no data'));
      await finished(sink).catch(() => {});
      await sleep(150);
      assert.deepEqual(
        closedWhileWriting,
        [],
        'a descriptor was closed while a write through it was under way',
      );
      assert.equal(openDescriptors(), before, 'the descriptor is closed');
      if (existsSync(path)) await unlink(path);
    });
  }
});

describe('a push whose upload cannot be written to tmp/', () => {
  let feed: Awaited<ReturnType<typeof startFeed>>;
  before(async () => {
    feed = await startFeed();
  });
  afterEach(() => {
    writeFault = undefined;
  });
  after(() => feed.close());

  const cases = [
    // Just past the part kept in memory (a smaller push is never written to tmp/, decision 0028).
    { code: 'ENOSPC', status: 507, error: 'insufficient_storage', size: 300 * 1024 },
    { code: 'EIO', status: 503, error: 'storage_io_error', size: 300 * 1024 },
    // Past the part kept in memory and the first write buffer: the failure comes from a write made mid-body.
    { code: 'ENOSPC', status: 507, error: 'insufficient_storage', size: 3 * MB },
    { code: 'EIO', status: 503, error: 'storage_io_error', size: 3 * MB },
  ];
  for (const { code, status, error, size } of cases) {
    test(`${code} writing a ${size}-byte upload -> ${status} ${error}, nothing left; the same push then -> 201`, async () => {
      const id = `Sink.Fault.${code}.${size}`;
      const nupkg = await buildNupkg({
        id,
        version: '1.0.0',
        files: [{ path: 'lib/net8.0/big.bin', content: randomBytes(size) }],
      });
      writeFault = (fd) => (pushFiles.has(fd) ? systemError(code) : undefined);
      const refused = await feed.push(nupkg, { overSocket: true });
      assert.equal(refused.statusCode, status, refused.body);
      assert.equal((parseJson(refused)['error'] as { code: string }).code, error);
      assert.deepEqual(await feed.filesUnder('tmp'), [], 'no temporary upload is left');
      const lowerId = id.toLowerCase();
      assert.equal((await feed.get(`/v3/flatcontainer/${lowerId}/index.json`)).statusCode, 404);
      assert.deepEqual(await feed.filesUnder(`blobs/packages/${lowerId}`), []);
      writeFault = undefined;
      const retried = await feed.push(nupkg, { overSocket: true });
      assert.equal(retried.statusCode, 201, retried.body);
      const stored = await feed.get(`/v3/flatcontainer/${lowerId}/1.0.0/${lowerId}.1.0.0.nupkg`);
      assert.ok(stored.rawPayload.equals(nupkg), 'the stored package is the one pushed');
    });
  }
});

describe('a push whose data cannot be synced once in place (EIO from fsync)', () => {
  let feed: Awaited<ReturnType<typeof startFeed>>;
  let handleClass: { prototype: { sync: () => Promise<void> } };
  let realSync: () => Promise<void>;
  before(async () => {
    feed = await startFeed();
    // FileHandle is not exported: reached through a handle (of a folder, which any system lets one open to read).
    const handle = await fs.promises.open(tmpdir(), 'r');
    handleClass = handle.constructor as typeof handleClass;
    realSync = handleClass.prototype.sync;
    await handle.close();
  });
  afterEach(() => {
    handleClass.prototype.sync = realSync;
    fsyncFault = undefined;
  });
  after(() => feed.close());

  for (const size of [1000, 3 * MB]) {
    test(`${size} bytes: 503 storage_io_error, no row, no blob, no upload left; the same push then -> 201`, async () => {
      const id = `Sync.Fault.${size}`;
      const lowerId = id.toLowerCase();
      const nupkg = await buildNupkg({
        id,
        version: '1.0.0',
        files: [{ path: 'lib/net8.0/big.bin', content: randomBytes(size) }],
      });
      const eio = Object.assign(new Error('EIO: i/o error, fsync'), {
        code: 'EIO',
        syscall: 'fsync',
        errno: -5,
      });
      handleClass.prototype.sync = async function sync() {
        throw eio;
      };
      fsyncFault = eio;
      const refused = await feed.push(nupkg, { overSocket: true });
      handleClass.prototype.sync = realSync;
      fsyncFault = undefined;
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal((parseJson(refused)['error'] as { code: string }).code, 'storage_io_error');
      assert.equal((await feed.get(`/v3/flatcontainer/${lowerId}/index.json`)).statusCode, 404);
      assert.deepEqual(await feed.filesUnder(`blobs/packages/${lowerId}`), [], 'no half-stored package');
      assert.deepEqual(await feed.filesUnder('tmp'), [], 'no temporary upload is left');
      const retried = await feed.push(nupkg, { overSocket: true });
      assert.equal(retried.statusCode, 201, retried.body);
    });
  }
});

describe('a package copied from an upstream that cannot be written to tmp/', () => {
  let upstream: Awaited<ReturnType<typeof startFeed>>;
  let proxy: Awaited<ReturnType<typeof startUpstreamProxy>>;
  let server: Awaited<ReturnType<typeof startFeed>>;
  let nupkg: Buffer;
  before(async () => {
    nupkg = await buildNupkg({
      id: 'Up.Faulty',
      version: '1.0.0',
      files: [{ path: 'lib/net8.0/big.bin', content: randomBytes(2 * MB) }],
    });
    upstream = await startFeed();
    assert.equal((await upstream.push(nupkg)).statusCode, 201);
    proxy = await startUpstreamProxy(upstream.app);
    server = await startFeed();
    const admin = { 'x-nuget-apikey': server.apiKey ?? '', 'content-type': 'application/json' };
    for (const [name, body] of [
      ['up', { kind: 'upstream', source: proxy.serviceIndex, breakerFailures: 1, breakerCooldown: '1h' }],
      ['company', { kind: 'virtual', members: ['up'] }],
    ] as const) {
      const created = await server.request('PUT', `/admin/feeds/${name}`, {
        headers: admin,
        body: JSON.stringify(body),
      });
      assert.equal(created.statusCode, 201, created.body);
    }
  });
  afterEach(() => {
    writeFault = undefined;
  });
  after(async () => {
    await server?.close();
    await proxy?.close();
    await upstream?.close();
  });

  test("ENOSPC -> 507 (not a 404, not the upstream's failure), nothing left; then the package is served", async () => {
    const url = '/feeds/company/v3/flatcontainer/up.faulty/1.0.0/up.faulty.1.0.0.nupkg';
    writeFault = (fd) => (pushFiles.has(fd) ? systemError('ENOSPC') : undefined);
    const refused = await server.get(url);
    assert.equal(refused.statusCode, 507, refused.body);
    assert.equal((parseJson(refused)['error'] as { code: string }).code, 'insufficient_storage');
    assert.deepEqual(await server.filesUnder('tmp'), [], 'no temporary file is left');
    writeFault = undefined;
    // The upstream did nothing wrong: its breaker (one failure opens it) must still let the download through.
    const served = await server.get(url);
    assert.equal(served.statusCode, 200, served.body);
    assert.ok(served.rawPayload.equals(nupkg));
  });
});
