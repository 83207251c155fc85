// `nugget serve --workers N`: one server on every core it is given. A primary process forks N workers with
// node:cluster; each worker is a whole nugget (its own database connection or pool, read caches, temporary folder)
// and they share the port: on Linux each worker binds its own socket to it with SO_REUSEPORT and the kernel
// spreads new connections over them; elsewhere the primary holds the one socket and hands each new connection to
// the next worker (cluster's round-robin). Why: docs/decisions/0020-perf-cores-workers.md (measured).
//
// Workers are nodes of one server, exactly as nodes behind a load balancer are (docs/deployment.md): every cached
// answer is checked against the change stamps in the shared database on every request (decision 0003), writes are
// ordered by the database (BEGIN IMMEDIATE on SQLite, advisory locks on PostgreSQL), and the unique key on
// (id, version) makes one of two racing pushes of a version the 201 and the other the 409. So nothing about
// caches, durability, ordering or duplicates changes with the number of workers.
//
// The primary only manages: it starts worker 1 first (which brings the schema up to date), prints the service
// index once that one listens, then starts the others; restarts a worker that dies; passes SIGTERM/SIGINT on as
// a graceful stop (a second signal: at once); and gathers every worker's metrics for the one that answers
// /metrics, each series labelled with its worker.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { Command } from 'commander';
import { addConfigOptions, type Config, configFromFlags, startedByNpm } from '../config/config.ts';
import { redactSecrets } from '../redact.ts';
import type { Metrics, WorkerExposition } from '../http/metrics.ts';
import { createLogger } from '../logger.ts';
import { cleanupMs, type StopControl } from './shutdown.ts';

/** The environment variable that tells a forked process which worker it is (1 to N). */
const workerVariable = 'NUGGET_WORKER';
/** The port worker 1 got (with --port 0 it is chosen by the system), for the workers after it. */
const portVariable = 'NUGGET_WORKER_PORT';

/**
 * SO_REUSEPORT spreads connections in the kernel (Linux 3.9+): no primary on the path of each new connection,
 * which costs round-robin twice the CPU per connection (bench/worker-modes.ts). Elsewhere, or with one process,
 * the usual listen.
 */
const reusePort = process.platform === 'linux';

/** How a worker listens: its own socket on the port every worker shares, or the primary's (round-robin). */
export function workerListenOptions(): { port?: number; reusePort?: true; exclusive?: true } {
  if (workerNumber() === undefined || !reusePort) return {};
  const port = process.env[portVariable];
  return { ...(port ? { port: Number(port) } : {}), reusePort: true, exclusive: true };
}

/** Messages between the primary and its workers; `nugget` tells them from cluster's own. */
type Message =
  | { nugget: 'listening'; address: string }
  | { nugget: 'not-accepting' }
  | { nugget: 'stop' }
  | { nugget: 'exit-now'; code: number }
  | { nugget: 'metrics-request'; id: number }
  | { nugget: 'metrics-collect'; id: number }
  | { nugget: 'metrics-reply'; id: number; text: string }
  | { nugget: 'metrics-result'; id: number; parts: WorkerExposition[] };

const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' && value !== null && typeof (value as { nugget?: unknown }).nugget === 'string';

/** Which worker this process is, or undefined in the primary or a process without workers. */
export function workerNumber(): number | undefined {
  const value = process.env[workerVariable];
  return cluster.isWorker && value !== undefined ? Number(value) : undefined;
}

