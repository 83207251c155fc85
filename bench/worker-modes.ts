// How worker processes should share the listening socket (issue 17, "Cores"): node:cluster's round-robin (the
// primary accepts every connection and hands it to a worker), cluster with the kernel choosing (SCHED_NONE: every
// worker accepts on one shared socket), and SO_REUSEPORT (each worker binds its own socket to the port, the kernel
// spreads connections by a hash of their addresses), against one process. The server is the bench ceiling (one
// precomputed body): what is measured is the sharing, not nugget. Each mode is run `--rounds` times, interleaved,
// so a busy machine weighs on all of them alike; CPU per request covers every process of the server (primary and
// workers). Run: node bench/worker-modes.ts [--workers 2] [--duration 5] [--rounds 3] [--connections 50] [--close]
// The answer is recorded in docs/decisions (workers) and bench/README.md; raw numbers: results/worker-modes-<date>.json.
import { type ChildProcess, spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

type Mode = 'single' | 'cluster-rr' | 'cluster-shared' | 'reuseport';
const modes: readonly Mode[] = ['single', 'cluster-rr', 'cluster-shared', 'reuseport'];

const role = process.env['WORKER_MODES_ROLE'];
const body = Buffer.from(JSON.stringify({ versions: Array.from({ length: 40 }, (_, i) => `1.${i}.0`) }));

function serveBody(listen: (server: ReturnType<typeof createServer>) => void): void {
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(body.length),
  };
  const server = createServer((_request, response) => {
    response.writeHead(200, headers);
    response.end(body);
  });
  listen(server);
}

if (role !== undefined) {
  // A server process of one mode: prints "Listening: <port>" once every worker listens.
  const mode = role as Mode;
  const workers = Number(process.env['WORKER_MODES_WORKERS'] ?? '2');
  if (mode === 'single') {
    serveBody((server) =>
      server.listen(0, '127.0.0.1', () => {
        process.stdout.write(`Listening: ${(server.address() as { port: number }).port}\n`);
      }),
    );
  } else if (cluster.isPrimary) {
    cluster.schedulingPolicy = mode === 'cluster-rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
    let port = 0;
    let listening = 0;
    const forkOne = () => {
      // cluster modes share the primary's handle of port 0; reuseport binds to the port the first one got.
      const worker = cluster.fork({ WORKER_MODES_PORT: mode === 'reuseport' ? String(port) : '0' });
      worker.on('message', (message: { port: number }) => {
        port = message.port;
        listening++;
        // reuseport with port 0: the first worker picks the port, the others bind to it.
        if (listening < workers) forkOne();
        else process.stdout.write(`Listening: ${port}\n`);
      });
    };
    forkOne();
  } else {
    serveBody((server) =>
      server.listen(
        {
          host: '127.0.0.1',
          port: Number(process.env['WORKER_MODES_PORT'] ?? '0'),
          ...(mode === 'reuseport' ? { reusePort: true, exclusive: true } : {}),
        },
        () => process.send?.({ port: (server.address() as { port: number }).port }),
      ),
    );
  }
} else {
  await main();
}

/** CPU time (user + system) of a process and its children that are still running, in microseconds. */
function cpuMicros(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      total += ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
    } catch {
      // gone
    }
  }
  return total;
}

function processTree(root: number): number[] {
  const pids = [root];
  try {
    const children = readFileSync(`/proc/${root}/task/${root}/children`, 'utf8').trim();
    for (const child of children.split(' ').filter(Boolean)) pids.push(...processTree(Number(child)));
  } catch {
    // no children file
  }
  return pids;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '2' },
      duration: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      // Connection: close on every request: each one is a new connection (what accepting costs in each mode).
      close: { type: 'boolean', default: false },
    },
  });
  const workers = Number(values.workers);
  const rows: { mode: Mode; round: number; rps: number; p99: number; cpuMicrosPerRequest: number }[] = [];
  const loadBefore = loadavg();
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const mode of modes) {
      const child: ChildProcess = spawn(process.execPath, [import.meta.filename], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, WORKER_MODES_ROLE: mode, WORKER_MODES_WORKERS: String(workers) },
      });
      try {
        const port = await new Promise<number>((resolve, reject) => {
          let out = '';
          child.stdout?.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const match = /Listening: (\d+)/.exec(out);
            if (match) resolve(Number(match[1]));
          });
          child.once('exit', (code) => reject(new Error(`${mode} exited (${code})`)));
        });
        const options = {
          url: `http://127.0.0.1:${port}`,
          connections: Number(values.connections),
          ...(values.close ? { headers: { connection: 'close' } } : {}),
        };
        await autocannon({ ...options, duration: 1 });
        const pids = processTree(child.pid ?? 0);
        const before = cpuMicros(pids);
        const result = await autocannon({ ...options, duration: Number(values.duration) });
        const cpuMicrosPerRequest = (cpuMicros(pids) - before) / Math.max(1, result.requests.total);
        rows.push({
          mode,
          round,
          rps: result.requests.average,
          p99: result.latency.p99,
          cpuMicrosPerRequest,
        });
        console.log(
          `${mode.padEnd(15)} round ${round}: ${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms, ` +
            `${cpuMicrosPerRequest.toFixed(1)} µs CPU/req (all server processes)`,
        );
      } finally {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
      }
    }
  }
  const summary = modes.map((mode) => {
    const mine = rows.filter((row) => row.mode === mode);
    const mean = (pick: (row: (typeof rows)[number]) => number) =>
      mine.reduce((sum, row) => sum + pick(row), 0) / mine.length;
    return { mode, rps: mean((r) => r.rps), cpuMicrosPerRequest: mean((r) => r.cpuMicrosPerRequest) };
  });
  console.table(summary);
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(import.meta.dirname, 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, `worker-modes-${date}${values.close ? '-close' : ''}.json`),
    `${JSON.stringify({ benchmark: 'worker-modes', date, cpus: cpus().length, cpu: cpus()[0]?.model, workers, newConnectionPerRequest: values.close, loadBefore, loadAfter: loadavg(), node: process.version, rows, summary }, null, 2)}\n`,
  );
}
