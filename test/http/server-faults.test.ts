// Server faults are not client errors (docs/architecture.md rule 8): a full disk answers 507 Insufficient Storage,
// a store the server may not write answers 503, each with a message an operator can act on; the real cause is
// logged once; and nothing of the failed request stays behind (no row, no file, no temporary upload). Faults are
// injected here by wrapping the feed's stores, and by filling the real SQLite database (max_page_count), so these
// run anywhere; test/storage/full-disk.test.ts does the same on a real full file system.
// RFC 4918 §11.5 (507), RFC 9110 §15.6.4 (503) and §10.2.3 (Retry-After).
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'kysely';
import pino from 'pino';
import type { BlobStore } from '../../src/packages/ports.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { assertClientError, parseJson, startFeed, type Response, type TestFeed } from './feed-fixture.ts';

/** An error as Node's fs functions raise it. */
function systemError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, ${syscall}${path ? ` '${path}'` : ''}`), {
    code,
    syscall,
    errno: -28,
    ...(path ? { path } : {}),
  });
}

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  err?: { message?: string; code?: string };
}

/** Asserts a server fault: the status, the JSON error shape, an actionable message, and the reason phrase. */
function assertServerFault(response: Response, status: 503 | 507, code: string): string {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const error = parseJson(response)['error'] as { code: string; message: string };
  assert.equal(error.code, code);
  assert.ok(error.message.length > 20, `an actionable message: ${error.message}`);
  assert.ok(response.statusMessage.length > 0, 'the NuGet client prints the reason phrase');
  return error.message;
}

describe('server faults answer 507 / 503 and leave no trace', () => {
  let feed: TestFeed;
  let realBlobs: BlobStore;
  const lines: LogLine[] = [];

  before(async () => {
    const sink = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
    feed = await startFeed({ logger: pino({ level: 'info' }, sink) });
    realBlobs = feed.feed.blobs;
  });
  after(() => feed.close());
  beforeEach(() => {
    (feed.services as { blobs: BlobStore }).blobs = realBlobs;
    lines.length = 0;
  });

  /** Replaces some of the blob store's methods for one test (restored before the next). */
  const breakBlobs = (overrides: Partial<BlobStore>) => {
    (feed.services as { blobs: BlobStore }).blobs = {
      put: (key, bytes) => realBlobs.put(key, bytes),
      putFile: (key, file) => realBlobs.putFile(key, file),
      copy: (from, to) => realBlobs.copy(from, to),
      open: (key) => realBlobs.open(key),
      list: (prefix) => realBlobs.list(prefix),
      deletePrefix: (prefix) => realBlobs.deletePrefix(prefix),
      ...overrides,
    };
  };

  /** Nothing of a failed push of `lowerId` is visible or stored, and no upload is left in tmp/. */
  const assertNoTrace = async (lowerId: string) => {
    assert.equal((await feed.get(`/v3/flatcontainer/${lowerId}/index.json`)).statusCode, 404);
    assert.equal((await feed.get(`/v3/registration/${lowerId}/index.json`)).statusCode, 404);
    assert.deepEqual(await feed.filesUnder(`blobs/packages/${lowerId}`), [], 'no package file is left');
    assert.deepEqual(await feed.filesUnder('tmp'), [], 'no temporary upload is left');
  };

  /** Exactly one error line for the failed request, carrying the real cause. */
  const assertLoggedOnce = (cause: RegExp) => {
    const errors = lines.filter((line) => line.level >= 50);
    assert.equal(errors.length, 1, `one error line, got: ${JSON.stringify(errors)}`);
    assert.match(errors[0]?.err?.message ?? '', cause, 'the log has the real cause');
  };

  test('a full disk while storing the package (ENOSPC) -> 507 insufficient_storage, nothing stored', async () => {
    // A small push's nupkg is stored from memory (put), a larger one's moved from its upload (putFile).
    const full = async () => {
      throw systemError('ENOSPC', 'write');
    };
    breakBlobs({ put: full, putFile: full });
    const response = await feed.push(await buildNupkg({ id: 'Fault.Full', version: '1.0.0' }));
    const message = assertServerFault(response, 507, 'insufficient_storage');
    assert.match(message, /free space/);
    await assertNoTrace('fault.full');
    assertLoggedOnce(/ENOSPC/);
  });

  test('a full quota while writing an embedded file (EDQUOT) -> 507, and the push works once there is room', async () => {
    breakBlobs({
      put: async () => {
        throw systemError('EDQUOT', 'write');
      },
    });
    const nupkg = await buildNupkg({
      id: 'Fault.Quota',
      version: '1.0.0',
      readme: { path: 'README.md', content: '# r' },
    });
    assertServerFault(await feed.push(nupkg), 507, 'insufficient_storage');
    await assertNoTrace('fault.quota');
    (feed.services as { blobs: BlobStore }).blobs = realBlobs;
    assert.equal((await feed.push(nupkg)).statusCode, 201);
  });

  test('a clean-up that fails too does not hide the first error', async () => {
    const full = async () => {
      throw systemError('ENOSPC', 'write');
    };
    breakBlobs({
      put: full,
      putFile: full,
      deletePrefix: async () => {
        throw new Error('the clean-up failed as well');
      },
    });
    const response = await feed.push(await buildNupkg({ id: 'Fault.Cleanup', version: '1.0.0' }));
    assertServerFault(response, 507, 'insufficient_storage');
    assert.deepEqual(await feed.filesUnder('tmp'), []);
  });

  test('a storage folder the server may not write (EACCES) -> 503 naming the path', async () => {
    const path = `${feed.dataDir}/blobs/packages/fault.denied`;
    breakBlobs({
      put: async () => {
        throw systemError('EACCES', 'mkdir', path);
      },
    });
    const response = await feed.push(await buildNupkg({ id: 'Fault.Denied', version: '1.0.0' }));
    const message = assertServerFault(response, 503, 'storage_not_writable');
    assert.ok(message.includes(path), message);
    await assertNoTrace('fault.denied');
  });

  test('a download whose file cannot be read (EIO) -> 503, not 500', async () => {
    await feed.publish({ id: 'Fault.Read', version: '1.0.0' });
    breakBlobs({
      open: async () => {
        throw systemError('EIO', 'read');
      },
    });
    const response = await feed.get('/v3/flatcontainer/fault.read/1.0.0/fault.read.1.0.0.nupkg');
    assertServerFault(response, 503, 'storage_io_error');
  });

  test('a full database (SQLITE_FULL) -> 507 database_storage_full, no file left, and recovery once it has room', async () => {
    const db = feed.nugget.db;
    const pages = await sql<{ page_count: number }>`PRAGMA page_count`.execute(db);
    const count = Number(pages.rows[0]?.page_count);
    // The database may grow by no page at all: the next row that needs one fails as on a full disk.
    await sql.raw(`PRAGMA max_page_count = ${count}`).execute(db);
    try {
      // Enough metadata to need new pages.
      const nupkg = await buildNupkg({
        id: 'Fault.Database',
        version: '1.0.0',
        description: 'x'.repeat(20_000),
      });
      const response = await feed.push(nupkg);
      const message = assertServerFault(response, 507, 'database_storage_full');
      assert.match(message, /database/);
      await assertNoTrace('fault.database');
      assertLoggedOnce(/full/);
    } finally {
      await sql.raw('PRAGMA max_page_count = 1073741823').execute(db);
    }
    await feed.publish({ id: 'Fault.Database', version: '1.0.0' });
  });

  test('a client that breaks off its push is still a client error (400), not a server fault', async () => {
    const nupkg = await buildNupkg({ id: 'Fault.Client', version: '1.0.0' });
    const response = await feed.push(nupkg.subarray(0, nupkg.length - 100), { raw: true });
    assertClientError(response, 400);
    await assertNoTrace('fault.client');
  });
});

describe('the raw-HTTP fast path when the database cannot be read', () => {
  test('a kept answer whose change stamp cannot be read: an error answer, and the process goes on', async () => {
    const feed = await startFeed();
    try {
      await feed.publish({ id: 'Fault.Stamp', version: '1.0.0' });
      const url = '/v3/flatcontainer/fault.stamp/index.json';
      for (let i = 0; i < 2; i++) assert.equal((await feed.rawRequest('GET', url)).statusCode, 200);
      // The database handle goes away under the server (a stand-in for a disk that fails reads): the fast path
      // reads the change stamp before anything else, outside any request handler.
      await feed.nugget.db.destroy();
      const response = await feed.rawRequest('GET', url);
      assert.ok(response.statusCode >= 500, `${response.statusCode} ${response.body.toString()}`);
      // Still answering, not ended by an uncaught exception.
      assert.ok((await feed.rawRequest('GET', url)).statusCode >= 500, 'answers again');
    } finally {
      await feed.app.close();
      await rm(feed.dataDir, { recursive: true, force: true });
    }
  });
});
