import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeTargetFramework } from '../frameworks/index.ts';
import { toNormalizedString } from '../versioning/index.ts';
import { maxNuspecBytes, parseNuspec } from './nuspec.ts';

// Every metadata element of https://learn.microsoft.com/nuget/reference/nuspec
// (../../../../shared/spec/reference/nuspec.md).
const fullNuspec = `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="5.10">
    <id>Contoso.Utility</id>
    <version>1.02.3-Beta.1+build.7</version>
    <title>Contoso Utility</title>
    <authors>Kim Abercrombie, Franck Halmaert</authors>
    <owners>Contoso</owners>
    <description>
      Sample exists only to show a sample &amp; its .nuspec file.
    </description>
    <summary>A summary</summary>
    <releaseNotes><![CDATA[Fixed <everything>.]]></releaseNotes>
    <copyright>© Contoso 2024</copyright>
    <language>en-US</language>
    <tags>utility, contoso  json,,tools</tags>
    <projectUrl>https://contoso.example/utility</projectUrl>
    <iconUrl>https://contoso.example/icon.png</iconUrl>
    <icon>images\\icon.png</icon>
    <readme>docs/README.md</readme>
    <license type="expression" version="1.0.0">MIT OR Apache-2.0</license>
    <licenseUrl>https://licenses.nuget.org/MIT%20OR%20Apache-2.0</licenseUrl>
    <requireLicenseAcceptance>TRUE</requireLicenseAcceptance>
    <developmentDependency>true</developmentDependency>
    <serviceable>true</serviceable>
    <repository type="git" url="https://github.com/contoso/utility.git" branch="main" commit="e1c65e4524cd70ee6e22abe33e6cb6ec73938cb3" />
    <packageTypes>
      <packageType name="DotnetTool" />
      <packageType name="McpServer" version="1.0" />
    </packageTypes>
    <dependencies>
      <group>
        <dependency id="RouteMagic" version="1.1.0" />
      </group>
      <group targetFramework=".NETFramework4.7.2">
        <dependency id="jQuery" version="[1.6.2, 2.0)" include="contentFiles, build" />
        <dependency id="WebActivator" version="1.4.4" exclude="native,compile" />
        <dependency id="AnyVersion" />
      </group>
      <group targetFramework="netcoreapp3.1">
      </group>
    </dependencies>
    <frameworkAssemblies>
      <frameworkAssembly assemblyName="System.Net" />
      <frameworkAssembly assemblyName="System.ServiceModel" targetFramework="net40-client, net40" />
    </frameworkAssemblies>
    <frameworkReferences>
      <group targetFramework=".NETCoreApp3.1">
        <frameworkReference name="Microsoft.WindowsDesktop.App.WPF" />
      </group>
    </frameworkReferences>
    <references>
      <group targetFramework="net45">
        <reference file="b45.dll" />
      </group>
    </references>
    <contentFiles>
      <files include="cs/uap/config/config.xml" buildAction="None" copyToOutput="true" flatten="true" />
      <files include="any/any/images/*.png" exclude="**/*.exe" buildAction="EmbeddedResource" />
    </contentFiles>
  </metadata>
  <files>
    <file src="bin\\Debug\\*.dll" target="lib" />
  </files>
</package>`;

