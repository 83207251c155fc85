// The one configuration schema. Precedence: defaults < NUGGET_* environment variables < command-line flags.
// docs/configuration.md lists every option; keep the two in step.
import { Command, Option } from 'commander';
import { z } from 'zod';
import { durationMs } from '../duration.ts';

const sizePattern = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i;
const sizeUnits: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
};

/** '250MB', '1g', '1048576' -> bytes. */
export function parseSize(text: string): number {
  const match = sizePattern.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not a size: use a number of bytes or e.g. 250MB, 1GB`);
  return Math.round(Number(match[1]) * (sizeUnits[(match[2] ?? 'b').toLowerCase()] ?? 1));
}

/** '60s', '2m', '500ms', '90' (seconds) -> milliseconds. */
export function parseDuration(text: string): number {
  const ms = durationMs(text, { units: ['ms', 's', 'm', 'h'], bare: 's' });
  if (ms === undefined) throw new Error(`'${text}' is not a duration: use seconds or e.g. 500ms, 60s, 2m`);
  return ms;
}

const booleanText = z.union([z.boolean(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'boolean') return value;
  const text = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(text)) return false;
  ctx.addIssue({ code: 'custom', message: `'${value}' is not true or false` });
  return z.NEVER;
});

/** A duration in milliseconds, given as '90s', '5m', '500ms' ... (parseDuration), or a number of seconds. */
const duration = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    try {
      return typeof value === 'number' ? value * 1000 : parseDuration(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  })
  .pipe(z.number().int().positive({ error: 'must be more than 0' }));

export const configSchema = z.object({
  host: z.string().min(1).default('0.0.0.0'),
  port: z.coerce.number().int().min(0).max(65535).default(5000),
  dataDir: z.string().min(1).default('./data'),
  apiKey: z.string().min(1).optional(),
  publicUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://nuget.example.com' })
    // Every URL of every document starts with it, and documents are public: no credentials in it.
    .refine((url) => new URL(url).username === '' && new URL(url).password === '', {
      error: 'must not contain a user name or password: every URL the feed serves starts with it',
    })
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  trustProxy: booleanText.default(false),
  maxPackageSize: z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      try {
        return typeof value === 'number' ? value : parseSize(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .pipe(z.number().int().positive())
    .default(250 * 1024 * 1024),
  deleteBehavior: z.enum(['unlist', 'delete']).default('unlist'),
  database: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (leave it out for the embedded SQLite database)')
    .optional(),
  storage: z
    .string()
    .regex(/^s3:\/\//, 'must be an s3://bucket/prefix URL (leave it out for files in the data directory)')
    .optional(),
  packageDetailsUrl: z
    .string()
    .regex(
      /^https:\/\/\S+$/,
      'must be an https URL template such as https://nuget.example.com/packages/{id}/{version}',
    )
    .optional(),
  reportAbuseUrl: z
    .string()
    .regex(
      /^https?:\/\/\S+$/,
      'must be a URL template such as https://example.com/report?id={id}&version={version}',
    )
    .optional(),
  /** PEM files: both set -> the server speaks HTTPS itself (checked together in configFromFlags). */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** Milliseconds a request body (a push) may go without a byte before it is refused with 408. A number is seconds. */
  uploadTimeout: duration.default(60_000),
  /** Every read needs credentials with the read scope (docs/security.md, "Private feeds"). */
  private: booleanText.default(false),
  /** Failed authentications an address may make at once; then one more per window/limit. 0 = no limit. */
  authFailureLimit: z.coerce.number().int().min(0).default(10),
  /** Milliseconds in which authFailureLimit spent failures are forgiven. A number is seconds. */
  authFailureWindow: duration.default(60_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** JSON lines (default, for log collectors) or pretty lines for people (docs/operations.md). */
  logFormat: z.enum(['json', 'pretty']).default('json'),
  /** When set, /metrics answers only `Authorization: Bearer <token>` (docs/operations.md, "Metrics"). */
  metricsToken: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  /** Answer nupkg downloads with 302 to a presigned object-store URL (S3 storage only; docs/deployment.md). */
  redirectDownloads: booleanText.default(false),
});

export type Config = z.infer<typeof configSchema>;

/** Each option: its flag, environment variable and help text. */
const options: { key: keyof Config; flag: string; env: string; help: string }[] = [
  {
    key: 'host',
    flag: '--host <address>',
    env: 'NUGGET_HOST',
    help: 'address to listen on (default 0.0.0.0)',
  },
  {
    key: 'port',
    flag: '--port <number>',
    env: 'NUGGET_PORT',
    help: 'port to listen on; 0 picks a free one (default 5000)',
  },
  {
    key: 'dataDir',
    flag: '--data-dir <path>',
    env: 'NUGGET_DATA_DIR',
    help: 'where the database and packages live (default ./data)',
  },
  {
    key: 'apiKey',
    flag: '--api-key <key>',
    env: 'NUGGET_API_KEY',
    help: 'the key that may push, unlist and delete',
  },
  {
    key: 'publicUrl',
    flag: '--public-url <url>',
    env: 'NUGGET_PUBLIC_URL',
    help: 'the base URL clients use, behind a reverse proxy',
  },
  {
    key: 'trustProxy',
    flag: '--trust-proxy',
    env: 'NUGGET_TRUST_PROXY',
    help: 'trust X-Forwarded-Proto/Host/Prefix from the proxy in front',
  },
  {
    key: 'maxPackageSize',
    flag: '--max-package-size <size>',
    env: 'NUGGET_MAX_PACKAGE_SIZE',
    help: 'largest accepted push, e.g. 250MB (default)',
  },
  {
    key: 'deleteBehavior',
    flag: '--delete-behavior <unlist|delete>',
    env: 'NUGGET_DELETE_BEHAVIOR',
    help: 'what DELETE does (default unlist)',
  },
  {
    key: 'packageDetailsUrl',
    flag: '--package-details-url <template>',
    env: 'NUGGET_PACKAGE_DETAILS_URL',
    help: 'https URL of a web page about a package, with {id} and {version}',
  },
  {
    key: 'reportAbuseUrl',
    flag: '--report-abuse-url <template>',
    env: 'NUGGET_REPORT_ABUSE_URL',
    help: 'URL where users report a package, with {id} and {version}',
  },
  {
    key: 'tlsCert',
    flag: '--tls-cert <file>',
    env: 'NUGGET_TLS_CERT',
    help: 'PEM certificate (chain) to serve HTTPS with; needs --tls-key',
  },
  {
    key: 'tlsKey',
    flag: '--tls-key <file>',
    env: 'NUGGET_TLS_KEY',
    help: 'PEM private key of --tls-cert',
  },
  {
    key: 'uploadTimeout',
    flag: '--upload-timeout <duration>',
    env: 'NUGGET_UPLOAD_TIMEOUT',
    help: 'how long a request body (a push) may send nothing before it is refused with 408, e.g. 60s (default)',
  },
  {
    key: 'private',
    flag: '--private',
    env: 'NUGGET_PRIVATE',
    help: 'every request needs credentials: a key with the read scope (Basic password or X-NuGet-ApiKey)',
  },
  {
    key: 'authFailureLimit',
    flag: '--auth-failure-limit <count>',
    env: 'NUGGET_AUTH_FAILURE_LIMIT',
    help: 'failed authentications an address may make before 429 (default 10; 0 = no limit)',
  },
  {
    key: 'authFailureWindow',
    flag: '--auth-failure-window <duration>',
    env: 'NUGGET_AUTH_FAILURE_WINDOW',
    help: 'time in which that many failures are forgiven, e.g. 60s (default)',
  },
  {
    key: 'database',
    flag: '--database <url>',
    env: 'NUGGET_DATABASE_URL',
    help: 'postgres://user:password@host:5432/db: metadata in PostgreSQL (default: SQLite in the data dir)',
  },
  {
    key: 'storage',
    flag: '--storage <url>',
    env: 'NUGGET_STORAGE',
    help: 's3://bucket/prefix?endpoint=..&region=..&forcePathStyle=true (default: files in the data dir)',
  },
  {
    key: 'redirectDownloads',
    flag: '--redirect-downloads',
    env: 'NUGGET_REDIRECT_DOWNLOADS',
    help: 'answer .nupkg downloads with 302 to a presigned S3 URL (needs --storage)',
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'NUGGET_LOG_LEVEL',
    help: 'fatal, error, warn, info (default), debug, trace or silent',
  },
  {
    key: 'logFormat',
    flag: '--log-format <json|pretty>',
    env: 'NUGGET_LOG_FORMAT',
    help: 'json lines (default) or pretty lines for people',
  },
  {
    key: 'metricsToken',
    flag: '--metrics-token <token>',
    env: 'NUGGET_METRICS_TOKEN',
    help: 'the bearer token /metrics requires (default: /metrics is as open as the feed)',
  },
];

export class ConfigError extends Error {}

/** Adds every configuration flag to a command (the server's, or a CLI command that opens the feed's storage). */
export function addConfigOptions(command: Command): Command {
  for (const option of options)
    command.addOption(new Option(option.flag, `${option.help} [env ${option.env}]`));
  return command;
}

/** Merges parsed flags over NUGGET_* environment variables over defaults, and validates the result. */
export function configFromFlags(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const raw: Record<string, unknown> = {};
  for (const option of options) {
    const fromEnv = env[option.env];
    if (fromEnv !== undefined && fromEnv !== '') raw[option.key] = fromEnv;
    if (flags[option.key] !== undefined) raw[option.key] = flags[option.key];
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const option = options.find((o) => o.key === issue.path[0]);
      return `  ${option ? `${option.flag.split(' ')[0]} / ${option.env}` : issue.path.join('.')}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  if ((result.data.tlsCert === undefined) !== (result.data.tlsKey === undefined)) {
    const [given, missing] = result.data.tlsCert === undefined ? ['key', 'cert'] : ['cert', 'key'];
    throw new ConfigError(
      `Invalid configuration:\n  --tls-${given} / NUGGET_TLS_${given.toUpperCase()}: HTTPS needs both a ` +
        `certificate and its key; also give --tls-${missing} (NUGGET_TLS_${missing.toUpperCase()}), or neither`,
    );
  }
  if (result.data.redirectDownloads && result.data.storage === undefined) {
    throw new ConfigError(
      'Invalid configuration:\n  --redirect-downloads / NUGGET_REDIRECT_DOWNLOADS: redirects go to presigned URLs ' +
        'of the object store, so it needs --storage s3://... (NUGGET_STORAGE); files in the data directory are ' +
        'always served by nugget itself',
    );
  }
  return result.data;
}

/** Reads the environment and `argv` (without node and script) into a validated Config. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Config {
  const program = addConfigOptions(
    new Command('nugget')
      .description('A self-hosted NuGet V3 package server')
      .exitOverride()
      .allowExcessArguments(false),
  );
  program.parse([...argv], { from: 'user' });
  return configFromFlags(program.opts<Record<string, unknown>>(), env);
}
