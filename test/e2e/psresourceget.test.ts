// PowerShell 7.6.9 (a dotnet tool) and its built-in PSResourceGet against a nugget server registered as a NuGet V3
// repository: Register-PSResourceRepository, Publish-PSResource (it packs the module and pushes through NuGet's own
// push code, so V3 publishing works), Find-PSResource, Install-PSResource, Save-PSResource and Update-PSResource.
// Not tested, because PSResourceGet itself refuses them for any V3 repository before sending a request ("not
// supported for the V3 server protocol repository"): Find-PSResource by -Tag, -CommandName or -DscResourceName,
// and names with wildcards.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DotnetTool, installDotnetTool } from './dotnet-tools.ts';
import {
  assertFailed,
  assertSucceeded,
  type DotnetResult,
  describeResult,
  feedSuite,
  orderedSteps,
  outputOf,
  writeFiles,
} from './harness.ts';

const stepTimeout = { timeout: 300_000 };
const moduleName = 'NuggetDemo';

/** A PowerShell single-quoted string. */
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

describe('PowerShell 7.6.9 PSResourceGet', () => {
  let pwsh: DotnetTool;
  const suite = feedSuite('pwsh');
  const { feed, serverLog, client } = suite;
  const steps = orderedSteps();

  /** Runs a script in a fresh pwsh; every error stops it with a non-zero exit code. */
  const powershell = (script: string): Promise<DotnetResult> =>
    pwsh.run(['-NoProfile', '-NonInteractive', '-Command', `$ErrorActionPreference = 'Stop'\n${script}`], {
      env: { POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' },
    });
  /** A script module of one function, as `<root>/modules/<version>/NuggetDemo`. */
  const moduleDir = async (version: string): Promise<string> => {
    const dir = await client().makeDir(path.join('modules', version, moduleName));
    await writeFiles(dir, {
      [`${moduleName}.psm1`]: `function Get-NuggetAnswer { '${version}: 42' }\nExport-ModuleMember -Function Get-NuggetAnswer\n`,
      [`${moduleName}.psd1`]: [
        '@{',
        `  RootModule = '${moduleName}.psm1'`,
        `  ModuleVersion = '${version}'`,
        "  GUID = 'a3c1f2d4-5b6e-4f70-8a91-b2c3d4e5f601'",
        "  Author = 'nugget e2e'",
        "  Description = 'A module that PSResourceGet publishes to nugget'",
        "  FunctionsToExport = @('Get-NuggetAnswer')",
        "  PrivateData = @{ PSData = @{ Tags = @('nugget', 'e2e') } }",
        '}',
        '',
      ].join('\n'),
    });
    return dir;
  };
  const publish = async (version: string) =>
    powershell(
      `Publish-PSResource -Path ${quote(await moduleDir(version))} -Repository nugget -ApiKey ${quote(feed().apiKey)}`,
    );

  before(async () => {
    await suite.setUp();
    pwsh = await installDotnetTool(client(), { packageId: 'PowerShell', version: '7.6.9', command: 'pwsh' });
  });

  after(() => suite.tearDown());

  it('1. Register-PSResourceRepository takes the service index as a V3 repository', stepTimeout, async () => {
    const result = await powershell(
      `Register-PSResourceRepository -Name nugget -Uri ${quote(feed().serviceIndexUrl)} -Trusted\n` +
        '$r = Get-PSResourceRepository -Name nugget\n' +
        '"api=$($r.ApiVersion) uri=$($r.Uri)"',
    );
    assertSucceeded(result, serverLog);
    assert.match(result.stdout, new RegExp(`api=V3 uri=${feed().serviceIndexUrl.replaceAll('.', '\\.')}`));
    steps.completed(1);
  });

  it('2. Publish-PSResource pushes the module; publishing it again fails with 409', stepTimeout, async () => {
    steps.require(1);
    assertSucceeded(await publish('1.0.0'), serverLog);
    const versions = await fetch(new URL('/v3/flatcontainer/nuggetdemo/index.json', feed().serviceIndexUrl));
    assert.deepEqual(await versions.json(), { versions: ['1.0.0'] });
    const again = await publish('1.0.0');
    assertFailed(again, serverLog);
    assert.match(outputOf(again), /409/, describeResult(again));
    assert.match(outputOf(again), /NuggetDemo 1\.0\.0 already exists/, describeResult(again));
    steps.completed(2);
  });

  it('3. Find-PSResource reads the module from the registration', stepTimeout, async () => {
    steps.require(2);
    const result = await powershell(
      `$m = Find-PSResource -Name ${moduleName} -Repository nugget\n` +
        '"found=$($m.Name) $($m.Version) author=$($m.Author) tags=$($m.Tags -join \',\')"\n' +
        '"description=$($m.Description)"\n' +
        `$none = Find-PSResource -Name Nugget.NoSuchModule -Repository nugget -ErrorAction SilentlyContinue\n` +
        '"missing=$(@($none).Count)"',
    );
    assertSucceeded(result, serverLog);
    // (Its Type is None for every V3 repository: PSResourceGet reads the type only from V2 feeds.)
    assert.match(result.stdout, /found=NuggetDemo 1\.0\.0 author=nugget e2e tags=\S*PSModule/);
    assert.match(result.stdout, /tags=\S*nugget/);
    assert.match(result.stdout, /description=A module that PSResourceGet publishes to nugget/);
    assert.match(result.stdout, /missing=0/);
    steps.completed(3);
  });

  it(
    '4. Install-PSResource and Save-PSResource download it; the installed module runs',
    stepTimeout,
    async () => {
      steps.require(3);
      const saveDir = await client().makeDir('saved');
      const result = await powershell(
        `Install-PSResource -Name ${moduleName} -Repository nugget -Scope CurrentUser -TrustRepository\n` +
          `Import-Module ${moduleName}\n` +
          '"answer=$(Get-NuggetAnswer)"\n' +
          `Save-PSResource -Name ${moduleName} -Repository nugget -Path ${quote(saveDir)} -TrustRepository`,
      );
      assertSucceeded(result, serverLog);
      assert.match(result.stdout, /answer=1\.0\.0: 42/);
      for (const file of [`${moduleName}.psd1`, `${moduleName}.psm1`]) {
        assert.ok(existsSync(path.join(saveDir, moduleName, '1.0.0', file)), `${file} not saved`);
      }
      steps.completed(4);
    },
  );

  it('5. a newer version: Find lists both, Update-PSResource installs it', stepTimeout, async () => {
    steps.require(4);
    assertSucceeded(await publish('1.1.0'), serverLog);
    const result = await powershell(
      `$all = Find-PSResource -Name ${moduleName} -Repository nugget -Version '*'\n` +
        '"versions=$(($all | ForEach-Object { $_.Version.ToString() } | Sort-Object) -join \',\')"\n' +
        `$range = Find-PSResource -Name ${moduleName} -Repository nugget -Version '[1.0.0, 1.1.0)'\n` +
        '"range=$(($range | ForEach-Object { $_.Version.ToString() }) -join \',\')"\n' +
        `Update-PSResource -Name ${moduleName} -Repository nugget -Scope CurrentUser -TrustRepository\n` +
        `Import-Module ${moduleName} -RequiredVersion 1.1.0\n` +
        '"answer=$(Get-NuggetAnswer)"',
    );
    assertSucceeded(result, serverLog);
    assert.match(result.stdout, /versions=1\.0\.0,1\.1\.0/);
    assert.match(result.stdout, /range=1\.0\.0\s/);
    assert.match(result.stdout, /answer=1\.1\.0: 42/);
  });
});
