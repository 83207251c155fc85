// A nugget server started from a checkout (this tree, or another commit's with its node_modules) for the A/B
// benchmarks that run two checkouts in turns (push-cpu.ts, postgres-reads.ts), and what they do with it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
})();

/**
 * Starts `bin/nugget.js` of `root` on a free port with `args` after the common ones (its own process group, so
 * that stop ends its workers too); resolves with its base URL once it prints its service index.
 */
export async function startCheckoutServer(
  root: string,
  args: readonly string[],
  options: { nodeArgs?: readonly string[]; pinned?: boolean } = {},
): Promise<{ base: string; child: ChildProcess }> {
  const command = [
    ...(options.nodeArgs ?? []),
    'bin/nugget.js',
    ...['--host', '127.0.0.1', '--port', '0', '--log-level', 'warn'],
    ...args,
  ];
  const [file, rest] =
    options.pinned && hasTaskset
      ? ['taskset', ['-c', '0', process.execPath, ...command]]
      : [process.execPath, command];
  const child = spawn(file, rest, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const base = await new Promise<string>((resolveBase, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Service index: (http\S+)\/v3\/index\.json/.exec(output);
      if (match) resolveBase(match[1] ?? '');
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`server exited (${code}):\n${output}`)));
  });
  return { base, child };
}

/** Stops a server started above, with its process group, and waits for it to exit. */
export async function stopCheckoutServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  process.kill(-(child.pid ?? 0), 'SIGTERM');
  await exited;
}

const boundary = 'nugget-bench-boundary';
const head = Buffer.from(
  `--${boundary}\r\nContent-Type: application/octet-stream\r\n` +
    'Content-Disposition: form-data; name=package; filename=package.nupkg\r\n\r\n',
);
const tail = Buffer.from(`\r\n--${boundary}--\r\n`);

/** Pushes one package to the default feed; fails unless it is answered 201. */
export async function pushPackage(base: string, nupkg: Buffer, apiKey: string): Promise<void> {
  const response = await fetch(`${base}/v3/package`, {
    method: 'PUT',
    headers: { 'content-type': `multipart/form-data; boundary="${boundary}"`, 'x-nuget-apikey': apiKey },
    body: Buffer.concat([head, nupkg, tail]),
  });
  await response.arrayBuffer();
  if (response.status !== 201) throw new Error(`push answered ${response.status}`);
}