describe('parseNuspec reads every metadata element', () => {
  const nuspec = parseNuspec(fullNuspec);

  test('required elements: id, version, description, authors', () => {
    assert.equal(nuspec.id, 'Contoso.Utility');
    assert.equal(toNormalizedString(nuspec.version), '1.2.3-Beta.1');
    assert.equal(nuspec.version.original, '1.02.3-Beta.1+build.7');
    // Trimmed like NuspecReader; entities decoded.
    assert.equal(nuspec.description, 'Sample exists only to show a sample & its .nuspec file.');
    assert.equal(nuspec.authors, 'Kim Abercrombie, Franck Halmaert');
  });

  test('optional text elements', () => {
    assert.equal(nuspec.title, 'Contoso Utility');
    assert.equal(nuspec.owners, 'Contoso');
    assert.equal(nuspec.summary, 'A summary');
    assert.equal(nuspec.releaseNotes, 'Fixed <everything>.');
    assert.equal(nuspec.copyright, '© Contoso 2024');
    assert.equal(nuspec.language, 'en-US');
    assert.equal(nuspec.projectUrl, 'https://contoso.example/utility');
    assert.equal(nuspec.iconUrl, 'https://contoso.example/icon.png');
    assert.equal(nuspec.icon, 'images\\icon.png');
    assert.equal(nuspec.readme, 'docs/README.md');
    assert.equal(nuspec.licenseUrl, 'https://licenses.nuget.org/MIT%20OR%20Apache-2.0');
    assert.equal(nuspec.minClientVersion, '5.10');
  });

  test('tags split on whitespace and commas, empties dropped', () => {
    assert.deepEqual(nuspec.tags, ['utility', 'contoso', 'json', 'tools']);
  });

  test('license expression with its version', () => {
    assert.deepEqual(nuspec.license, { type: 'expression', value: 'MIT OR Apache-2.0', version: '1.0.0' });
  });

  test('booleans are "true" ignoring case', () => {
    assert.equal(nuspec.requireLicenseAcceptance, true);
    assert.equal(nuspec.developmentDependency, true);
    assert.equal(nuspec.serviceable, true);
  });

  test('repository attributes', () => {
    assert.deepEqual(nuspec.repository, {
      type: 'git',
      url: 'https://github.com/contoso/utility.git',
      branch: 'main',
      commit: 'e1c65e4524cd70ee6e22abe33e6cb6ec73938cb3',
    });
  });

  test('package types with optional version', () => {
    assert.deepEqual(nuspec.packageTypes, [
      { name: 'DotnetTool', version: undefined },
      { name: 'McpServer', version: '1.0' },
    ]);
  });

  test('dependency groups: fallback group, framework groups, empty groups kept, include/exclude', () => {
    const groups = nuspec.dependencyGroups;
    assert.equal(groups.length, 3);
    const [fallback, netfx, empty] = groups;
    assert.equal(fallback?.targetFramework, '');
    assert.equal(fallback?.rawTargetFramework, '');
    assert.deepEqual(
      fallback?.dependencies.map((d) => [d.id, d.range.original]),
      [['RouteMagic', '1.1.0']],
    );
    assert.equal(netfx?.rawTargetFramework, '.NETFramework4.7.2');
    assert.equal(netfx?.targetFramework, normalizeTargetFramework('.NETFramework4.7.2'));
    const [jquery, webActivator, anyVersion] = netfx?.dependencies ?? [];
    assert.equal(jquery?.id, 'jQuery');
    assert.equal(jquery?.range.original, '[1.6.2, 2.0)');
    assert.equal(jquery?.range.isMinInclusive, true);
    assert.equal(jquery?.range.isMaxInclusive, false);
    assert.deepEqual(jquery?.include, ['contentFiles', 'build']);
    assert.deepEqual(jquery?.exclude, []);
    assert.deepEqual(webActivator?.exclude, ['native', 'compile']);
    assert.equal(toNormalizedString(webActivator!.range.minVersion!), '1.4.4');
    assert.equal(anyVersion?.range.minVersion, undefined, 'no version attribute means any version');
    assert.equal(empty?.rawTargetFramework, 'netcoreapp3.1');
    assert.equal(empty?.targetFramework, normalizeTargetFramework('netcoreapp3.1'));
    assert.deepEqual(empty?.dependencies, []);
  });

  test('framework assemblies keep their raw target framework list', () => {
    assert.deepEqual(nuspec.frameworkAssemblies, [
      { assemblyName: 'System.Net', targetFramework: '' },
      { assemblyName: 'System.ServiceModel', targetFramework: 'net40-client, net40' },
    ]);
  });

  test('framework reference groups', () => {
    assert.deepEqual(nuspec.frameworkReferenceGroups, [
      {
        targetFramework: normalizeTargetFramework('.NETCoreApp3.1'),
        rawTargetFramework: '.NETCoreApp3.1',
        references: ['Microsoft.WindowsDesktop.App.WPF'],
      },
    ]);
  });

  test('references and contentFiles', () => {
    assert.deepEqual(nuspec.referenceGroups, [
      { targetFramework: normalizeTargetFramework('net45'), rawTargetFramework: 'net45', files: ['b45.dll'] },
    ]);
    assert.deepEqual(nuspec.contentFiles, [
      { include: 'cs/uap/config/config.xml', buildAction: 'None', copyToOutput: true, flatten: true },
      { include: 'any/any/images/*.png', exclude: '**/*.exe', buildAction: 'EmbeddedResource' },
    ]);
  });
});

