// `nugget serve` (the default command): load config -> compose -> listen, then run until SIGTERM/SIGINT. With
// more than one worker (--workers, default one per available CPU) this process is the primary and every worker
// runs this same command (workers.ts).
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { composeNugget } from '../compose.ts';
import { type Config, StartupError, startedByNpm } from '../config/config.ts';
import { createLogger } from '../logger.ts';
import { startIdleCollector } from './idle-collector.ts';
import { stopOnSignals, trackRequests } from './shutdown.ts';
import { version } from './version.ts';
import { joinPrimary, runPrimary, serviceIndexLine, workerListenOptions, workerNumber } from './workers.ts';

/** A failed listen as one line that names the flag to change. */
function listenFailure(error: unknown, config: Config): Error {
  const code = (error as { code?: string }).code;
  const where = `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const reasons: Record<string, string> = {
    EADDRINUSE: `${where} is already in use (another nugget?); choose another port with --port / NUGGET_PORT`,
    EACCES: `not allowed to listen on ${where} (ports below 1024 need privileges); choose another with --port / NUGGET_PORT`,
    EADDRNOTAVAIL: `${config.host} is not an address of this machine; check --host / NUGGET_HOST`,
    ENOTFOUND: `${config.host} is not a known host name; check --host / NUGGET_HOST`,
    EAI_AGAIN: `${config.host} could not be resolved; check --host / NUGGET_HOST`,
  };
  const reason = code ? reasons[code] : undefined;
  return reason ? new StartupError(`cannot listen: ${reason}`, { cause: error }) : (error as Error);
}

export async function serve(config: Config): Promise<void> {
  const workers = config.workers ?? availableParallelism();
  if (workers > 1 && cluster.isPrimary) {
    await runPrimary(config, workers, { watchParent: startedByNpm() });
    return;
  }
  const worker = workerNumber();
  const logger = await createLogger(config);
  if (worker === undefined) {
    logger.info(
      { version, node: process.version },
      `starting nugget ${version} on Node.js ${process.version}`,
    );
  } else {
    logger.info({ version, node: process.version, worker }, `starting worker ${worker}`);
  }
  const nugget = await composeNugget(config, { logger });
  const requests = trackRequests(nugget.app);
  let address: string;
  try {
    address = await nugget.app.listen({ host: config.host, port: config.port, ...workerListenOptions() });
  } catch (error) {
    await nugget.close();
    throw listenFailure(error, config);
  }
  startIdleCollector();
  let onStopAccepting = () => {};
  const control = stopOnSignals({
    app: nugget.app,
    requests,
    logger,
    shutdownTimeoutMs: config.shutdownTimeout,
    closeStores: () => nugget.close(),
    watchParent: worker === undefined && startedByNpm(),
    worker:
      worker === undefined
        ? undefined
        : { name: `worker ${worker}`, onStopAccepting: () => onStopAccepting() },
  });
  if (worker === undefined) {
    process.stdout.write(serviceIndexLine(config, address));
    return;
  }
  ({ onStopAccepting } = joinPrimary({ address, metrics: nugget.services.metrics, control }));
}
