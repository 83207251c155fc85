// The `nugget` command on PostgreSQL at start (docs/deployment.md, "Start and stop"): a database that is not
// reachable yet is retried until it is (containers often start nugget beside it), and an admin command refuses a
// database that holds no feed unless given --create.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createWorkspace, describeResult, runCommand, startFeed, type Workspace } from '../e2e/harness.ts';
import { type PostgresServer, startPostgresServer } from '../support/postgres-server.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function nugget(args: readonly string[]) {
  return runCommand(process.execPath, ['bin/nugget.js', ...args], {
    cwd: repoRoot,
    env: process.env,
    timeoutMs: 120_000,
  });
}

async function hasSchema(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ found: string | null }>(
      "SELECT to_regclass('kysely_migration')::text AS found",
    );
    return typeof rows[0]?.found === 'string';
  } finally {
    await client.end();
  }
}

describe('nugget on PostgreSQL at start', () => {
  let server: PostgresServer;
  let workspace: Workspace;
  before(async () => {
    server = await startPostgresServer();
    workspace = await createWorkspace('nugget-pg-start-');
  });
  after(async () => {
    await workspace?.dispose();
    await server?.stop();
  });

  test('an admin command refuses a database without a feed; --create sets one up', async () => {
    const url = await server.createDatabase();
    const refused = await nugget(['apikey', 'list', '--database', url, '--data-dir', workspace.root]);
    assert.equal(refused.code, 1, describeResult(refused));
    const lines = refused.stderr.split('\n').filter((line) => line.trim() !== '');
    assert.equal(lines.length, 1, describeResult(refused));
    assert.match(
      lines[0] ?? '',
      /this database holds no nugget feed; add --create .*--database \/ NUGGET_DATABASE_URL/,
    );
    assert.equal(await hasSchema(url), false, 'the refused command created the schema');

    const created = await nugget(['migrate', '--create', '--database', url, '--data-dir', workspace.root]);
    assert.equal(created.code, 0, describeResult(created));
    assert.equal(await hasSchema(url), true);
    const listed = await nugget(['apikey', 'list', '--database', url, '--data-dir', workspace.root]);
    assert.equal(listed.code, 0, describeResult(listed));
  });

  test('a database that is not reachable yet is retried until it is', async () => {
    const url = new URL(await server.createDatabase());
    // A port where nothing listens yet; later a proxy to the real server opens on it.
    const placeholder = net.createServer();
    await new Promise<void>((resolve) => placeholder.listen(0, '127.0.0.1', resolve));
    const port = (placeholder.address() as net.AddressInfo).port;
    await new Promise((resolve) => placeholder.close(resolve));
    const target = Number(url.port);
    url.port = String(port);

    const proxy = net.createServer((socket) => {
      const upstream = net.connect(target, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    let output = '';
    let reportedWaiting: () => void = () => {};
    const waiting = new Promise<void>((resolve) => (reportedWaiting = resolve));
    const starting = startFeed(workspace, {
      entry: 'bin/nugget.js',
      dataDirName: 'waits',
      extraArgs: ['--database', url.href, '--startup-wait', '5m'],
      startupTimeoutMs: 120_000,
      onOutput: (chunk) => {
        output += chunk;
        if (/is not reachable yet/.test(output)) reportedWaiting();
      },
    });
    try {
      // Open the port only once nugget has said it will try again.
      await Promise.race([
        waiting,
        starting.then(() => assert.fail(`started without a database:\n${output}`)),
      ]);
      await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
      const feed = await starting;
      assert.match(output, /PostgreSQL at postgres:\/\/.* is not reachable yet .*ECONNREFUSED.*trying again/);
      const index = await fetch(feed.serviceIndexUrl);
      assert.equal(index.status, 200);
    } finally {
      await starting.then((feed) => feed.stop()).catch(() => {});
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
