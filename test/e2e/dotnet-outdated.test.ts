// dotnet-outdated-tool 4.8.1 (a dotnet tool) against a nugget server: it restores a project, asks the feed for every
// version of each reference through NuGet's PackageMetadataResource (registrations), and reports or applies
// upgrades. Unlisted versions must not be offered; --version-lock and --pre-release narrow or widen the choice.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { type DotnetTool, installDotnetTool } from './dotnet-tools.ts';
import {
  assertSucceeded,
  describeResult,
  feedSuite,
  orderedSteps,
  pushNupkg,
  unlistVersion,
  writeFiles,
} from './harness.ts';

const stepTimeout = { timeout: 300_000 };

/** What `dotnet outdated -of json` reports: every reference with a newer version. */
type OutdatedReport = {
  Projects: {
    Name: string;
    TargetFrameworks: {
      Name: string;
      Dependencies: {
        Name: string;
        ResolvedVersion: string;
        LatestVersion: string;
        UpgradeSeverity: string;
      }[];
    }[];
  }[];
};

const consumerProject = (libVersion: string) => `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Outdated.Lib" Version="${libVersion}" />
    <PackageReference Include="Outdated.Current" Version="1.0.0" />
  </ItemGroup>
</Project>
`;

describe('dotnet-outdated-tool 4.8.1', () => {
  let outdated: DotnetTool;
  let projectDir = '';
  let reports = 0;
  const suite = feedSuite('outdated');
  const { feed, serverLog, client } = suite;
  const steps = orderedSteps();

  /** Runs `dotnet outdated` on the project with a JSON report; returns the references it reports. */
  const report = async (...args: string[]) => {
    const file = path.join(client().root, `report-${++reports}.json`);
    const result = await outdated.run([...args, '-o', file, '-of', 'json'], { cwd: projectDir });
    assertSucceeded(result, serverLog);
    // Without anything to report it writes no report.
    if (!existsSync(file)) {
      assert.match(result.stdout, /No outdated dependencies were detected/, describeResult(result));
      return { result, references: [] };
    }
    const json = JSON.parse(await readFile(file, 'utf8')) as OutdatedReport;
    const references = json.Projects.flatMap((p) => p.TargetFrameworks.flatMap((t) => t.Dependencies));
    return { result, references };
  };

  before(async () => {
    await suite.setUp();
    outdated = await installDotnetTool(client(), {
      packageId: 'dotnet-outdated-tool',
      version: '4.8.1',
      command: 'dotnet-outdated',
    });
    for (const version of ['1.0.0', '1.0.1', '1.1.0', '1.2.0', '2.0.0', '3.0.0-beta.1']) {
      await pushNupkg(feed(), await buildNupkg({ id: 'Outdated.Lib', version }));
    }
    await pushNupkg(feed(), await buildNupkg({ id: 'Outdated.Current', version: '1.0.0' }));
    // An unlisted version is for exact references only: never offered as an upgrade.
    await unlistVersion(feed(), 'Outdated.Lib', '1.2.0');
    projectDir = await client().makeDir('consumer');
    await writeFiles(projectDir, { 'Consumer.csproj': consumerProject('1.0.0') });
  });

  after(() => suite.tearDown());

  it(
    '1. reports the newest stable version, and nothing for an up-to-date reference',
    stepTimeout,
    async () => {
      const { result, references } = await report();
      assert.deepEqual(
        references,
        [
          {
            Name: 'Outdated.Lib',
            ResolvedVersion: '1.0.0',
            LatestVersion: '2.0.0',
            UpgradeSeverity: 'Major',
          },
        ],
        describeResult(result),
      );
      steps.completed(1);
    },
  );

  it('2. --version-lock and --pre-release choose among the listed versions', stepTimeout, async () => {
    steps.require(1);
    const major = await report('--version-lock', 'Major');
    assert.equal(major.references[0]?.LatestVersion, '1.1.0', describeResult(major.result));
    const minor = await report('--version-lock', 'Minor');
    assert.equal(minor.references[0]?.LatestVersion, '1.0.1', describeResult(minor.result));
    const pre = await report('--pre-release', 'Always');
    assert.equal(pre.references[0]?.LatestVersion, '3.0.0-beta.1', describeResult(pre.result));
    steps.completed(2);
  });

  it(
    '3. --upgrade writes the new version into the project, which then restores from the feed',
    stepTimeout,
    async () => {
      steps.require(2);
      const upgrade = await outdated.run(['--upgrade', '--version-lock', 'Major'], { cwd: projectDir });
      assertSucceeded(upgrade, serverLog);
      const project = await readFile(path.join(projectDir, 'Consumer.csproj'), 'utf8');
      assert.match(project, /Include="Outdated\.Lib" Version="1\.1\.0"/, describeResult(upgrade));
      assertSucceeded(await client().runDotnet(['restore', '--force'], { cwd: projectDir }), serverLog);
      const after = await report('--version-lock', 'Major', '--fail-on-updates');
      assert.deepEqual(after.references, [], describeResult(after.result));
      assert.ok(
        feed().output().includes('outdated.lib.1.1.0.nupkg'),
        'restore downloaded 1.1.0 from the feed',
      );
    },
  );
});