const minimal = (metadata: string, root = 'package', attributes = '') =>
  `<?xml version="1.0"?><${root}${attributes}><metadata>${metadata}</metadata></${root}>`;
const required = '<id>A.B</id><version>1.0.0</version><authors>me</authors><description>d</description>';

describe('parseNuspec defaults and variants', () => {
  test('a minimal nuspec without namespace: defaults are empty/false', () => {
    const nuspec = parseNuspec(minimal(required));
    assert.deepEqual(
      {
        tags: nuspec.tags,
        requireLicenseAcceptance: nuspec.requireLicenseAcceptance,
        developmentDependency: nuspec.developmentDependency,
        serviceable: nuspec.serviceable,
        packageTypes: nuspec.packageTypes,
        dependencyGroups: nuspec.dependencyGroups,
        title: nuspec.title,
        license: nuspec.license,
        repository: nuspec.repository,
      },
      {
        tags: [],
        requireLicenseAcceptance: false,
        developmentDependency: false,
        serviceable: false,
        packageTypes: [],
        dependencyGroups: [],
        title: undefined,
        license: undefined,
        repository: undefined,
      },
    );
  });

  for (const ns of [
    'http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd',
    'http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd',
    'http://schemas.microsoft.com/packaging/2012/06/nuspec.xsd',
    'http://schemas.microsoft.com/packaging/2013/01/nuspec.xsd',
    'http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd',
  ]) {
    test(`namespace ${ns} reads alike`, () => {
      assert.equal(parseNuspec(minimal(required, 'package', ` xmlns="${ns}"`)).id, 'A.B');
    });
  }

  test('a prefixed namespace that is also the default one reads alike', () => {
    const ns = 'http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd';
    const xml = `<n:package xmlns:n="${ns}" xmlns="${ns}"><n:metadata>
      <n:id>A.B</n:id><n:version>2.0.0</n:version><authors>me</authors><n:description>d</n:description>
      </n:metadata></n:package>`;
    assert.equal(toNormalizedString(parseNuspec(xml).version), '2.0.0');
  });

  test("elements in another namespace than <metadata>'s default are not read, as NuGet does not see them", () => {
    const nuspec = parseNuspec(
      minimal(`${required}<x:title xmlns:x="urn:other">hidden</x:title><dependencies xmlns="urn:other">
        <dependency id="Hidden" version="1.0.0" /></dependencies>`),
    );
    assert.equal(nuspec.title, undefined);
    assert.deepEqual(nuspec.dependencyGroups, []);
  });

  test('minClientVersion and package type versions as the client reads them (trimmed)', () => {
    const nuspec = parseNuspec(
      `<package><metadata minClientVersion=" 2.12 ">${required}` +
        '<packageTypes><packageType name="Dependency" version=" 1.0 " /></packageTypes></metadata></package>',
    );
    assert.equal(nuspec.minClientVersion, '2.12');
    assert.deepEqual(nuspec.packageTypes, [{ name: 'Dependency', version: '1.0' }]);
  });

  test('booleans are true or false in any case', () => {
    const nuspec = parseNuspec(
      minimal(
        `${required}<developmentDependency> False </developmentDependency><serviceable>TRUE</serviceable>`,
      ),
    );
    assert.equal(nuspec.developmentDependency, false);
    assert.equal(nuspec.serviceable, true);
  });

  test('a version of 64 characters', () => {
    const version = `1.0.0-${'a'.repeat(58)}`;
    assert.equal(
      toNormalizedString(parseNuspec(minimal(required.replace('1.0.0', version))).version),
      version,
    );
  });

  test('a flat dependency list becomes one group with targetFramework ""', () => {
    const nuspec = parseNuspec(
      minimal(`${required}<dependencies><dependency id="PackageA" version="1.1.0" include="runtime, compile" />
        <dependency id="PackageB" version="[1,2)" exclude="native, compile" /></dependencies>`),
    );
    assert.equal(nuspec.dependencyGroups.length, 1);
    assert.equal(nuspec.dependencyGroups[0]?.targetFramework, '');
    assert.deepEqual(
      nuspec.dependencyGroups[0]?.dependencies.map((d) => [d.id, d.range.original, d.include, d.exclude]),
      [
        ['PackageA', '1.1.0', ['runtime', 'compile'], []],
        ['PackageB', '[1,2)', [], ['native', 'compile']],
      ],
    );
  });

  test('groups win over a flat list beside them, as in NuspecReader', () => {
    const nuspec = parseNuspec(
      minimal(`${required}<dependencies><dependency id="Flat" version="1.0.0" />
        <group targetFramework="net8.0"><dependency id="Grouped" version="1.0.0" /></group></dependencies>`),
    );
    assert.deepEqual(
      nuspec.dependencyGroups.map((g) => g.dependencies.map((d) => d.id)),
      [['Grouped']],
    );
  });

  test('a license file', () => {
    assert.deepEqual(parseNuspec(minimal(`${required}<license type="file">LICENSE.txt</license>`)).license, {
      type: 'file',
      value: 'LICENSE.txt',
    });
  });

  test('UTF-8 bytes with a byte order mark, and UTF-16LE bytes', () => {
    const xml = minimal(required.replace('me', 'Jürgen'));
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml, 'utf8')]);
    assert.equal(parseNuspec(utf8).authors, 'Jürgen');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
    assert.equal(parseNuspec(utf16).authors, 'Jürgen');
  });
});

