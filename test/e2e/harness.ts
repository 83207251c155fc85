// End-to-end harness: runs the real nugget server as a child process and drives the real `dotnet` CLI against
// it, each client in an isolated environment (own HOME, NuGet folders and NuGet.Config).
// Why every variable below is set: ../../../shared/notes/client-behaviour.md §2 (HTTP sources need
// allowInsecureConnections) and §3.6 (http-cache and global packages folder isolation).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import yauzl from 'yauzl';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Keep every temp dir for inspection after the run. */
export const keepTempDirs = process.env['NUGGET_E2E_KEEP'] === '1';

// ---------------------------------------------------------------------------------------------------------
// Workspace: one temp root per suite, removed at the end unless NUGGET_E2E_KEEP=1.

export type Workspace = {
  root: string;
  /** Creates (recursively) and returns `<root>/<relative>`. */
  makeDir(relative: string): Promise<string>;
  dispose(): Promise<void>;
};

export async function createWorkspace(prefix = 'nugget-e2e-'): Promise<Workspace> {
  // realpath: on some systems os.tmpdir() is a symlink and dotnet prints resolved paths.
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), prefix)));
  return {
    root,
    async makeDir(relative) {
      const dir = path.join(root, relative);
      await mkdir(dir, { recursive: true });
      return dir;
    },
    async dispose() {
      if (keepTempDirs) {
        console.log(`NUGGET_E2E_KEEP=1: keeping ${root}`);
        return;
      }
      await rm(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The feed server.

export type FeedServer = {
  /** The service index URL the server printed, e.g. http://127.0.0.1:43121/v3/index.json */
  serviceIndexUrl: string;
  apiKey: string;
  dataDir: string;
  /** Everything the server wrote to stdout/stderr so far (the last ~1 MB). */
  output(): string;
  /** The server process, e.g. to send it signals. */
  process: ChildProcess;
  /** Settles when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
};

export type StartFeedOptions = {
  apiKey?: string;
  /** More server flags, e.g. ['--private']. */
  extraArgs?: readonly string[];
  /** More environment variables for the server, e.g. AWS credentials for --storage s3://. */
  env?: Record<string, string>;
  /** The data dir under the workspace (default 'feed-data'); several nodes of one feed each need their own. */
  dataDirName?: string;
  /** A data dir made already (e.g. by an older nugget, for an upgrade); overrides dataDirName. */
  dataDir?: string;
  startupTimeoutMs?: number;
  /** The script node runs (default src/main.ts); bin/nugget.js for the `nugget` command. */
  entry?: string;
  /** Called with everything the server writes, also while it starts. */
  onOutput?: (chunk: string) => void;
  /**
   * Runs the server in a process group of its own, which stop() (and the end of the test process, however it
   * ends) signals as a whole, so nothing it started outlives the test.
   */
  processGroup?: boolean;
};

const maxKeptOutput = 1024 * 1024;

function outputCollector(): {
  add(chunk: Buffer | string): void;
  text(): string;
} {
  let text = '';
  return {
    add(chunk) {
      text += chunk.toString();
      if (text.length > maxKeptOutput) text = text.slice(text.length - maxKeptOutput);
    },
    text: () => text,
  };
}

/**
 * Starts `node src/main.ts` on a free port with a fresh data dir and waits for the
 * `Service index: <url>` line. Fails with the server's output if it exits or is not ready in time.
 */
export async function startFeed(workspace: Workspace, options: StartFeedOptions = {}): Promise<FeedServer> {
  const apiKey = options.apiKey ?? 'e2e-' + Math.random().toString(36).slice(2);
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  const dataDir = options.dataDir ?? (await workspace.makeDir(options.dataDirName ?? 'feed-data'));
  const args = [
    options.entry ?? 'src/main.ts',
    ...['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--api-key', apiKey],
    ...(options.extraArgs ?? []),
  ];
  // The tests run on Node 24 (npx node), the same binary as node_modules/.bin/node.
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'test', ...options.env },
    detached: options.processGroup === true,
  });
  const signal = (name: NodeJS.Signals) => {
    if (options.processGroup && child.pid !== undefined) {
      try {
        process.kill(-child.pid, name);
      } catch {
        // the group is gone already
      }
    } else child.kill(name);
  };
  const killGroupAtExit = () => signal('SIGKILL');
  if (options.processGroup) process.once('exit', killGroupAtExit);
  const output = outputCollector();
  let stdoutLines: string | undefined = '';
  let exited = false;
  const exitStatus = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      process.off('exit', killGroupAtExit);
      resolve({ code, signal });
    });
  });
  const exit = exitStatus.then(() => {});

  let onEarlyExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  const serviceIndexUrl = await new Promise<string>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      if (!exited) signal('SIGKILL');
      reject(
        new Error(
          `nugget did not start: ${why}\ncommand: ${process.execPath} ${args.join(' ')}\n` +
            `--- server output ---\n${output.text()}`,
        ),
      );
    };
    const timer = setTimeout(
      () => fail(`no "Service index:" line within ${startupTimeoutMs} ms`),
      startupTimeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      output.add(chunk);
      options.onOutput?.(chunk.toString());
      if (stdoutLines === undefined) return;
      stdoutLines += chunk.toString();
      const match = /Service index: (http\S+)/.exec(stdoutLines);
      if (match?.[1]) {
        clearTimeout(timer);
        stdoutLines = undefined;
        resolve(match[1]);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output.add(chunk);
      options.onOutput?.(chunk.toString());
    });
    child.once('error', (error) => fail(`spawn failed: ${error.message}`));
    onEarlyExit = (code, signal) => fail(`it exited early (code ${code}, signal ${signal})`);
    child.once('exit', onEarlyExit);
  });
  if (onEarlyExit) child.off('exit', onEarlyExit);

  return {
    serviceIndexUrl,
    apiKey,
    dataDir,
    output: () => output.text(),
    process: child,
    exited: exitStatus,
    async stop() {
      if (exited) {
        if (options.processGroup) signal('SIGKILL');
        return;
      }
      signal('SIGTERM');
      const stopped = await Promise.race([exit.then(() => true), delay(10_000).then(() => false)]);
      if (!stopped) {
        signal('SIGKILL');
        await exit;
      }
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

// ---------------------------------------------------------------------------------------------------------
// Running dotnet.

export type DotnetResult = {
  command: string;
  cwd: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
};

export type RunOptions = {
  cwd?: string;
  /** Extra variables for this one command (override the environment's). */
  env?: Record<string, string>;
  timeoutMs?: number;
};

const defaultCommandTimeoutMs = 240_000;

/** Runs any command; resolves (never rejects on a non-zero exit) with its output. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<DotnetResult> {
  const command = [file, ...args].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ');
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      reject(error);
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timeoutMs = options.timeoutMs ?? defaultCommandTimeoutMs;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (timedOut) stderr += `\n[harness] killed after ${timeoutMs} ms`;
      resolve({ command, cwd: options.cwd, code, signal, stdout, stderr });
    };
    // 'close' waits for the pipes; a grandchild that outlives dotnet (a build server) could hold them open,
    // so after 'exit' wait only briefly for the rest of the output.
    child.once('close', finish);
    child.once('exit', (code, signal) => {
      setTimeout(() => finish(code, signal), 2_000).unref();
    });
  });
}

/** Fails (not skips) when the SDK is missing: the e2e suite must run wherever CI runs. Returns `dotnet --version`. */
export async function requireDotnet(): Promise<string> {
  let result: DotnetResult;
  try {
    result = await runCommand('dotnet', ['--version'], {
      cwd: os.tmpdir(),
      env: process.env,
      timeoutMs: 60_000,
    });
  } catch (error) {
    throw new Error(
      'The e2e suite needs the .NET SDK (10.x) as `dotnet` on PATH, and it was not found ' +
        `(${(error as Error).message}). Install it; this suite fails rather than skips without it.`,
      { cause: error },
    );
  }
  assertSucceeded(result);
  return result.stdout.trim();
}

export function describeResult(result: DotnetResult): string {
  return [
    `$ ${result.command}`,
    `(cwd ${result.cwd}; exit code ${result.code}${result.signal ? `, signal ${result.signal}` : ''})`,
    '--- stdout ---',
    result.stdout.trimEnd(),
    '--- stderr ---',
    result.stderr.trimEnd(),
  ].join('\n');
}

/** Asserts exit code 0; on failure the message shows the command, its output and the optional hint. */
export function assertSucceeded(result: DotnetResult, hint?: () => string): void {
  if (result.code === 0) return;
  assert.fail(`command failed\n${describeResult(result)}${hint ? `\n--- hint ---\n${hint()}` : ''}`);
}

/** Asserts a non-zero exit code. */
export function assertFailed(result: DotnetResult, hint?: () => string): void {
  if (result.code !== 0) return;
  assert.fail(
    `command succeeded but should have failed\n${describeResult(result)}${hint ? `\n${hint()}` : ''}`,
  );
}

/** Combined stdout + stderr, for assertions on messages that may go to either. */
export function outputOf(result: DotnetResult): string {
  return result.stdout + '\n' + result.stderr;
}

// ---------------------------------------------------------------------------------------------------------
// Isolated dotnet environments.

export type NuGetSource = {
  name: string;
  /** A V3 service index URL, any other URL, or a local folder. */
  url: string;
};

export type DotnetEnv = {
  name: string;
  /** Holds NuGet.Config and Directory.Build.props; projects go in dirs below it so both apply. */
  root: string;
  home: string;
  packagesDir: string;
  httpCacheDir: string;
  /** `<root>/NuGet.Config`, also copied to the isolated user config. Starts with `<clear/>`. */
  configFile: string;
  env: NodeJS.ProcessEnv;
  /** Creates `<root>/<relative>`. */
  makeDir(relative: string): Promise<string>;
  /** Runs `dotnet <args>` in this environment (cwd defaults to root). */
  runDotnet(args: readonly string[], options?: RunOptions): Promise<DotnetResult>;
};

export type DotnetEnvOptions = {
  name: string;
  sources: readonly NuGetSource[];
  /** Extra variables, e.g. NUGET_ENHANCED_MAX_NETWORK_TRY_COUNT=1 for an environment meant for negative cases. */
  extraEnv?: Record<string, string>;
};

function xmlAttribute(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('"', '&quot;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

/**
 * A NuGet.Config with `<clear/>` and exactly the given sources. http sources get
 * `allowInsecureConnections="true"` (push, delete and restore refuse plain HTTP without it), and `.json` URLs
 * get `protocolVersion="3"`. See ../../../shared/notes/client-behaviour.md §2.
 */
function credentialsXml(credentials: Readonly<Record<string, string>>): string[] {
  const entries = Object.entries(credentials);
  if (entries.length === 0) return [];
  return [
    '  <packageSourceCredentials>',
    ...entries.flatMap(([source, password]) => [
      `    <${source}>`,
      '      <add key="Username" value="restore" />',
      `      <add key="ClearTextPassword" value="${xmlAttribute(password)}" />`,
      `    </${source}>`,
    ]),
    '  </packageSourceCredentials>',
  ];
}

/**
 * A NuGet.Config with only these sources and no audit sources; `credentials` adds packageSourceCredentials for some
 * of them (source name -> password: a key with read; the user name is free, nugget reads the password).
 */
export function nugetConfigXml(
  sources: readonly NuGetSource[],
  credentials: Readonly<Record<string, string>> = {},
): string {
  const adds = sources.map((source) => {
    const attributes = [`key="${xmlAttribute(source.name)}"`, `value="${xmlAttribute(source.url)}"`];
    if (/^https?:\/\//i.test(source.url)) attributes.push('protocolVersion="3"');
    if (/^http:\/\//i.test(source.url)) attributes.push('allowInsecureConnections="true"');
    return `    <add ${attributes.join(' ')} />`;
  });
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<configuration>',
    '  <packageSources>',
    '    <clear />',
    ...adds,
    '  </packageSources>',
    '  <auditSources>',
    '    <clear />',
    '  </auditSources>',
    ...credentialsXml(credentials),
    '</configuration>',
    '',
  ].join('\n');
}

// Applies to every project created under an environment's root (including ones made by `dotnet new`).
const directoryBuildProps = `<Project>
  <PropertyGroup>
    <!-- No vulnerability lookups: none of these steps is about audit. -->
    <NuGetAudit>false</NuGetAudit>
    <!-- Keep test projects independent of whatever sits above the temp dir. -->
    <ImportDirectoryBuildTargets>false</ImportDirectoryBuildTargets>
  </PropertyGroup>
</Project>
`;

export async function createDotnetEnv(workspace: Workspace, options: DotnetEnvOptions): Promise<DotnetEnv> {
  const root = await workspace.makeDir(options.name);
  const home = await workspace.makeDir(path.join(options.name, 'home'));
  const packagesDir = await workspace.makeDir(path.join(options.name, 'nuget-packages'));
  const httpCacheDir = await workspace.makeDir(path.join(options.name, 'nuget-http-cache'));
  const pluginsCacheDir = await workspace.makeDir(path.join(options.name, 'nuget-plugins-cache'));
  const configXml = nugetConfigXml(options.sources);
  const configFile = path.join(root, 'NuGet.Config');
  await writeFile(configFile, configXml);
  // Commands that take no --configfile (delete, new install) read the hierarchy from cwd plus the user config.
  await mkdir(path.join(home, '.nuget', 'NuGet'), { recursive: true });
  await writeFile(path.join(home, '.nuget', 'NuGet', 'NuGet.Config'), configXml);
  await writeFile(path.join(root, 'Directory.Build.props'), directoryBuildProps);

  const dotnetRoot = await dotnetRootDir();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    DOTNET_CLI_HOME: home,
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    NUGET_PACKAGES: packagesDir,
    NUGET_HTTP_CACHE_PATH: httpCacheDir,
    NUGET_PLUGINS_CACHE_PATH: pluginsCacheDir,
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    DOTNET_NOLOGO: '1',
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1',
    DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE: '1',
    DOTNET_GENERATE_ASPNET_CERTIFICATE: 'false',
    DOTNET_ADD_GLOBAL_TOOLS_TO_PATH: 'false',
    // No long-lived MSBuild nodes or compiler servers outliving the suite (and holding our pipes open).
    DOTNET_CLI_USE_MSBUILD_SERVER: '0',
    MSBUILDDISABLENODEREUSE: '1',
    UseSharedCompilation: 'false',
    // English messages, so assertions on "409"/"Conflict" are stable.
    DOTNET_CLI_UI_LANGUAGE: 'en',
    // Tools installed with --tool-path are apphosts that must find this SDK's runtime.
    ...(dotnetRoot ? { DOTNET_ROOT: dotnetRoot } : {}),
    ...options.extraEnv,
  };
  delete env['NUGET_API_KEY'];
  return {
    name: options.name,
    root,
    home,
    packagesDir,
    httpCacheDir,
    configFile,
    env,
    makeDir: (relative) => workspace.makeDir(path.join(options.name, relative)),
    runDotnet: (args, runOptions = {}) =>
      runCommand('dotnet', args, {
        cwd: runOptions.cwd ?? root,
        env: { ...env, ...runOptions.env },
        ...(runOptions.timeoutMs === undefined ? {} : { timeoutMs: runOptions.timeoutMs }),
      }),
  };
}

let cachedDotnetRoot: Promise<string | undefined> | undefined;

function dotnetRootDir(): Promise<string | undefined> {
  cachedDotnetRoot ??= (async () => {
    if (process.env['DOTNET_ROOT']) return process.env['DOTNET_ROOT'];
    for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
      if (!dir) continue;
      try {
        return path.dirname(await realpath(path.join(dir, 'dotnet')));
      } catch {
        // not in this PATH entry
      }
    }
    return undefined;
  })();
  return cachedDotnetRoot;
}

/**
 * The enabled package sources of this machine's own NuGet configuration (e.g. the NuGet mirror), read with
 * the real environment at test time so no host is hard-coded. Used only where a test project needs packages
 * that are not on our feed (reference packs for net8.0 / netstandard2.0).
 */
export async function machineNuGetSources(): Promise<NuGetSource[]> {
  const result = await runCommand('dotnet', ['nuget', 'list', 'source', '--format', 'short'], {
    cwd: os.homedir(),
    env: process.env,
    timeoutMs: 60_000,
  });
  assertSucceeded(result);
  const sources: NuGetSource[] = [];
  for (const line of result.stdout.split(/\r?\n/)) {
    // Short format: "E <url>" for an enabled source ("D" disabled); the second letter flags other kinds.
    const match = /^\s*E\S*\s+(\S.*?)\s*$/.exec(line);
    if (match?.[1]) sources.push({ name: `machine-${sources.length + 1}`, url: match[1] });
  }
  assert.ok(
    sources.length > 0,
    `this machine's NuGet config has no enabled source:\n${describeResult(result)}`,
  );
  return sources;
}

// ---------------------------------------------------------------------------------------------------------
// Package inspection and small fixtures.

/** All entries of a zip (nupkg) by name. */
export function readZipEntries(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (openError, zip) => {
      if (openError || !zip) {
        reject(openError ?? new Error(`cannot open ${file}`));
        return;
      }
      const entries = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) {
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) {
            reject(streamError ?? new Error(`cannot read ${entry.fileName} in ${file}`));
            return;
          }
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A valid RGB PNG of one colour (https://www.w3.org/TR/png/), for PackageIcon. */
export function solidPng(width: number, height: number, rgb: readonly [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: truecolour
  const row = Buffer.alloc(1 + width * 3); // filter byte 0, then pixels
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(pixels)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Writes files given as `{ relativePath: content }` under dir. */
export async function writeFiles(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(dir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Suites of ordered steps around one server.

export type FeedSuite = {
  /** For `before`: the SDK check, a workspace, the server, and a client environment whose only source it is. */
  setUp(): Promise<void>;
  /** For `after`: stops the server and removes the workspace, however far setUp got. */
  tearDown(): Promise<void>;
  feed(): FeedServer;
  client(): DotnetEnv;
  /** The server's base URL, e.g. http://127.0.0.1:43121 */
  baseUrl(): string;
  /** The tail of the server's output, for failure messages. */
  serverLog(): string;
};

/** One nugget server and one isolated client (source name `nugget`) for a suite of steps. */
export function feedSuite(name: string): FeedSuite {
  let workspace: Workspace | undefined;
  let server: FeedServer | undefined;
  let client: DotnetEnv | undefined;
  const feed = () => {
    assert.ok(server, 'the server is not running');
    return server;
  };
  return {
    async setUp() {
      await requireDotnet();
      workspace = await createWorkspace(`nugget-e2e-${name}-`);
      server = await startFeed(workspace);
      client = await createDotnetEnv(workspace, {
        name,
        sources: [{ name: 'nugget', url: server.serviceIndexUrl }],
      });
    },
    async tearDown() {
      await server?.stop();
      await workspace?.dispose();
    },
    feed,
    client: () => {
      assert.ok(client, 'the client environment was not created');
      return client;
    },
    baseUrl: () => feed().serviceIndexUrl.replace(/\/v3\/index\.json$/, ''),
    serverLog: () => `--- nugget output (tail) ---\n${(server?.output() ?? '(not started)').slice(-8000)}`,
  };
}

/** Steps that build on each other: a step fails at once, saying why, when the one before it did not complete. */
export function orderedSteps(): { require(step: number): void; completed(step: number): void } {
  let done = 0;
  return {
    require: (step) => assert.ok(done >= step, `step ${step} did not complete, so this step cannot run`),
    completed: (step) => {
      done = step;
    },
  };
}

/** Pushes package bytes over HTTP (multipart, as clients do) where the client under test is not the one pushing. */
export async function pushNupkg(server: FeedServer, nupkg: Uint8Array): Promise<void> {
  const body = new FormData();
  body.append('package', new Blob([nupkg]), 'package.nupkg');
  const response = await fetch(new URL('/v3/package', server.serviceIndexUrl), {
    method: 'PUT',
    headers: { 'x-nuget-apikey': server.apiKey },
    body,
  });
  assert.equal(response.status, 201, `push: ${response.status} ${await response.text()}`);
}

/** Unlists a version (DELETE on PackagePublish, the server's default delete behaviour). */
export async function unlistVersion(server: FeedServer, id: string, version: string): Promise<void> {
  const response = await fetch(new URL(`/v3/package/${id}/${version}`, server.serviceIndexUrl), {
    method: 'DELETE',
    headers: { 'x-nuget-apikey': server.apiKey },
  });
  assert.equal(response.status, 204, `unlist: ${response.status} ${await response.text()}`);
}
