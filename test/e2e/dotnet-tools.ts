// .NET tools the e2e suites drive (paket, PowerShell, dotnet-outdated), installed once per suite into a folder of
// that suite's workspace with `dotnet tool install --tool-path`, from this machine's own NuGet sources (the tools
// are not on the feed under test). Nothing is assumed installed on the machine but the .NET SDK.
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import {
  assertSucceeded,
  type DotnetEnv,
  type DotnetResult,
  machineNuGetSources,
  nugetConfigXml,
  runCommand,
  type RunOptions,
} from './harness.ts';

export type DotnetTool = {
  /** The apphost the tool installed, e.g. `<dir>/paket`. */
  command: string;
  /** Runs the tool in the environment (cwd defaults to its root). */
  run(args: readonly string[], options?: RunOptions): Promise<DotnetResult>;
};

/** A NuGet.Config with this machine's sources, for installs of what the feed under test does not hold. */
export async function machineSourcesConfig(client: DotnetEnv): Promise<string> {
  const file = path.join(await client.makeDir('machine-sources'), 'NuGet.Config');
  await writeFile(file, nugetConfigXml(await machineNuGetSources()));
  return file;
}

export async function installDotnetTool(
  client: DotnetEnv,
  tool: { packageId: string; version: string; command: string },
): Promise<DotnetTool> {
  const toolPath = await client.makeDir(path.join('tools', `${tool.packageId}.${tool.version}`));
  const install = await client.runDotnet([
    ...['tool', 'install', tool.packageId, '--version', tool.version, '--tool-path', toolPath],
    ...['--configfile', await machineSourcesConfig(client)],
  ]);
  assertSucceeded(install);
  const command = path.join(toolPath, tool.command);
  return {
    command,
    run: (args, options = {}) =>
      runCommand(command, args, {
        cwd: options.cwd ?? client.root,
        env: { ...client.env, ...options.env },
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      }),
  };
}
