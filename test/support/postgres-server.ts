// A throwaway PostgreSQL cluster for tests: initdb into a temporary folder, start on 127.0.0.1 with a free port,
// one database per caller, everything removed at the end. Nothing is assumed to be running or configured.
//
// The postmaster runs under a small shell watchdog whose stdin is a pipe from this process. When the pipe closes
// (stop(), a normal exit, a crash or even SIGKILL of the test process) the watchdog stops the cluster and deletes
// its folder, so no cluster outlives the tests that started it. It stops it with SIGQUIT, PostgreSQL's immediate
// shutdown: no checkpoint, since the data is about to be deleted anyway.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostgresServer {
  readonly port: number;
  /** Creates an empty database and returns its postgres:// URL. */
  createDatabase(): Promise<string>;
  /**
   * Stops the postmaster as an operator would (fast shutdown: sessions end with 57P01) and keeps the cluster, so
   * that connections are refused until {@link resume}. For tests of a database that goes away and comes back.
   */
  pause(): Promise<void>;
  /** Starts the paused cluster again, on the same port, and waits until it accepts connections. */
  resume(): Promise<void>;
  /** Stops the cluster and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

function log(message: string): void {
  process.stderr.write(`[postgres-server] ${message}\n`);
}

/** The newest /usr/lib/postgresql/<major>/bin that has initdb (Debian's layout). */
function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] && join(root, majors[0], 'bin');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Installs Debian's postgresql package (server + contrib, which has pg_trgm) without asking anything. */
function installPostgres(): void {
  if (!isRoot()) {
    throw new Error(
      'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb) and the tests are not running as root: ' +
        'install it with "sudo apt-get install -y postgresql" and run the tests again',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-q'],
    ['install', '-y', '-q', '--no-install-recommends', 'postgresql'],
  ]) {
    log(`PostgreSQL is not installed; running: apt-get ${args.join(' ')}`);
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 2, 2] });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${result.status})`);
  }
}

/** initdb refuses to run as root, so as root the cluster belongs to the postgres user that Debian's package creates. */
function runAsForCluster(): RunAs {
  if (!isRoot()) return {};
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      'running as root but there is no "postgres" user to own the test cluster: install postgresql',
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// The postmaster runs in a loop: when it exits while "$PG_ROOT/paused" exists (pause()), the loop waits for the
// file to go (resume()) and starts it again; any other exit ends the loop and removes the cluster.
const watchdog = `
exec 3<&0 0</dev/null
( read -r _ <&3; touch "$PG_ROOT/ending"; kill -QUIT "$(cat "$PG_ROOT/pg.pid" 2>/dev/null)" 2>/dev/null ) &
guard=$!
exec 3<&-
while :; do
  "$PG_BIN/postgres" -D "$PG_ROOT/data" -k "$PG_ROOT" -h 127.0.0.1 -p "$PG_PORT" \\
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off &
  pg=$!
  echo "$pg" > "$PG_ROOT/pg.pid"
  [ -e "$PG_ROOT/ending" ] && kill -QUIT "$pg" 2>/dev/null
  wait "$pg"
  status=$?
  [ -e "$PG_ROOT/paused" ] && [ ! -e "$PG_ROOT/ending" ] || break
  while [ -e "$PG_ROOT/paused" ] && [ ! -e "$PG_ROOT/ending" ]; do sleep 0.1; done
  [ -e "$PG_ROOT/ending" ] && break
done
kill "$guard" 2>/dev/null
rm -rf "$PG_ROOT"
exit "$status"
`;

/** Starts a fresh cluster; call stop() in `after`. */
export async function startPostgresServer(): Promise<PostgresServer> {
  let bin = findBinDir();
  if (!bin) {
    installPostgres();
    bin = findBinDir();
    if (!bin)
      throw new Error('apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb appeared');
  }
  const runAs = runAsForCluster();
  for (let attempt = 1; ; attempt++) {
    // The watchdog deletes the cluster whenever it ends, so each attempt starts from a fresh initdb.
    const root = await initCluster(bin, runAs);
    const port = await freePort();
    const child = spawn('sh', ['-c', watchdog], {
      ...runAs,
      cwd: root,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PG_BIN: bin, PG_ROOT: root, PG_PORT: String(port) },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    if (await waitUntilReady(bin, port, child)) return serverHandle(bin, root, port, child, exited);
    child.stdin?.end();
    await exited;
    // Another process may have taken the port between freePort() and the postmaster's bind: try another one.
    if (attempt === 3 || !/could not bind|address already in use/i.test(stderr)) {
      throw new Error(`the test PostgreSQL cluster did not start:\n${stderr}`);
    }
  }
}

async function initCluster(bin: string, runAs: RunAs): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'nugget-pg-'));
  try {
    if (runAs.uid !== undefined && runAs.gid !== undefined) await chown(root, runAs.uid, runAs.gid);
    const options = ['-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'];
    await run(join(bin, 'initdb'), ['-D', join(root, 'data'), ...options], { ...runAs, cwd: root });
    return root;
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

async function waitUntilReady(bin: string, port: number, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) return false;
    const ready = spawnSync(join(bin, 'pg_isready'), [
      '-q',
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'postgres',
    ]);
    if (ready.status === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function serverHandle(
  bin: string,
  root: string,
  port: number,
  child: ChildProcess,
  exited: Promise<number | null>,
): PostgresServer {
  // Keep this process free to exit: the watchdog cleans up when the pipe closes, whoever closes it.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  let databases = 0;
  return {
    port,
    async createDatabase() {
      const name = `nugget_${process.pid}_${databases++}`;
      await run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', name]);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async pause() {
      await writeFile(join(root, 'paused'), '');
      const pid = Number((await readFile(join(root, 'pg.pid'), 'utf8')).trim());
      // SIGINT: fast shutdown. Wait until the postmaster has gone and the port refuses connections.
      process.kill(pid, 'SIGINT');
      for (let i = 0; i < 300; i++) {
        if (!isAlive(pid)) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the test PostgreSQL cluster did not stop within 30 s');
    },
    async resume() {
      await rm(join(root, 'paused'), { force: true });
      if (!(await waitUntilReady(bin, port, child))) {
        throw new Error('the test PostgreSQL cluster did not start again within 30 s');
      }
    },
    async stop() {
      // Hold the event loop open until the watchdog has stopped the cluster and removed its folder.
      child.ref();
      child.stdin?.end();
      await exited;
    },
  };
}
