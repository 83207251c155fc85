// A retention run killed with SIGKILL part-way (a real `nugget retention run` process) leaves a consistent feed:
// every version any document lists still downloads with the hash the catalog recorded (the feed invariant), no
// version that stays lacks its exact dependency; and the next run finishes the job, after which a dry run plans
// nothing. SQLite: the killed process's lease row is taken over at once (its process is gone from this host).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { composeNugget } from '../../src/compose.ts';
import { configSchema } from '../../src/config/config.ts';
import { startFeed } from '../http/feed-fixture.ts';
import { assertFeedInvariant, injectReader } from '../support/feed-invariant.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const children: number[] = [];
after(() => {
  for (const pid of children) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already ended
    }
  }
});

/** Runs the nugget command line in its own process group; resolves with its exit code and output. */
function nugget(
  args: string[],
  options: { killAfterLine?: RegExp } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(repo, 'bin/nugget.js'), ...args], {
    cwd: repo,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NUGGET_LOG_LEVEL: 'warn' },
  });
  children.push(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (options.killAfterLine?.test(stderr)) process.kill(-child.pid!, 'SIGKILL');
  });
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

test('kill -9 in the middle of a retention run: the feed stays consistent and the next run finishes', async () => {
  const feed = await startFeed();
  const { dataDir } = feed;
  after(() => rm(dataDir, { recursive: true, force: true }));
  const prereleases = Array.from({ length: 60 }, (_, i) => `1.0.0-ci.${i + 1}`);
  for (const version of ['0.9.0', ...prereleases]) await feed.publish({ id: 'Kill.Lib', version });
  await feed.publish({
    id: 'Kill.App',
    version: '1.0.0',
    dependencyGroups: [{ dependencies: [{ id: 'Kill.Lib', range: '[1.0.0-ci.3]' }] }],
  });
  // Keep the files of the server's own process apart: it stops before the command line opens the data dir.
  await feed.nugget.close();

  const policy = path.join(dataDir, 'policy.json');
  await writeFile(
    policy,
    JSON.stringify({ rules: [{ kind: 'keep-latest-prereleases', count: 2, action: 'delete' }] }),
  );
  const storage = ['--feed', 'default', '--data-dir', dataDir];
  const set = await nugget(['retention', 'set', ...storage, '--file', policy]);
  assert.equal(set.code, 0, set.stderr);

  const dry = await nugget(['retention', 'run', ...storage, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  const planned = dry.stdout.trim().split('\n');
  assert.equal(planned.length, 57, dry.stdout); // 60 - 2 kept - ci.3 (Kill.App depends on it exactly)

  const killed = await nugget(['retention', 'run', ...storage], { killAfterLine: /\[5\/57\]/ });
  assert.equal(killed.signal, 'SIGKILL', `the run ended before it was killed: ${killed.stderr}`);

  // Consistent as it stands: every listed version downloads, with its catalog hash.
  const reopened = await composeNugget(configSchema.parse({ dataDir, logLevel: 'silent' }), {
    downloadFlushMs: 0,
    create: false,
  });
  try {
    const report = await assertFeedInvariant([injectReader('node', reopened.app)]);
    const left = [...report.versions.keys()].filter((key) => key.startsWith('kill.lib/'));
    assert.ok(left.length < 62 && left.length > 4, `the kill came mid-run: ${left.length} versions left`);
    assert.ok(report.versions.has('kill.lib/1.0.0-ci.3'), 'the exact dependency of Kill.App stays');
  } finally {
    await reopened.close();
  }

  // The next run finishes: what it removes is the rest of the first plan, and afterwards nothing is left to do.
  const next = await nugget(['retention', 'run', ...storage]);
  assert.equal(next.code, 0, next.stderr);
  const done = next.stdout.trim().split('\n');
  assert.deepEqual(
    done,
    planned.slice(planned.length - done.length),
    'the second run does the rest of the plan',
  );
  const finalDry = await nugget(['retention', 'run', ...storage, '--dry-run']);
  assert.equal(finalDry.stdout.trim(), '');

  const last = await composeNugget(configSchema.parse({ dataDir, logLevel: 'silent' }), {
    downloadFlushMs: 0,
    create: false,
  });
  try {
    const report = await assertFeedInvariant([injectReader('node', last.app)]);
    assert.deepEqual([...report.versions.keys()].filter((key) => key.startsWith('kill.lib/')).sort(), [
      'kill.lib/0.9.0',
      'kill.lib/1.0.0-ci.3',
      'kill.lib/1.0.0-ci.59',
      'kill.lib/1.0.0-ci.60',
    ]);
    const audit = await last.services.audit.list({ limit: 200, feed: 'default' });
    assert.equal(audit.filter((e) => e.action === 'delete' && e.actor === 'cli').length >= 56, true);
  } finally {
    await last.close();
  }
});