interface Refusal {
  name: string;
  xml: string | Uint8Array;
  code: string;
  message: RegExp;
}

// Opening tags only, so 200,000 levels fit under the 1 MiB cap: the depth guard must fire first.
const deep = (levels: number) => '<a>'.repeat(levels);

const refusals: Refusal[] = [
  {
    name: 'DOCTYPE',
    xml: `<?xml version="1.0"?><!DOCTYPE package><package><metadata>${required}</metadata></package>`,
    code: 'nuspec_doctype',
    message: /DOCTYPE/,
  },
  {
    name: 'XXE: an external entity',
    xml: `<?xml version="1.0"?><!DOCTYPE package [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
      <package><metadata><id>A</id><version>1.0.0</version><authors>&xxe;</authors><description>d</description></metadata></package>`,
    code: 'nuspec_doctype',
    message: /DTDs are not allowed/,
  },
  {
    name: 'billion laughs',
    xml: `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
    ).join(
      '',
    )}]><package><metadata><id>A</id><version>1.0.0</version><authors>&lol9;</authors><description>d</description></metadata></package>`,
    code: 'nuspec_doctype',
    message: /DOCTYPE/,
  },
  {
    name: '200,000-deep nesting (rejected at depth 33, not parsed through)',
    xml: `<package><metadata>${deep(200_000)}`,
    code: 'nuspec_too_deep',
    message: /deeper than 32 levels/,
  },
  {
    name: 'invalid UTF-8',
    xml: Buffer.concat([
      Buffer.from(`<package><metadata><id>A`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('</id></metadata></package>'),
    ]),
    code: 'nuspec_invalid_encoding',
    message: /not valid UTF-8/,
  },
  {
    name: 'larger than 1 MiB',
    xml: minimal(`${required}<releaseNotes>${'x'.repeat(maxNuspecBytes)}</releaseNotes>`),
    code: 'nuspec_too_large',
    message: /too large: \d+ bytes > 1048576 bytes/,
  },
  {
    name: 'mismatched tags',
    xml: '<package><metadata></package>',
    code: 'nuspec_malformed',
    message: /not well-formed/,
  },
  { name: 'unclosed root', xml: '<package><metadata>', code: 'nuspec_malformed', message: /not well-formed/ },
  {
    name: 'undefined entity',
    xml: minimal(required.replace('me', '&undefined;')),
    code: 'nuspec_malformed',
    message: /not well-formed/,
  },
  {
    name: 'duplicate attribute',
    xml: minimal(`${required}<repository type="git" type="svn" />`),
    code: 'nuspec_malformed',
    message: /not well-formed/,
  },
  { name: 'empty document', xml: '', code: 'nuspec_malformed', message: /not well-formed|no root/ },
  {
    name: 'root is not <package>',
    xml: `<metadata>${required}</metadata>`,
    code: 'nuspec_not_package',
    message: /<package>/,
  },
  {
    name: 'no <metadata>',
    xml: '<package><files /></package>',
    code: 'nuspec_missing_metadata',
    message: /missing <metadata>/,
  },
  {
    name: 'missing <id>',
    xml: minimal('<version>1.0.0</version><authors>me</authors><description>d</description>'),
    code: 'nuspec_missing_element',
    message: /^nuspec is missing <id>$/,
  },
  {
    name: 'missing <version>',
    xml: minimal('<id>A</id><authors>me</authors><description>d</description>'),
    code: 'nuspec_missing_element',
    message: /^nuspec is missing <version>$/,
  },
  {
    name: 'missing <description>',
    xml: minimal('<id>A</id><version>1.0.0</version><authors>me</authors>'),
    code: 'nuspec_missing_element',
    message: /^nuspec is missing <description>$/,
  },
  {
    name: 'missing <authors>',
    xml: minimal('<id>A</id><version>1.0.0</version><description>d</description>'),
    code: 'nuspec_missing_element',
    message: /^nuspec is missing <authors>$/,
  },
  {
    name: 'empty <authors>',
    xml: minimal('<id>A</id><version>1.0.0</version><authors>  </authors><description>d</description>'),
    code: 'nuspec_missing_element',
    message: /^nuspec has an empty <authors>$/,
  },
  {
    name: 'bad id',
    xml: minimal(required.replace('A.B', 'A..B')),
    code: 'nuspec_invalid_id',
    message: /nuspec <id> is invalid: .*'A\.\.B'/,
  },
  {
    name: 'bad version',
    xml: minimal(required.replace('1.0.0', '1.0.0.0.0')),
    code: 'nuspec_invalid_version',
    message: /nuspec <version> '1\.0\.0\.0\.0' is not a valid NuGet version/,
  },
  {
    name: 'bad dependency range',
    xml: minimal(
      `${required}<dependencies><group targetFramework="net8.0"><dependency id="X" version="[1.0,0.5" /></group></dependencies>`,
    ),
    code: 'nuspec_invalid_dependency_range',
    message: /<dependency id="X" version="\[1\.0,0\.5"> in group 'net8\.0'/,
  },
  {
    name: 'bad dependency id',
    xml: minimal(`${required}<dependencies><dependency id="bad id" version="1.0.0" /></dependencies>`),
    code: 'nuspec_invalid_dependency_id',
    message: /<dependency id="bad id">/,
  },
  {
    name: 'dependency without id',
    xml: minimal(`${required}<dependencies><dependency version="1.0.0" /></dependencies>`),
    code: 'nuspec_invalid_dependency_id',
    message: /with no id/,
  },
  {
    name: 'license of an unknown type',
    xml: minimal(`${required}<license type="url">https://x</license>`),
    code: 'nuspec_invalid_license',
    message: /type="expression" or type="file"/,
  },
  {
    name: 'package type without name',
    xml: minimal(`${required}<packageTypes><packageType /></packageTypes>`),
    code: 'nuspec_invalid_package_type',
    message: /no name/,
  },
];

const withMetadata = (extra: string) => minimal(`${required}${extra}`);
const inGroup = (targetFramework: string) =>
  withMetadata(
    `<dependencies><group targetFramework="${targetFramework}"><dependency id="X" version="1.0.0" /></group></dependencies>`,
  );

// What the client cannot read (it throws on restore or `dotnet add package`), or reads otherwise than this server.
const unreadable: Refusal[] = [
  ...['id', 'version', 'title', 'dependencies', 'tags'].map((local): Refusal => ({
    name: `<${local}> twice`,
    xml: withMetadata(
      {
        id: '<id>Other.Id</id>',
        version: '<version>2.0.0</version>',
        title: '<title>a</title><title>b</title>',
        dependencies: '<dependencies /><dependencies><dependency id="X" /></dependencies>',
        tags: '<tags>a</tags><tags>b</tags>',
      }[local] as string,
    ),
    code: 'nuspec_duplicate_element',
    message: new RegExp(`more than one <${local}>`),
  })),
  {
    name: '<id> with white space around it',
    xml: minimal(required.replace('<id>A.B</id>', '<id>\n  A.B\n</id>')),
    code: 'nuspec_invalid_id',
    message: /'A\.B' has white space around it/,
  },
  {
    name: '<id> only in another namespace (a prefix without a default namespace)',
    xml: `<n:package xmlns:n="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><n:metadata>
      <n:id>A.B</n:id><n:version>2.0.0</n:version><n:authors>me</n:authors><n:description>d</n:description>
      </n:metadata></n:package>`,
    code: 'nuspec_missing_element',
    message:
      /<id> in namespace 'http:\/\/schemas\.microsoft\.com\/packaging\/2013\/05\/nuspec\.xsd'.*default namespace ''/,
  },
  {
    name: 'a version of 65 characters',
    xml: minimal(required.replace('1.0.0', `1.0.0-${'a'.repeat(59)}`)),
    code: 'nuspec_invalid_version',
    message: /is 65 characters long; versions may have at most 64/,
  },
  {
    name: 'a version whose normalized form is longer than 64 characters',
    xml: minimal(required.replace('1.0.0', `1-${'a'.repeat(60)}`)),
    code: 'nuspec_invalid_version',
    message: /is 66 characters long/,
  },
  ...['not-a-version', '', '  ', '1.0.0.0.0', 'v2'].map((value): Refusal => ({
    name: `minClientVersion="${value}"`,
    xml: `<package><metadata minClientVersion="${value}">${required}</metadata></package>`,
    code: 'nuspec_invalid_min_client_version',
    message: /minClientVersion=".*"> is not a version/,
  })),
  ...[
    ['developmentDependency', 'yes'],
    ['developmentDependency', ''],
    ['requireLicenseAcceptance', '1'],
    ['serviceable', 'maybe'],
  ].map(([local, value]): Refusal => ({
    name: `<${local as string}>${value as string}</${local as string}>`,
    xml: withMetadata(`<${local}>${value}</${local}>`),
    code: 'nuspec_invalid_boolean',
    message: new RegExp(`<${local}> is '${value}'; it must be true or false`),
  })),
  {
    name: 'a dependency id with white space around it',
    xml: withMetadata('<dependencies><dependency id=" X " version="1.0.0" /></dependencies>'),
    code: 'nuspec_invalid_dependency_id',
    message: /<dependency id=" X ">.*U\+0020/,
  },
  {
    name: 'one dependency twice in a group, in another case',
    xml: withMetadata(
      '<dependencies><group targetFramework="net8.0"><dependency id="X" version="1.0.0" />' +
        '<dependency id="x" version="2.0.0" /></group></dependencies>',
    ),
    code: 'nuspec_duplicate_dependency',
    message: /names dependency 'x' twice in group 'net8\.0'/,
  },
  ...[',', '.NETFramework,Version=v4.x', '.NETFramework,Version=', 'portable-net45-client+win8'].map(
    (framework): Refusal => ({
      name: `a dependency group for '${framework}' (NuGetFramework.Parse throws)`,
      xml: inGroup(framework),
      code: 'nuspec_invalid_target_framework',
      message: /<dependencies> <group> has a targetFramework '.*' that NuGet cannot parse/,
    }),
  ),
  {
    name: 'a reference group NuGet cannot parse',
    xml: withMetadata(
      '<references><group targetFramework=".NETFramework,Version=vX"><reference file="a.dll" /></group></references>',
    ),
    code: 'nuspec_invalid_target_framework',
    message: /<references> <group> has a targetFramework/,
  },
  {
    name: 'a framework reference group without targetFramework',
    xml: withMetadata(
      '<frameworkReferences><group><frameworkReference name="Microsoft.AspNetCore.App" /></group></frameworkReferences>',
    ),
    code: 'nuspec_invalid_target_framework',
    message: /<frameworkReferences> <group> without targetFramework/,
  },
  {
    name: 'a framework assembly for a portable framework with a profile inside',
    xml: withMetadata(
      '<frameworkAssemblies><frameworkAssembly assemblyName="System" targetFramework="net40, portable-net45-client+win8" /></frameworkAssemblies>',
    ),
    code: 'nuspec_invalid_target_framework',
    message: /<frameworkAssembly> has a targetFramework 'portable-net45-client\+win8'/,
  },
  ...['1.0-beta', 'abc', '1', ' '].map((version): Refusal => ({
    name: `a package type version '${version}' (not a System.Version)`,
    xml: withMetadata(`<packageTypes><packageType name="Dependency" version="${version}" /></packageTypes>`),
    code: 'nuspec_invalid_package_type',
    message: /has a version that is not like 1\.0/,
  })),
  {
    name: 'a package type name that is not a package id',
    xml: withMetadata('<packageTypes><packageType name="Dotnet Tool" /></packageTypes>'),
    code: 'nuspec_invalid_package_type',
    message: /<packageType name="Dotnet Tool"> is invalid/,
  },
  ...[
    ['copyToOutput', 'yes'],
    ['flatten', ' true'],
  ].map(([name, value]): Refusal => ({
    name: `contentFiles ${name as string}="${value as string}"`,
    xml: withMetadata(`<contentFiles><files include="any/any/a.txt" ${name}="${value}" /></contentFiles>`),
    code: 'nuspec_invalid_content_files',
    message: new RegExp(`${name}=".*"> must be true or false`),
  })),
  {
    name: 'a license version that is not a version',
    xml: withMetadata('<license type="expression" version="1.0.0-beta">MIT</license>'),
    code: 'nuspec_invalid_license',
    message: /<license version="1\.0\.0-beta"> is not a version like 1\.0\.0/,
  },
];
refusals.push(...unreadable);

describe('parseNuspec refuses hostile or invalid nuspecs, each with its own code', () => {
  for (const refusal of refusals) {
    test(`${refusal.name} -> ${refusal.code}`, () => {
      assert.throws(
        () => parseNuspec(refusal.xml),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.equal((error as { kind?: string }).kind, 'InvalidInput');
          assert.equal((error as { code?: string }).code, refusal.code);
          assert.match(error.message, refusal.message);
          return true;
        },
      );
    });
  }
});
