// Graceful stop: on SIGTERM or SIGINT the server stops accepting connections, lets the requests in progress
// finish for --shutdown-timeout, then cuts off the rest and exits. A push cut off this way fails like any
// interrupted upload: its temporary file and any blobs it stored are removed before the process exits (the
// handler's own cleanup, which this waits for), and no row was committed. A second signal exits at once.
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** How long cut-off requests get to clean up (remove temporary files and blobs) before the process exits. */
export const cleanupMs = 5000;

export interface RequestTracker {
  /** Requests whose handler has not finished, or whose response is still being sent. */
  readonly size: number;
  /** Resolves when no request is in progress. */
  drained(): Promise<void>;
}

/**
 * Follows every request Fastify routes from its arrival until both its handler has answered (onSend, which
 * Fastify runs even when the client is gone) and its response is over (the response's close event, which also
 * fires when the connection is cut). The raw-HTTP fast path (front-cache.ts) answers cached reads at once and
 * is not followed.
 */
export function trackRequests(app: FastifyInstance): RequestTracker {
  const pending = new Map<FastifyRequest, { answered: boolean; closed: boolean }>();
  let waiters: (() => void)[] = [];
  const settle = (request: FastifyRequest, change: 'answered' | 'closed') => {
    const state = pending.get(request);
    if (!state) return;
    state[change] = true;
    if (!state.answered || !state.closed) return;
    pending.delete(request);
    if (pending.size === 0) {
      for (const wake of waiters) wake();
      waiters = [];
    }
  };
  app.addHook('onRequest', (request, reply, done) => {
    pending.set(request, { answered: false, closed: false });
    reply.raw.once('close', () => settle(request, 'closed'));
    done();
  });
  app.addHook('onSend', (request, _reply, payload, done) => {
    settle(request, 'answered');
    done(null, payload);
  });
  app.addHook('onResponse', (request, _reply, done) => {
    settle(request, 'answered');
    settle(request, 'closed');
    done();
  });
  return {
    get size() {
      return pending.size;
    },
    drained: () =>
      pending.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)),
  };
}

const signalNumbers: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

export interface StopOptions {
  readonly app: FastifyInstance;
  readonly requests: RequestTracker;
  readonly logger: Logger;
  readonly shutdownTimeoutMs: number;
  /** Closes the stores (download counts, database, blob clients) once no request uses them. */
  readonly closeStores: () => Promise<void>;
  /**
   * Also stop when the parent process goes away. `npm start` runs nugget through `sh -c`, and when npm passes a
   * SIGTERM on, that shell dies without passing it further: nugget only sees that its parent changed.
   */
  readonly watchParent: boolean;
  /**
   * A worker process (workers.ts): what it says as it stops (the primary says "stopping" for the whole server),
   * and a call once its listening socket is closed, so the primary knows when no worker accepts any more.
   */
  readonly worker?: { readonly name: string; readonly onStopAccepting: () => void } | undefined;
}

/** How a running server is stopped besides signals (a worker is told by its primary). */
export interface StopControl {
  /** Stops gracefully, as the first SIGTERM does; a no-op while already stopping. */
  stop(reason: string): void;
  /** Exits at once, as a second signal does. */
  exitNow(why: string, code: number): never;
}

/** Installs the SIGTERM/SIGINT handlers (and the parent watch) of a running server. */
export function stopOnSignals(options: StopOptions): StopControl {
  const { app, requests, logger, worker } = options;
  let stopping = false;

  const stop = async (reason: string) => {
    // Whatever happens below, the process is gone by the deadline plus the clean-up time.
    setTimeout(() => {
      logger.error('nugget did not stop in time; exiting now');
      process.exit(1);
    }, options.shutdownTimeoutMs + cleanupMs).unref();
    logger.info(
      { reason, requestsInProgress: requests.size, shutdownTimeoutMs: options.shutdownTimeoutMs },
      `${worker ? `${worker.name} ` : ''}stopping: no new connections; waiting for the requests in progress`,
    );
    // Stops listening; Fastify answers requests that still arrive on open connections with 503.
    const closed = app.close();
    if (worker) void untilNotListening(app).then(worker.onStopAccepting);
    const finished = await Promise.race([
      requests.drained().then(() => true),
      delay(options.shutdownTimeoutMs, false, { ref: false }),
    ]);
    if (!finished) {
      logger.warn(
        { requestsInProgress: requests.size },
        `cutting off the requests still in progress after ${options.shutdownTimeoutMs} ms (--shutdown-timeout)`,
      );
      app.server.closeAllConnections();
      // Cut-off pushes fail now and remove what they stored; wait for that before closing the stores.
      await Promise.race([requests.drained(), delay(cleanupMs, undefined, { ref: false })]);
    }
    // Idle keep-alive connections would otherwise hold the server open until they time out.
    app.server.closeAllConnections();
    await closed;
    await options.closeStores();
    logger.info(worker ? `${worker.name} stopped` : 'stopped');
    process.exit(0);
  };

  const failed = (error: unknown) => {
    logger.error({ err: error }, 'could not stop cleanly');
    process.exit(1);
  };
  const control: StopControl = {
    stop(reason) {
      if (stopping) return;
      stopping = true;
      stop(reason).catch(failed);
    },
    exitNow(why, code) {
      logger.warn({ code }, `${why}: exiting at once`);
      process.exit(code);
    },
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) control.exitNow(`second signal (${signal})`, 128 + (signalNumbers[signal] ?? 0));
    control.stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (options.watchParent) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid === parent || stopping) return;
      control.stop('parent process gone');
    }, 500).unref();
  }
  return control;
}

/** Resolves once the server has closed its listening socket (Fastify closes it a few ticks into close()). */
async function untilNotListening(app: FastifyInstance): Promise<void> {
  for (let i = 0; i < 1000 && app.server.listening; i++) await delay(5, undefined, { ref: false });
}
