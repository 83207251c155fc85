// At start, PostgreSQL and the S3 store may not be reachable yet: containers and machines often start nugget
// beside them. Connection-level failures are retried with backoff (0.5 s doubling to 5 s) for --startup-wait;
// anything else (a wrong password, a missing database, refused credentials) stops at once. Either way the
// failure is one line that names the flag and variable to fix.
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { StartupError } from './config/config.ts';

/** Socket errors that mean "nobody answers there (yet)". */
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/**
 * PostgreSQL's "not yet": the server is starting up or shutting down, or out of connection slots.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const notYetSqlStates = new Set(['57P03', '57P01', '53300']);

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** True for failures that waiting may cure: nothing listening yet, DNS not yet there, a server starting up. */
export function isUnreachable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as ErrorLike;
  if (typeof e.code === 'string' && (unreachableCodes.has(e.code) || notYetSqlStates.has(e.code)))
    return true;
  // pg, when the server closes the socket during start-up or the connect timeout passes.
  if (typeof e.message === 'string' && /^Connection terminated/.test(e.message)) return true;
  // The S3 SDK: its own timeouts, a server error (503 Slow Down), a bucket another container is still creating.
  if (e.name === 'TimeoutError' || e.name === 'NoSuchBucket') return true;
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  // Node tries every address of a host name (IPv4 and IPv6) and reports an AggregateError of them all.
  if (Array.isArray(e.errors) && e.errors.some(isUnreachable)) return true;
  return isUnreachable(e.cause);
}

/**
 * The first line of what went wrong at the bottom (the driver's error, not the server fault a store wraps it in
 * for HTTP clients), with the error's code when the message does not say it.
 */
export function describeFailure(error: unknown): string {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  if (typeof e.cause === 'object' && e.cause !== null) return describeFailure(e.cause);
  let message = typeof e.message === 'string' && e.message !== '' ? e.message : String(error);
  if (message === String(error) && Array.isArray(e.errors) && e.errors.length > 0) {
    message = describeFailure(e.errors[0]);
  }
  const code = typeof e.code === 'string' ? e.code : undefined;
  const line = message.split('\n')[0] ?? message;
  return code && !line.includes(code) ? `${line} (${code})` : line;
}

export interface Backend {
  /** What it is, for people: 'PostgreSQL at db:5432/nugget'. */
  readonly name: string;
  /** The flag and variable that point at it: '--database / NUGGET_DATABASE_URL'. */
  readonly option: string;
}

/**
 * Runs `connect` until it succeeds, fails in a way waiting cannot cure, or `waitMs` has passed; then throws a
 * StartupError. Each retry is logged as a warning so a waiting server does not look hung.
 */
export async function connectAtStart<T>(
  backend: Backend,
  connect: () => Promise<T>,
  options: { waitMs: number; logger: Logger },
): Promise<T> {
  try {
    return await pRetry(connect, {
      retries: Number.POSITIVE_INFINITY,
      maxRetryTime: options.waitMs,
      minTimeout: 500,
      factor: 2,
      maxTimeout: 5000,
      randomize: false,
      shouldRetry: ({ error }) => isUnreachable(error),
      onFailedAttempt: ({ error, retryDelay }) => {
        if (retryDelay > 0 && isUnreachable(error)) {
          options.logger.warn(
            `${backend.name} is not reachable yet (${describeFailure(error)}); trying again in ${retryDelay} ms`,
          );
        }
      },
    });
  } catch (error) {
    const waited = isUnreachable(error)
      ? options.waitMs > 0
        ? ` for ${options.waitMs / 1000} s (wait longer with --startup-wait / NUGGET_STARTUP_WAIT)`
        : ''
      : '';
    throw new StartupError(
      `cannot use ${backend.name}: ${describeFailure(error)}${waited}; check ${backend.option}`,
      { cause: error },
    );
  }
}
