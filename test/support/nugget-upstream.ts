// The "public" upstream of the upstream tests: a second nugget process loaded with the real nuget.org packages of
// /opt/nuget/packages (a restorable dependency graph: System.Reflection.Metadata -> System.Collections.Immutable,
// xunit.extensibility.execution -> xunit.extensibility.core -> xunit.abstractions, Newtonsoft.Json, ...), plus
// what that folder lacks, made here: an id with more than 128 versions (so registration pages live outside the
// index), a dotnet tool packed by the real SDK, a deprecated version and an advisory for a real package. It sits
// behind a counting proxy, so tests see (and count) every request that reaches "the internet", and stop() makes
// it refuse connections like a dead host. The server runs in its own process group, ended by stop() or at exit.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { defaultRealPackagesDir, findRealPackages } from '../fixtures/real-packages.ts';
import {
  assertSucceeded,
  type FeedServer,
  pushNupkg,
  runCommand,
  startFeed,
  type Workspace,
  writeFiles,
} from '../e2e/harness.ts';
import { type CountingProxy, startCountingProxy } from './counting-proxy.ts';

export interface NuggetUpstream {
  /** The service index as clients of the upstream see it: through the counting proxy. */
  readonly serviceIndexUrl: string;
  readonly proxy: CountingProxy;
  readonly server: FeedServer;
  /** Ends the server's process group and refuses connections. */
  stop(): Promise<void>;
}

export interface UpstreamAdvisory {
  readonly packageId: string;
  readonly url: string;
  readonly severity: 'low' | 'moderate' | 'high' | 'critical';
  readonly versions: string;
}

export interface UpstreamDeprecation {
  readonly id: string;
  readonly version: string;
  readonly reasons: readonly string[];
  readonly message?: string;
  readonly alternatePackage?: { readonly id: string; readonly range: string };
}

export interface NuggetUpstreamOptions {
  /** .nupkg files and bytes to push. */
  readonly packages: readonly (string | Uint8Array)[];
  readonly deprecations?: readonly UpstreamDeprecation[];
  readonly advisories?: readonly UpstreamAdvisory[];
}

/** Every real nuget.org package on this machine (NUGGET_REAL_PACKAGES_DIR overrides the folder). */
export function realPackageFiles(): string[] {
  const files = findRealPackages(process.env['NUGGET_REAL_PACKAGES_DIR'] ?? defaultRealPackagesDir).map(
    (p) => p.path,
  );
  assert.ok(files.length > 0, `no real packages under ${defaultRealPackagesDir}`);
  return files;
}

/** `count` versions of one id (1.0.0 ... 1.0.{count-1}): more than 128 gives a paged registration. */
export async function manyVersions(id: string, count: number): Promise<Buffer[]> {
  const nupkgs: Buffer[] = [];
  for (let patch = 0; patch < count; patch++) {
    nupkgs.push(
      await buildNupkg({
        id,
        version: `1.0.${patch}`,
        description: `${id}, one of ${count} versions of an id with a paged registration`,
        dependencyGroups: [{ targetFramework: 'net8.0', dependencies: [] }],
      }),
    );
  }
  return nupkgs;
}

/**
 * `dotnet pack` of a project made of `files` (the .csproj named `<id>.csproj` is written from `properties`), with
 * no package source at all (a net10.0 project packs from the SDK alone); resolves with the .nupkg path.
 */
export async function packProject(
  workspace: Workspace,
  project: { id: string; version: string; properties: Record<string, string>; files: Record<string, string> },
): Promise<string> {
  const dir = await workspace.makeDir(`pack-${project.id}`);
  const properties = Object.entries({
    TargetFramework: 'net10.0',
    PackageId: project.id,
    Version: project.version,
    Authors: 'nugget tests',
    Description: `${project.id}, packed by the upstream tests`,
    NuGetAudit: 'false',
    ...project.properties,
  })
    .map(([name, value]) => `    <${name}>${value}</${name}>`)
    .join('\n');
  await writeFiles(dir, {
    ...project.files,
    [`${project.id}.csproj`]: `<Project Sdk="Microsoft.NET.Sdk">\n  <PropertyGroup>\n${properties}\n  </PropertyGroup>\n</Project>\n`,
    'NuGet.Config':
      '<?xml version="1.0" encoding="utf-8"?>\n<configuration><packageSources><clear /></packageSources></configuration>\n',
  });
  const out = path.join(dir, 'out');
  const home = await workspace.makeDir(`pack-${project.id}/home`);
  const pack = await runCommand('dotnet', ['pack', '-c', 'Release', '-o', out], {
    cwd: dir,
    env: {
      ...process.env,
      HOME: home,
      DOTNET_CLI_HOME: home,
      NUGET_PACKAGES: path.join(home, 'packages'),
      NUGET_HTTP_CACHE_PATH: path.join(home, 'http-cache'),
      DOTNET_CLI_TELEMETRY_OPTOUT: '1',
      DOTNET_NOLOGO: '1',
      DOTNET_CLI_USE_MSBUILD_SERVER: '0',
      MSBUILDDISABLENODEREUSE: '1',
      UseSharedCompilation: 'false',
    },
  });
  assertSucceeded(pack);
  return path.join(out, `${project.id}.${project.version}.nupkg`);
}

/** A real dotnet tool (a console app packed with PackAsTool) that prints `<marker> <args>`. */
export function packDotnetTool(
  workspace: Workspace,
  tool: { id: string; version: string; command: string; marker: string },
): Promise<string> {
  return packProject(workspace, {
    id: tool.id,
    version: tool.version,
    properties: { OutputType: 'Exe', PackAsTool: 'true', ToolCommandName: tool.command },
    files: { 'Program.cs': `System.Console.WriteLine("${tool.marker} " + string.Join(",", args));\n` },
  });
}

async function send(url: string, apiKey: string, method: string, body: unknown): Promise<void> {
  const response = await fetch(url, {
    method,
    headers: { 'x-nuget-apikey': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} ${url}: ${response.status} ${await response.text()}`);
}

/** Starts the upstream nugget, loads it, and puts the counting proxy in front. */
export async function startNuggetUpstream(
  workspace: Workspace,
  options: NuggetUpstreamOptions,
): Promise<NuggetUpstream> {
  const server = await startFeed(workspace, {
    dataDirName: 'upstream-nugget-data',
    processGroup: true,
    extraArgs: ['--log-level', 'warn'],
  });
  try {
    const origin = new URL(server.serviceIndexUrl).origin;
    for (const pkg of options.packages)
      await pushNupkg(server, typeof pkg === 'string' ? await readFile(pkg) : pkg);
    for (const d of options.deprecations ?? []) {
      const { id, version, ...body } = d;
      await send(`${origin}/v3/admin/deprecations/${id}/${version}`, server.apiKey, 'PUT', body);
    }
    if (options.advisories?.length)
      await send(`${origin}/v3/admin/vulnerabilities`, server.apiKey, 'PUT', options.advisories);
    const proxy = await startCountingProxy(origin);
    return {
      serviceIndexUrl: `${proxy.origin}/v3/index.json`,
      proxy,
      server,
      async stop() {
        await proxy.stop();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
