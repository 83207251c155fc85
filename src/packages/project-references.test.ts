import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseCentralVersions,
  parseLockFile,
  parseProjectFile,
  parseSolution,
  requestedRange,
} from './project-references.ts';

describe('requestedRange: a version as a project writes it', () => {
  const rows: [string, string | undefined][] = [
    ['1.2.3', '[1.2.3, )'],
    ['[1.2.3]', '[1.2.3, 1.2.3]'],
    ['[1.0, 2.0)', '[1.0.0, 2.0.0)'],
    ['1.*', '1.*'],
    ['1.2.*-*', '1.2.*-*'],
    ['$(NewtonsoftVersion)', undefined],
    ['', undefined],
  ];
  for (const [written, expected] of rows) {
    it(`'${written}' -> ${String(expected)}`, () => assert.equal(requestedRange(written, 'p'), expected));
  }
  it('refuses what is no version, naming where it was', () => {
    assert.throws(() => requestedRange('not a version', 'app.csproj: PackageReference X'), /app\.csproj/);
  });
});

describe('parseProjectFile', () => {
  it('reads PackageReference (attribute or element), PackageDownload and the target frameworks', () => {
    const project = parseProjectFile(
      `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFrameworks>net10.0;netstandard2.0</TargetFrameworks></PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
    <PackageReference Include="xunit.assert"><Version>[2.9.3]</Version></PackageReference>
    <PackageDownload Include="Some.Pack" Version="[1.0.0]" />
    <PackageReference Include="NoVersion" />
    <ProjectReference Include="../lib/lib.csproj" />
  </ItemGroup>
</Project>`,
      'app.csproj',
    );
    assert.deepEqual(project.frameworks, ['net10.0', 'netstandard2.0']);
    assert.deepEqual(
      project.requests.map((r) => `${r.id} ${r.range}`),
      ['Newtonsoft.Json [13.0.3, )', 'xunit.assert [2.9.3, 2.9.3]', 'Some.Pack [1.0.0, 1.0.0]'],
    );
    assert.deepEqual(project.unversioned, ['NoVersion']);
  });

  it('takes versions from Directory.Packages.props under central package management, VersionOverride first', () => {
    const central = parseCentralVersions(
      '<Project><ItemGroup><PackageVersion Include="A" Version="1.0.0" /><PackageVersion Include="B" Version="2.0.0" /></ItemGroup></Project>',
      'Directory.Packages.props',
    );
    const project = parseProjectFile(
      '<Project><PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally><TargetFramework>net10.0</TargetFramework></PropertyGroup>' +
        '<ItemGroup><PackageReference Include="a" /><PackageReference Include="B" VersionOverride="3.0.0" /></ItemGroup></Project>',
      'app.csproj',
      central,
    );
    assert.ok(project.centrallyManaged);
    assert.deepEqual(
      project.requests.map((r) => `${r.id} ${r.range}`),
      ['a [1.0.0, )', 'B [3.0.0, )'],
    );
  });

  it('refuses a DOCTYPE (no entity expansion from a project file)', () => {
    assert.throws(() =>
      parseProjectFile('<!DOCTYPE x [<!ENTITY a "b">]><Project>&a;</Project>', 'evil.csproj'),
    );
  });
});

describe('parseSolution', () => {
  it('lists the projects of a .sln (backslashes as slashes), not its solution folders', () => {
    const sln = `Microsoft Visual Studio Solution File, Format Version 12.00
Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "app", "src\\app\\app.csproj", "{11111111-1111-1111-1111-111111111111}"
EndProject
Project("{2150E333-8FDC-42A3-9474-1A3956D46DE8}") = "docs", "docs", "{22222222-2222-2222-2222-222222222222}"
EndProject
Project("{F2A71F9B-5D33-465A-A702-920D77279786}") = "lib", "lib/lib.fsproj", "{33333333-3333-3333-3333-333333333333}"
EndProject
`;
    assert.deepEqual(parseSolution(sln, 'all.sln'), ['src/app/app.csproj', 'lib/lib.fsproj']);
  });
  it('lists the projects of a .slnx', () => {
    const slnx =
      '<Solution><Folder Name="/src/"><Project Path="src/app/app.csproj" /></Folder><Project Path="t/t.csproj" /></Solution>';
    assert.deepEqual(parseSolution(slnx, 'all.slnx'), ['src/app/app.csproj', 't/t.csproj']);
  });
});

describe('parseLockFile', () => {
  it('reads every resolved package of every framework exactly, not project references', () => {
    const lock = parseLockFile(
      JSON.stringify({
        version: 1,
        dependencies: {
          'net10.0': {
            'Newtonsoft.Json': {
              type: 'Direct',
              requested: '[13.0.3, )',
              resolved: '13.0.3',
              contentHash: 'x',
            },
            'xunit.abstractions': { type: 'Transitive', resolved: '2.0.3', contentHash: 'y' },
            lib: { type: 'Project' },
          },
          'net10.0/linux-x64': {
            'Newtonsoft.Json': {
              type: 'Direct',
              requested: '[13.0.3, )',
              resolved: '13.0.3',
              contentHash: 'x',
            },
          },
        },
      }),
      'packages.lock.json',
    );
    assert.deepEqual(lock.frameworks, ['net10.0']);
    assert.deepEqual(
      lock.requests.map((r) => `${r.id} ${r.range}`),
      ['Newtonsoft.Json [13.0.3, 13.0.3]', 'xunit.abstractions [2.0.3, 2.0.3]'],
    );
  });
  it('says what is wrong with a file that is no lock file', () => {
    assert.throws(() => parseLockFile('{"version":1}', 'x.json'), /no "dependencies"/);
    assert.throws(() => parseLockFile('nope', 'x.json'), /not JSON/);
  });
});
