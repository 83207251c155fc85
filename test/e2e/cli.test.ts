// The `nugget` command as people run it (README "Running a feed", docs/configuration.md "Admin commands",
// docs/deployment.md "Backup and restore"): --version, help per command, admin commands that refuse a missing
// feed, relative paths under npm, and backup/restore of a running feed.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { createWorkspace, describeResult, runCommand, startFeed, type Workspace } from './harness.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function nugget(args: readonly string[], cwd = repoRoot) {
  return runCommand(process.execPath, [path.join(repoRoot, 'bin', 'nugget.js'), ...args], {
    cwd,
    env: process.env,
    timeoutMs: 60_000,
  });
}

const stderrLines = (stderr: string) => stderr.split('\n').filter((line) => line.trim() !== '');

describe('the nugget command', () => {
  let workspace: Workspace;
  before(async () => {
    workspace = await createWorkspace('nugget-cli-');
  });
  after(() => workspace.dispose());

  test('--version prints the version in package.json', async () => {
    const { version } = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = await nugget(['--version']);
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(result.stdout.trim(), version);
  });

  test('each command lists only the flags it takes', async () => {
    const serve = await nugget(['serve', '--help']);
    for (const flag of ['--port', '--api-key-file', '--shutdown-timeout', '--data-dir', '--config']) {
      assert.match(serve.stdout, new RegExp(`${flag}\\b`), `serve --help lacks ${flag}`);
    }
    const gc = await nugget(['gc', '--help']);
    for (const flag of ['--grace', '--data-dir', '--database-file', '--config', '--create']) {
      assert.match(gc.stdout, new RegExp(`${flag}\\b`), `gc --help lacks ${flag}`);
    }
    for (const flag of [
      '--port',
      '--host',
      '--api-key',
      '--private',
      '--shutdown-timeout',
      '--max-package-size',
    ]) {
      assert.doesNotMatch(gc.stdout, new RegExp(`${flag}\\b`), `gc --help lists the server flag ${flag}`);
    }
  });

  test('an admin command refuses a data directory without a feed, and creates nothing', async () => {
    const typo = path.join(workspace.root, 'dtaa');
    const result = await nugget(['apikey', 'create', '--name', 'ci', '--scopes', 'push', '--data-dir', typo]);
    assert.equal(result.code, 1, describeResult(result));
    assert.deepEqual(stderrLines(result.stderr), [
      `nugget: no feed in ${typo} (it has no nugget.db): check --data-dir / NUGGET_DATA_DIR, ` +
        'or add --create to start a new feed there',
    ]);
    assert.doesNotMatch(result.stdout, /ngt_/, 'no key was printed');
    assert.ok(!existsSync(typo), 'the mistyped directory was created');
  });

  test('--create starts a new feed there', async () => {
    const dir = path.join(workspace.root, 'new-feed');
    const result = await nugget(['gc', '--data-dir', dir, '--create']);
    assert.equal(result.code, 0, describeResult(result));
    assert.ok(existsSync(path.join(dir, 'nugget.db')));
  });

  test('a relative --data-dir under `npm run nugget` means the directory npm was started in', async () => {
    const shellDir = await workspace.makeDir('shell');
    const npmCli = process.env['npm_execpath'];
    const result = await runCommand(
      npmCli ? process.execPath : 'npm',
      [
        ...(npmCli ? [npmCli] : []),
        '--prefix',
        repoRoot,
        'run',
        'nugget',
        '--',
        'gc',
        '--data-dir',
        'rel',
        '--create',
      ],
      { cwd: shellDir, env: process.env, timeoutMs: 60_000 },
    );
    assert.equal(result.code, 0, describeResult(result));
    assert.ok(existsSync(path.join(shellDir, 'rel', 'nugget.db')), 'not in the shell directory');
    assert.ok(!existsSync(path.join(repoRoot, 'rel')), 'created in the package root');
  });

  test('backup of a running feed, restore into a new data directory, serve it', async () => {
    const nupkg = await buildNupkg({ id: 'Backup.Me', version: '1.2.3' });
    const feed = await startFeed(workspace, { entry: 'bin/nugget.js', dataDirName: 'live' });
    const backupDir = path.join(workspace.root, 'backup');
    try {
      const push = await fetch(new URL('/v3/package', feed.serviceIndexUrl), {
        method: 'PUT',
        headers: { 'X-NuGet-ApiKey': feed.apiKey, 'Content-Type': 'application/octet-stream' },
        body: nupkg,
      });
      assert.equal(push.status, 201);
      const backup = await nugget(['backup', backupDir, '--data-dir', feed.dataDir]);
      assert.equal(backup.code, 0, describeResult(backup));
      assert.match(backup.stdout, /1 package versions; the files of all 1 pushes are there/);
      const again = await nugget(['backup', backupDir, '--data-dir', feed.dataDir]);
      assert.equal(again.code, 2, describeResult(again));
      assert.match(again.stderr, /is not empty: back up into a new or empty directory/);
    } finally {
      await feed.stop();
    }

    const restoredDir = path.join(workspace.root, 'restored');
    const restore = await nugget(['restore', backupDir, '--data-dir', restoredDir]);
    assert.equal(restore.code, 0, describeResult(restore));
    const overwrite = await nugget(['restore', backupDir, '--data-dir', feed.dataDir]);
    assert.equal(overwrite.code, 2, describeResult(overwrite));
    assert.match(overwrite.stderr, /is not empty: restore into a new or empty data directory/);

    const restored = await startFeed(workspace, { entry: 'bin/nugget.js', dataDirName: 'restored' });
    try {
      const download = await fetch(
        new URL('/v3/flatcontainer/backup.me/1.2.3/backup.me.1.2.3.nupkg', restored.serviceIndexUrl),
      );
      assert.equal(download.status, 200);
      assert.deepEqual(Buffer.from(await download.arrayBuffer()), nupkg);
    } finally {
      await restored.stop();
    }
  });

  test('backup of a PostgreSQL feed says what to run instead', async () => {
    const result = await nugget([
      'backup',
      path.join(workspace.root, 'pg'),
      '--database',
      'postgres://x@db/nugget',
    ]);
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /pg_dump --format=custom .*pg_restore/);
  });
});
