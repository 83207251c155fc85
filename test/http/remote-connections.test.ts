// Requests to a source (an upstream feed, a replicated feed) over kept-alive connections that the source closes:
// a GET that crosses the server's close of an idle connection is sent again on a new one, so a healthy upstream
// never looks down for it (before: an upstream feed answered from its cache alone, a 404 for a package never
// cached, and charged its breaker); a source that closes every connection still fails, after a bounded number
// of attempts.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { upstreamDefaults } from '../../src/packages/feed.ts';
import { HttpRemoteFeed } from '../../src/storage/remote/http-remote-feed.ts';
import { HttpUpstreamSource } from '../../src/storage/remote/http-upstream-source.ts';
import { LazyAgent } from '../../src/storage/remote/lazy-undici.ts';

interface RawServer {
  readonly origin: string;
  /** Connections accepted and requests received, in order. */
  readonly log: string[];
  close(): Promise<void>;
}

/**
 * A raw HTTP/1.1 server: `answer(n)` is the body of the n-th request on a connection (1 for the first), or
 * undefined to close that connection without answering, as a server whose keep-alive timer just fired does.
 */
async function startRawServer(answer: (n: number, path: string) => string | undefined): Promise<RawServer> {
  const log: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let n = 0;
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      // One request per head (GETs have no body here).
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        n += 1;
        const path = head.split(' ')[1] ?? '/';
        log.push(`connection ${connection} request ${n} ${path}`);
        const body = answer(n, path);
        if (body === undefined) {
          socket.destroy();
          return;
        }
        socket.write(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n' +
            `content-length: ${Buffer.byteLength(body)}\r\nkeep-alive: timeout=60\r\n\r\n${body}`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    log,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('GETs over connections the source closes', () => {
  let tempDir = '';
  const closing: (() => Promise<void>)[] = [];
  before(async () => {
    tempDir = await mkdtemp(join(tmpdir(), 'nugget-remote-connections-'));
  });
  after(async () => {
    for (const close of closing) await close();
    await rm(tempDir, { recursive: true, force: true });
  });
  const start = async (answer: (n: number, path: string) => string | undefined) => {
    const server = await startRawServer(answer);
    closing.push(server.close);
    return server;
  };
  const remote = () => {
    // No retries of its own: what is tested is the resend on a new connection, which is not a retry.
    const feed = new HttpRemoteFeed({
      tempDir,
      retry: { attempts: 1 },
      timeoutMs: 10_000,
      deadlineMs: 10_000,
    });
    closing.push(() => feed.close());
    return feed;
  };

  it('a GET whose kept-alive connection is closed under it is sent again on a new one', async () => {
    // Every connection answers once and is closed by the server on its next request.
    const server = await start((n) => (n === 1 ? '{"ok":true}' : undefined));
    const feed = remote();
    for (let i = 0; i < 8; i++) {
      assert.deepEqual(await feed.getJson(`${server.origin}/doc-${i}`), { ok: true }, server.log.join('\n'));
    }
    // The server did close requests under the client (the case is exercised, not avoided).
    const closed = server.log.filter((line) => / request 2 /.test(line));
    assert.ok(closed.length > 0, `no request crossed a close:\n${server.log.join('\n')}`);
  });

  it('a source that closes every connection unanswered fails, after a bounded number of attempts', async () => {
    const server = await start(() => undefined);
    const feed = remote();
    await assert.rejects(feed.getJson(`${server.origin}/never`), /closed the connection/);
    const attempts = server.log.filter((line) => line.endsWith(' /never')).length;
    assert.ok(attempts >= 2 && attempts <= 3, `attempts: ${attempts}\n${server.log.join('\n')}`);
  });

  it("an upstream feed's breaker is not charged for connections closed under a request", async () => {
    const index = (origin: string) =>
      JSON.stringify({
        version: '3.0.0',
        resources: [{ '@id': `${origin}/registration/`, '@type': 'RegistrationsBaseUrl/3.6.0' }],
      });
    let origin = '';
    const server = await start((n, path) => {
      if (n !== 1) return undefined;
      if (path === '/index.json') return index(origin);
      return JSON.stringify({ count: 0, items: [] });
    });
    origin = server.origin;
    const source = new HttpUpstreamSource({
      // One failure would open the breaker.
      settings: { ...upstreamDefaults, source: `${origin}/index.json`, breakerFailures: 1 },
      tempDir,
      maxPackageBytes: 1024 * 1024,
    });
    closing.push(() => source.close());
    for (let i = 0; i < 6; i++) {
      assert.deepEqual(await source.registration(`some.id.${i}`), [], server.log.join('\n'));
    }
    assert.equal(source.breaker, 'closed');
    assert.ok(
      server.log.some((line) => / request 2 /.test(line)),
      server.log.join('\n'),
    );
  });
});

describe('closing a client while its first request loads undici', () => {
  it('makes no agent after close(): the request is refused, nothing is left open', async () => {
    const agent = new LazyAgent({});
    const first = agent.get();
    await agent.close();
    await assert.rejects(first, /closed/);
    await assert.rejects(agent.get(), /closed/);
  });
});
