// The server's logger: pino, JSON lines by default (what log collectors read), or pretty lines for people
// (--log-format pretty, through pino-pretty). Every argument of every log call (fields, messages, errors) goes
// through the one redaction of secrets (redact.ts) before pino writes it: Fastify's request loggers are children
// of this one and share the hook. docs/operations.md, "Logs"; decision record 0008.
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config/config.ts';
import { redactFields, redactSecrets } from './redact.ts';

const options = (level: Config['logLevel']): LoggerOptions => ({
  level,
  hooks: {
    logMethod(args, method) {
      const safe = args.map((arg: unknown) =>
        typeof arg === 'string' ? redactSecrets(arg) : redactFields(arg),
      ) as typeof args;
      method.apply(this, safe);
    },
  },
});

/** The fields of a request line that the pretty format writes into the line itself, in this order. */
interface RequestLine {
  method?: string;
  url?: string;
  status?: number;
  ms?: number;
  address?: string;
  keyName?: string;
  cached?: boolean;
}

const requestFields = ['method', 'url', 'status', 'ms', 'address', 'keyName', 'cached'];

/** `GET /v3/index.json 200 1.2 ms from 10.0.0.7 key ci (cached)` for request lines; other messages as they are. */
function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const message = String(log[messageKey] ?? '');
  if (message !== 'request') return message;
  const line = log as RequestLine;
  return [
    line.method,
    line.url,
    line.status,
    line.ms === undefined ? undefined : `${line.ms} ms`,
    line.address === undefined ? undefined : `from ${line.address}`,
    line.keyName === undefined ? undefined : `key ${line.keyName}`,
    line.cached ? '(cached)' : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(' ');
}

/**
 * The logger for `config`; `destination` defaults to stdout. pino-pretty is loaded only for the pretty format,
 * and formats in this thread (no worker), so a line is written before the call returns, as with JSON.
 */
export async function createLogger(
  config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'logFormat'>>,
  destination?: DestinationStream,
): Promise<Logger> {
  if (config.logFormat !== 'pretty') return pino(options(config.logLevel), destination);
  const { default: pretty } = await import('pino-pretty');
  const stream = pretty({
    sync: true,
    colorize: destination === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: ['pid', 'hostname', ...requestFields].join(','),
    messageFormat: prettyMessage,
    // The other fields (session id, user agent, error details) follow on the same line.
    singleLine: true,
    ...(destination ? { destination } : {}),
  });
  return pino(options(config.logLevel), stream);
}