/** The line people and tests look for: the feed's URL, with the address the server listens on. */
export function serviceIndexLine(config: Config, address: string): string {
  const { port } = new URL(address);
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const scheme = config.tlsCert === undefined ? 'http' : 'https';
  const base =
    config.publicUrl ?? `${scheme}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  // A plain line (not JSON) so people and tests can find the feed URL.
  return `Service index: ${redactSecrets(base)}/v3/index.json\n`;
}

/**
 * The command line's first step (main.ts): when it serves with more than one worker, this process becomes the
 * primary without loading the server itself (the stores, Fastify, every command), which only the workers need:
 * the primary then holds about 90 MB instead of a whole server's 125 (measured on Linux x64). Anything else (another command, --help, a
 * configuration error, one worker) is left to the full command line, which also reports errors: false.
 */
export async function primaryIfWorkers(argv: readonly string[]): Promise<boolean> {
  if (!cluster.isPrimary) return false;
  const first = argv[0];
  if (first !== undefined && first !== 'serve' && !first.startsWith('-')) return false;
  const rest = first === 'serve' ? argv.slice(1) : argv;
  if (rest.some((arg) => ['-h', '--help', '-V', '--version'].includes(arg))) return false;
  let config: Config;
  try {
    const command = addConfigOptions(
      new Command('nugget')
        .exitOverride()
        .allowExcessArguments(false)
        .configureOutput({ writeErr: () => {}, writeOut: () => {} }),
    );
    command.parse([...rest], { from: 'user' });
    config = configFromFlags(command.opts<Record<string, unknown>>());
  } catch {
    return false;
  }
  const count = config.workers ?? availableParallelism();
  if (count <= 1) return false;
  await runPrimary(config, count, { watchParent: startedByNpm() });
  return true;
}

/** How long a worker's metrics may take to arrive before /metrics answers without them. */
const metricsWaitMs = 2000;

/**
 * The worker's side: tells the primary it listens, stops when told (or when the primary is gone), answers the
 * primary's requests for its metrics and has /metrics gather every worker's.
 */
export function joinPrimary(options: {
  readonly address: string;
  readonly metrics: Metrics;
  readonly control: StopControl;
}): { readonly onStopAccepting: () => void } {
  const { metrics, control } = options;
  const send = (message: Message) => {
    if (process.connected) process.send?.(message);
  };
  const pending = new Map<number, (parts: WorkerExposition[]) => void>();
  let nextId = 0;
  metrics.gatherWith(async () => {
    const id = ++nextId;
    const result = new Promise<WorkerExposition[]>((resolve) => pending.set(id, resolve));
    send({ nugget: 'metrics-request', id });
    const timedOut = delay(metricsWaitMs * 2, undefined, { ref: false }).then(() => undefined);
    const parts = await Promise.race([result, timedOut]);
    pending.delete(id);
    // Without an answer from the primary (it is stopping), this worker's own series still go out.
    return parts ?? [{ worker: String(workerNumber() ?? 0), text: await metrics.localExposition() }];
  });
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    switch (message.nugget) {
      case 'stop':
        control.stop('the primary process is stopping');
        break;
      case 'exit-now':
        control.exitNow('the primary process got a second signal', message.code);
        break;
      case 'metrics-collect':
        void metrics.localExposition().then(
          (text) => send({ nugget: 'metrics-reply', id: message.id, text }),
          () => send({ nugget: 'metrics-reply', id: message.id, text: '' }),
        );
        break;
      case 'metrics-result':
        pending.get(message.id)?.(message.parts);
        break;
    }
  });
  send({ nugget: 'listening', address: options.address });
  return { onStopAccepting: () => send({ nugget: 'not-accepting' }) };
}

interface Slot {
  readonly number: number;
  worker: Worker;
  startedAt: number;
  /** Starting (its messages are not heard yet), listening, or closed (stopping: it accepts no connection). */
  state: 'starting' | 'listening' | 'closed';
  /** It has listened at least once. */
  listened: boolean;
  /** Restarts in a row of workers that died soon after they started: the next restart waits longer. */
  quickDeaths: number;
}

const signalNumbers: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

/**
 * The primary: forks `count` workers of this same command line and runs until SIGTERM/SIGINT. Prints
 * `Service index: <url>` (from the first worker's address) once worker 1 listens.
 */
export async function runPrimary(
  config: Config,
  count: number,
  options: { readonly watchParent: boolean },
): Promise<void> {
  const logger = await createLogger(config);
  // Where the workers cannot bind the port each (workerListenOptions), the primary holds it and hands each new
  // connection to the next worker.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  let port: string | undefined;
  const slots = new Map<number, Slot>();
  let stopping = false;
  let printed = false;
  let failedExitCode = 0;
  // /metrics asked of one worker: every listening worker's exposition, gathered here and handed back to it.
  const metricsRequests = new Map<
    number,
    { parts: WorkerExposition[]; waiting: Set<number>; from: Worker; requestId: number }
  >();
  let metricsKey = 0;
  const finishMetrics = (key: number) => {
    const request = metricsRequests.get(key);
    if (!request) return;
    metricsRequests.delete(key);
    request.parts.sort((a, b) => Number(a.worker) - Number(b.worker));
    if (request.from.isConnected()) {
      request.from.send({ nugget: 'metrics-result', id: request.requestId, parts: request.parts });
    }
  };

  let saidNoneAccepting = false;
  /** Says so once no worker accepts connections any more (the port is closed), while stopping. */
  const noneAccepting = () => {
    if (saidNoneAccepting || ![...slots.values()].every((s) => s.state === 'closed')) return;
    saidNoneAccepting = true;
    logger.info('stopping: no new connections; the workers finish the requests in progress');
  };

  const fork = (number: number, quickDeaths = 0): void => {
    const worker = cluster.fork({
      [workerVariable]: String(number),
      ...(port ? { [portVariable]: port } : {}),
    });
    const slot: Slot = {
      number,
      worker,
      startedAt: Date.now(),
      state: 'starting',
      listened: false,
      quickDeaths,
    };
    slots.set(number, slot);
    worker.on('message', (message: unknown) => {
      if (!isMessage(message)) return;
      if (message.nugget === 'listening') {
        slot.state = 'listening';
        slot.listened = true;
        logger.info({ worker: number, workerPid: worker.process.pid }, `worker ${number} listening`);
        // A worker hears messages only once it listens: one that was still starting when the stop began is
        // told now.
        if (stopping) {
          worker.send({ nugget: 'stop' });
          return;
        }
        if (!printed) {
          printed = true;
          port = new URL(message.address).port;
          process.stdout.write(serviceIndexLine(config, message.address));
          for (let next = 2; next <= count; next++) fork(next);
        }
        if ([...slots.values()].filter((s) => s.state === 'listening').length === count) {
          logger.info({ workers: count }, `all ${count} workers listening`);
        }
      } else if (message.nugget === 'not-accepting') {
        slot.state = 'closed';
        if (stopping) noneAccepting();
      } else if (message.nugget === 'metrics-request') {
        const key = ++metricsKey;
        const listening = [...slots.values()].filter(
          (s) => s.state === 'listening' && s.worker.isConnected(),
        );
        metricsRequests.set(key, {
          parts: [],
          waiting: new Set(listening.map((s) => s.number)),
          from: worker,
          requestId: message.id,
        });
        for (const target of listening) target.worker.send({ nugget: 'metrics-collect', id: key });
        setTimeout(() => finishMetrics(key), metricsWaitMs).unref();
      } else if (message.nugget === 'metrics-reply') {
        const request = metricsRequests.get(message.id);
        if (!request || !request.waiting.delete(number)) return;
        if (message.text) request.parts.push({ worker: String(number), text: message.text });
        if (request.waiting.size === 0) finishMetrics(message.id);
      }
    });
    worker.on('exit', (code, signal) => {
      if (slots.get(number)?.worker !== worker) return;
      slots.delete(number);
      for (const [key, request] of metricsRequests) {
        if (request.waiting.delete(number) && request.waiting.size === 0) finishMetrics(key);
      }
      if (stopping) {
        if (code !== 0 && slot.listened) failedExitCode = 1;
        noneAccepting();
        if (slots.size === 0) {
          logger.info('stopped');
          process.exit(failedExitCode);
        }
        return;
      }
      if (!slot.listened && !printed) {
        // The first worker could not start (the port is taken, the database cannot be reached ...): it has
        // printed why; the server cannot start either.
        process.exit(code ?? 1);
      }
      const quick = Date.now() - slot.startedAt < 10_000;
      const deaths = quick ? slot.quickDeaths + 1 : 0;
      const waitMs = quick ? Math.min(30_000, 500 * 2 ** (deaths - 1)) : 0;
      logger.error(
        { worker: number, workerPid: worker.process.pid, code, signal, restartInMs: waitMs },
        `worker ${number} exited (${signal ?? `code ${code}`}); starting another`,
      );
      const restart = () => {
        if (!stopping) fork(number, deaths);
      };
      if (waitMs === 0) restart();
      else setTimeout(restart, waitMs).unref();
    });
  };

  const stopAll = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason, workers: slots.size }, `${reason}: asking every worker to stop`);
    // A worker stops within --shutdown-timeout plus its clean-up time; one that does not is killed.
    setTimeout(
      () => {
        for (const slot of slots.values()) slot.worker.process.kill('SIGKILL');
        logger.error('workers did not stop in time; exiting now');
        process.exit(1);
      },
      config.shutdownTimeout + cleanupMs + 2000,
    ).unref();
    if (slots.size === 0) process.exit(0);
    for (const slot of slots.values()) {
      // One still starting does not hear messages yet: SIGTERM ends it (before it listens) or stops it gracefully
      // (after), and should it listen before that lands, it is told to stop when it says it listens.
      if (slot.state === 'starting') slot.worker.process.kill('SIGTERM');
      else if (slot.worker.isConnected()) slot.worker.send({ nugget: 'stop' });
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      const code = 128 + (signalNumbers[signal] ?? 0);
      logger.warn({ signal }, `second signal (${signal}): exiting at once`);
      for (const slot of slots.values()) {
        if (slot.worker.isConnected()) slot.worker.send({ nugget: 'exit-now', code });
      }
      process.exit(code);
    }
    stopAll(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (options.watchParent) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) stopAll('parent process gone');
    }, 500).unref();
  }
  logger.info({ workers: count }, `starting ${count} workers`);
  fork(1);
}
