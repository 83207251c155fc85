// paket 12 (a dotnet tool) against a nugget server: `paket push` (its own multipart framing, with a bare LF before
// the closing boundary on Linux and macOS: docs/decisions/0009-lenient-multipart.md), the 409 of a second
// push and `--ignoreConflicts`, then `paket install` and `paket restore` from `source <feed>/v3/index.json`, which
// read the flat container and registrations and resolve a dependency across two packages of the feed.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { type DotnetTool, installDotnetTool } from './dotnet-tools.ts';
import {
  assertFailed,
  assertSucceeded,
  describeResult,
  feedSuite,
  outputOf,
  orderedSteps,
  writeFiles,
} from './harness.ts';

const stepTimeout = { timeout: 300_000 };

describe('paket 12', () => {
  let paket: DotnetTool;
  let packagesDir = '';
  const suite = feedSuite('paket');
  const { feed, baseUrl, serverLog, client } = suite;
  const steps = orderedSteps();
  /** `paket push` as its docs show it for a V3 feed: the base URL and the PackagePublish path. */
  const push = (file: string, ...extra: string[]) =>
    paket.run([
      ...['push', '--url', baseUrl(), '--endpoint', '/v3/package', '--api-key', feed().apiKey],
      ...extra,
      path.join(packagesDir, file),
    ]);
  const versionsOf = async (lowerId: string): Promise<unknown> => {
    const response = await fetch(`${baseUrl()}/v3/flatcontainer/${lowerId}/index.json`);
    return response.status === 200
      ? ((await response.json()) as { versions: unknown }).versions
      : response.status;
  };

  before(async () => {
    await suite.setUp();
    paket = await installDotnetTool(client(), { packageId: 'paket', version: '12.0.0', command: 'paket' });
    packagesDir = await client().makeDir('packages');
    const lib = (version: string) =>
      buildNupkg({ id: 'Paket.Lib', version, description: 'paket e2e library' });
    await writeFiles(packagesDir, {
      'Paket.Lib.1.0.0.nupkg': await lib('1.0.0'),
      'Paket.Lib.1.1.0.nupkg': await lib('1.1.0'),
      'Paket.App.1.0.0.nupkg': await buildNupkg({
        id: 'Paket.App',
        version: '1.0.0',
        description: 'paket e2e app',
        dependencyGroups: [
          { targetFramework: 'netstandard2.0', dependencies: [{ id: 'Paket.Lib', range: '[1.0.0, 2.0.0)' }] },
        ],
      }),
    });
  });

  after(() => suite.tearDown());

  it('1. paket push publishes a package (201 at the first try)', stepTimeout, async () => {
    const result = await push('Paket.Lib.1.0.0.nupkg');
    assertSucceeded(result, serverLog);
    assert.doesNotMatch(outputOf(result), /trial 2/, `paket had to retry\n${describeResult(result)}`);
    assert.deepEqual(await versionsOf('paket.lib'), ['1.0.0']);
    steps.completed(1);
  });

  it('2. a second push of the same version fails with 409', stepTimeout, async () => {
    steps.require(1);
    const result = await push('Paket.Lib.1.0.0.nupkg');
    assertFailed(result, serverLog);
    assert.match(outputOf(result), /409|Conflict/, describeResult(result));
    assert.match(outputOf(result), /already exists/, describeResult(result));
    steps.completed(2);
  });

  it('3. --ignoreConflicts turns that 409 into success', stepTimeout, async () => {
    steps.require(2);
    const result = await push('Paket.Lib.1.0.0.nupkg', '--ignoreConflicts');
    assertSucceeded(result, serverLog);
    assert.match(outputOf(result), /Conflict \(409\) status ignored/, describeResult(result));
    steps.completed(3);
  });

  it(
    '4. paket install resolves Paket.App and its dependency from the feed, and paket restore fetches them again',
    stepTimeout,
    async () => {
      steps.require(3);
      for (const file of ['Paket.Lib.1.1.0.nupkg', 'Paket.App.1.0.0.nupkg']) {
        assertSucceeded(await push(file), serverLog);
      }
      const repo = await client().makeDir('repo');
      await writeFiles(repo, {
        'paket.dependencies': [
          `source ${feed().serviceIndexUrl}`,
          'storage: none',
          'framework: net10.0',
          '',
          'nuget Paket.App',
          '',
        ].join('\n'),
      });
      const install = await paket.run(['install'], { cwd: repo });
      assertSucceeded(install, serverLog);
      const lock = await readFile(path.join(repo, 'paket.lock'), 'utf8');
      assert.match(lock, new RegExp(`remote: ${feed().serviceIndexUrl.replaceAll('.', '\\.')}`), lock);
      assert.match(lock, /^ {4}Paket\.App \(1\.0\.0\)$/m, lock);
      // paket takes the highest version a range allows for dependencies too.
      assert.match(lock, /^ {4}Paket\.Lib \(1\.1\.0\)$/m, lock);
      assert.match(lock, /^ {6}Paket\.Lib \(>= 1\.0 < 2\.0\)$/m, lock);
      const extracted = (id: string, version: string) =>
        path.join(client().packagesDir, id.toLowerCase(), version, `${id.toLowerCase()}.${version}.nupkg`);
      for (const [id, version] of [
        ['Paket.App', '1.0.0'],
        ['Paket.Lib', '1.1.0'],
      ] as const) {
        assert.ok(existsSync(extracted(id, version)), `${id} ${version} is not in NUGET_PACKAGES`);
      }

      // restore from the lock file alone, into an empty global packages folder
      await rm(client().packagesDir, { recursive: true, force: true });
      await rm(path.join(repo, 'paket-files'), { recursive: true, force: true });
      const restore = await paket.run(['restore'], { cwd: repo });
      assertSucceeded(restore, serverLog);
      assert.ok(existsSync(extracted('Paket.App', '1.0.0')), describeResult(restore));
      assert.ok(existsSync(extracted('Paket.Lib', '1.1.0')), describeResult(restore));
    },
  );
});
