// The lines that install a package, per tool, as nuget.org offers them: the .NET CLI (or `dotnet tool` /
// `dotnet new` for tools and templates), PackageReference, Central Package Management, Paket, `#r` in scripts and
// notebooks, and Cake. Cake names the feed in its URI; the others find it through NuGet.Config (getting started).
import type { PackageVersion } from '../protocol/package-version.ts';

export interface InstallSnippet {
  /** Stable, for element ids and tests. */
  readonly key: string;
  readonly label: string;
  readonly text: string;
}

export function installSnippets(version: PackageVersion, serviceIndexUrl: string): InstallSnippet[] {
  const { id, fullVersion: v } = version;
  const types = version.metadata.packageTypes.map((t) => t.name.toLowerCase());
  const cli = types.includes('dotnettool')
    ? `dotnet tool install --global ${id} --version ${v}`
    : types.includes('template')
      ? `dotnet new install ${id}::${v}`
      : `dotnet add package ${id} --version ${v}`;
  const cakeKind = types.includes('dotnettool') ? 'tool' : 'addin';
  return [
    { key: 'dotnet-cli', label: '.NET CLI', text: cli },
    {
      key: 'package-reference',
      label: 'PackageReference',
      text: `<PackageReference Include="${id}" Version="${v}" />`,
    },
    {
      key: 'central-package-management',
      label: 'Central Package Management',
      text:
        `<!-- Directory.Packages.props -->\n<PackageVersion Include="${id}" Version="${v}" />\n\n` +
        `<!-- the project file -->\n<PackageReference Include="${id}" />`,
    },
    { key: 'paket', label: 'Paket', text: `paket add ${id} --version ${v}` },
    { key: 'script', label: 'Script & Interactive', text: `#r "nuget: ${id}, ${v}"` },
    {
      key: 'cake',
      label: 'Cake',
      text: `#${cakeKind} nuget:${serviceIndexUrl}?package=${id}&version=${v}`,
    },
  ];
}
