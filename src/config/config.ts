// The one configuration schema, and where its values come from. Precedence, lowest first: the defaults below, the
// config file (--config / NUGGET_CONFIG, TOML), NUGGET_* environment variables, command-line flags.
// docs/configuration.md lists every option; keep the two in step. Why TOML: docs/decisions/0010-runtime-node-versions-config-and-stop.md.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { parse as parseToml, TomlError } from 'smol-toml';
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

/** A size in bytes, given as a number or as text such as '250MB'. */
export const sizeSchema = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    try {
      return typeof value === 'number' ? value : parseSize(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  })
  .pipe(z.number().int().positive());

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
const anyDuration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    return typeof value === 'number' ? value * 1000 : parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
const duration = anyDuration.pipe(z.number().int().positive({ error: 'must be more than 0' }));
const durationOrZero = anyDuration.pipe(z.number().int().min(0));

/** A key lifetime: hours, days or weeks ('30d', '12h', '2w'), at least an hour. */
export const keyLifetimeSchema = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? value : durationMs(value, { units: ['h', 'd', 'w'] });
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${value}' is not a lifetime: use e.g. 1d, 8d, 30d or 12h` });
      return z.NEVER;
    }
    return ms;
  })
  .pipe(z.number().int().min(3_600_000, { error: 'must be at least 1h' }));

const commaList = (text: string): string[] =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

const httpsUrl = (text: string): boolean => {
  try {
    return new URL(text).protocol === 'https:';
  } catch {
    return false;
  }
};

/** The OpenID Connect issuers of trusted publishing: 'github=https://...,gitlab=https://...'. */
const issuersSchema = z.string().transform((text, ctx) => {
  const issuers: { kind: 'github' | 'gitlab'; url: string }[] = [];
  for (const entry of commaList(text)) {
    const match = /^(github|gitlab)=(.+)$/.exec(entry);
    const url = match?.[2]?.trim().replace(/\/+$/, '');
    if (!match || !url || !httpsUrl(url)) {
      ctx.addIssue({
        code: 'custom',
        message: `'${entry}' is not kind=https-url, e.g. github=https://token.actions.githubusercontent.com or gitlab=https://gitlab.example.com`,
      });
      return z.NEVER;
    }
    issuers.push({ kind: match[1] as 'github' | 'gitlab', url });
  }
  return issuers;
});

/** Keys of issuers configured by hand: 'https://issuer=/path/jwks.json,...'. */
const issuerKeysSchema = z.string().transform((text, ctx) => {
  const files: { issuer: string; file: string }[] = [];
  for (const entry of commaList(text)) {
    const at = entry.lastIndexOf('=');
    const issuer = entry.slice(0, Math.max(0, at)).trim().replace(/\/+$/, '');
    const file = entry.slice(at + 1).trim();
    if (at < 0 || !httpsUrl(issuer) || file === '') {
      ctx.addIssue({
        code: 'custom',
        message: `'${entry}' is not issuer-url=jwks-file, e.g. https://gitlab.example.com=/etc/nugget/gitlab-jwks.json`,
      });
      return z.NEVER;
    }
    files.push({ issuer, file });
  }
  return files;
});

export const defaultTrustedPublishingIssuers =
  'github=https://token.actions.githubusercontent.com,gitlab=https://gitlab.com';

export const configSchema = z.object({
  host: z.string().min(1).default('0.0.0.0'),
  port: z.coerce
    .number({ error: 'must be a port number from 0 to 65535' })
    .int()
    .min(0)
    .max(65535)
    .default(5000),
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
  maxPackageSize: sizeSchema.default(250 * 1024 * 1024),
  deleteBehavior: z.enum(['unlist', 'delete']).default('unlist'),
  /** Whether a version deleted for good may be pushed again; each feed may set its own (docs/feeds.md). */
  allowRepushAfterDelete: booleanText.default(false),
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
  /** A TOML file with the credentials of upstream feeds, one table per feed (docs/upstreams.md, "Credentials"). */
  upstreamCredentials: z.string().min(1).optional(),
  /** PEM files: both set -> the server speaks HTTPS itself (checked together in configFromFlags). */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** Milliseconds a request body (a push) may go without a byte before it is refused with 408. A number is seconds. */
  uploadTimeout: duration.default(60_000),
  /** Bytes the in-memory read caches may hold together, whatever was pushed or read before (http-services.ts). */
  cacheMemory: sizeSchema.default(96 * 1024 * 1024),
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
  /** The longest lifetime of an API key on feeds that do not set their own (docs/security.md); none by default. */
  maxApiKeyLifetime: keyLifetimeSchema.optional(),
  /** The audiences a trusted-publishing token must name (docs/trusted-publishing.md); default: --public-url. */
  trustedPublishingAudience: z.string().transform(commaList).optional(),
  trustedPublishingIssuers: issuersSchema.default(issuersSchema.parse(defaultTrustedPublishingIssuers)),
  trustedPublishingKeys: issuerKeysSchema.optional(),
  /** A PEM CA bundle trusted, besides the system's, when fetching issuers' keys (a self-managed GitLab). */
  trustedPublishingCa: z.string().min(1).optional(),
  /** Single sign-on for the web UI through an OpenID Connect provider (docs/web-ui.md); off without an issuer. */
  ssoIssuer: z
    .string()
    .refine((text) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol), {
      error:
        'must be the https URL of an OpenID Connect issuer, e.g. https://login.microsoftonline.com/TENANT/v2.0',
    })
    .optional(),
  ssoClientId: z.string().min(1).optional(),
  ssoClientSecret: z.string().min(1).optional(),
  /** `claim:value=role[@feed+feed]` rules, `;`-separated (or a list in the config file); src/auth/sso-roles.ts. */
  ssoRoles: z.union([z.string(), z.array(z.string())]).optional(),
  /** The claim the pages and the audit log name a person by (default: email, else preferred_username, else sub). */
  ssoNameClaim: z.string().min(1).optional(),
  /** How long a web UI session lasts at most (docs/web-ui.md). */
  sessionLifetime: duration.default(8 * 3_600_000),
  /** Milliseconds to keep retrying an unreachable PostgreSQL or S3 store at start; 0 tries once. */
  startupWait: durationOrZero.default(60_000),
  /** Milliseconds requests in progress get to finish after SIGTERM/SIGINT before they are cut off. */
  shutdownTimeout: duration.default(20_000),
  /** Run every feed's retention policy this often (docs/retention.md); off unless set. */
  retentionInterval: duration.optional(),
  /** Whether this process delivers webhooks (docs/webhooks.md); every node may, they share the queue safely. */
  webhookDelivery: booleanText.default(true),
  /** Host names webhook URLs may name (`*.example.com` for subdomains); empty: any. */
  webhookAllowedHosts: z.string().transform(commaList).default([]),
  /** CIDRs of private/internal addresses webhooks may reach; every other non-public address is refused. */
  webhookAllowedNetworks: z.string().transform(commaList).default([]),
  /** Milliseconds one delivery attempt may take, connection included. */
  webhookTimeout: duration.default(10_000),
  /** Milliseconds failed deliveries are retried for, from when the event happened (or was redelivered). */
  webhookRetryFor: duration.default(24 * 3_600_000),
  /** The first wait after a failed attempt; it doubles with each failure up to webhookRetryMax. */
  webhookRetryMin: duration.default(10_000),
  webhookRetryMax: duration.default(3_600_000),
  /** Pending deliveries per subscription; events beyond it are logged as dropped, not queued. */
  webhookQueueLimit: z.coerce.number().int().min(1).default(10_000),
  /**
   * Worker processes that share the listening socket (src/cli/workers.ts); 1 serves from one process, as before
   * workers. Left out: one per CPU the process may use (os.availableParallelism()).
   */
  workers: z.coerce
    .number({ error: 'must be a whole number of worker processes, 1 or more' })
    .int({ error: 'must be a whole number of worker processes, 1 or more' })
    .min(1, { error: 'must be 1 or more (1 serves from one process)' })
    .max(1024, { error: 'must be at most 1024' })
    .optional(),
});

export type Config = z.infer<typeof configSchema>;

/**
 * Each option: its flag, environment variable and help text. The config file key is the flag without its dashes
 * (`--data-dir` -> `data-dir`). `storage` options locate a feed and are taken by every command; the others only
 * by `serve`. A `secret` can also be read from a file (`--api-key-file`, `NUGGET_API_KEY_FILE`, `api-key-file`),
 * so it need not appear in argv (visible in `ps`) or in the environment. A `path` given relatively is taken from
 * the shell's directory, or, in the config file, from the file's directory.
 */
interface OptionSpec {
  readonly key: keyof Config;
  readonly flag: string;
  readonly env: string;
  readonly help: string;
  /** 'storage': taken by every command; 'webhook': also by `nugget webhook` (which checks and pings URLs). */
  readonly scope?: 'storage' | 'webhook';
  readonly secret?: true;
  readonly path?: true;
}

const options: readonly OptionSpec[] = [
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
    scope: 'storage',
    path: true,
  },
  {
    key: 'apiKey',
    flag: '--api-key <key>',
    env: 'NUGGET_API_KEY',
    help: 'the key that may push, unlist and delete (prefer NUGGET_API_KEY_FILE: argv is visible in ps)',
    secret: true,
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
    help: 'largest accepted push on feeds that do not set their own, e.g. 250MB (default)',
  },
  {
    key: 'deleteBehavior',
    flag: '--delete-behavior <unlist|delete>',
    env: 'NUGGET_DELETE_BEHAVIOR',
    help: 'what DELETE does on feeds that do not set their own (default unlist)',
  },
  {
    key: 'allowRepushAfterDelete',
    flag: '--allow-repush-after-delete',
    env: 'NUGGET_ALLOW_REPUSH_AFTER_DELETE',
    help: 'a version deleted for good may be pushed again, on feeds that do not set their own (default: never)',
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
    key: 'upstreamCredentials',
    flag: '--upstream-credentials <file>',
    env: 'NUGGET_UPSTREAM_CREDENTIALS',
    help: 'TOML file with the credentials of upstream feeds, a [table] per feed (docs/upstreams.md)',
    scope: 'storage',
    path: true,
  },
  {
    key: 'tlsCert',
    flag: '--tls-cert <file>',
    env: 'NUGGET_TLS_CERT',
    help: 'PEM certificate (chain) to serve HTTPS with; needs --tls-key',
    path: true,
  },
  {
    key: 'tlsKey',
    flag: '--tls-key <file>',
    env: 'NUGGET_TLS_KEY',
    help: 'PEM private key of --tls-cert',
    path: true,
  },
  {
    key: 'uploadTimeout',
    flag: '--upload-timeout <duration>',
    env: 'NUGGET_UPLOAD_TIMEOUT',
    help: 'how long a request body (a push) may send nothing before it is refused with 408, e.g. 60s (default)',
  },
  {
    key: 'cacheMemory',
    flag: '--cache-memory <size>',
    env: 'NUGGET_CACHE_MEMORY',
    help: 'bytes the in-memory read caches may hold together, e.g. 96MB (default)',
  },
  {
    key: 'private',
    flag: '--private',
    env: 'NUGGET_PRIVATE',
    help: 'feeds that do not set their own need credentials for every read: a key with the read scope',
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
    scope: 'storage',
    secret: true,
  },
  {
    key: 'storage',
    flag: '--storage <url>',
    env: 'NUGGET_STORAGE',
    help: 's3://bucket/prefix?endpoint=..&region=..&forcePathStyle=true (default: files in the data dir)',
    scope: 'storage',
  },
  {
    key: 'startupWait',
    flag: '--startup-wait <duration>',
    env: 'NUGGET_STARTUP_WAIT',
    help: 'how long to keep retrying an unreachable PostgreSQL or S3 store at start (default 60s; 0 = once)',
    scope: 'storage',
  },
  {
    key: 'redirectDownloads',
    flag: '--redirect-downloads',
    env: 'NUGGET_REDIRECT_DOWNLOADS',
    help: 'answer .nupkg downloads with 302 to a presigned S3 URL (needs --storage)',
  },
  {
    key: 'maxApiKeyLifetime',
    flag: '--max-api-key-lifetime <duration>',
    env: 'NUGGET_MAX_API_KEY_LIFETIME',
    help: 'longest lifetime of an API key on feeds that do not set their own, e.g. 30d (default: no limit)',
  },
  {
    key: 'trustedPublishingAudience',
    flag: '--trusted-publishing-audience <audiences>',
    env: 'NUGGET_TRUSTED_PUBLISHING_AUDIENCE',
    help: 'comma-separated audiences a CI token must name to be exchanged for a key (default: --public-url)',
  },
  {
    key: 'trustedPublishingIssuers',
    flag: '--trusted-publishing-issuers <list>',
    env: 'NUGGET_TRUSTED_PUBLISHING_ISSUERS',
    help: `OpenID Connect issuers trusted for trusted publishing, kind=url (default ${defaultTrustedPublishingIssuers})`,
  },
  {
    key: 'trustedPublishingKeys',
    flag: '--trusted-publishing-keys <list>',
    env: 'NUGGET_TRUSTED_PUBLISHING_KEYS',
    help: 'signing keys of issuers nugget cannot reach, issuer-url=jwks-file (air-gapped sites)',
  },
  {
    key: 'trustedPublishingCa',
    flag: '--trusted-publishing-ca <file>',
    env: 'NUGGET_TRUSTED_PUBLISHING_CA',
    help: "PEM CA bundle trusted besides the system's when fetching issuers' keys",
  },
  {
    key: 'ssoIssuer',
    flag: '--sso-issuer <url>',
    env: 'NUGGET_SSO_ISSUER',
    help: 'the OpenID Connect issuer people sign in to the web UI with (default: no single sign-on)',
  },
  {
    key: 'ssoClientId',
    flag: '--sso-client-id <id>',
    env: 'NUGGET_SSO_CLIENT_ID',
    help: "nugget's client id at the OpenID Connect provider",
  },
  {
    key: 'ssoClientSecret',
    flag: '--sso-client-secret <secret>',
    env: 'NUGGET_SSO_CLIENT_SECRET',
    help: "nugget's client secret at the provider (prefer NUGGET_SSO_CLIENT_SECRET_FILE)",
    secret: true,
  },
  {
    key: 'ssoRoles',
    flag: '--sso-roles <rules>',
    env: 'NUGGET_SSO_ROLES',
    help: 'claim:value=role[@feed+feed] rules separated by ;, e.g. groups:nuget-admins=admin (roles: reader, publisher, admin)',
  },
  {
    key: 'ssoNameClaim',
    flag: '--sso-name-claim <claim>',
    env: 'NUGGET_SSO_NAME_CLAIM',
    help: 'the claim that names a person signed in with SSO (default email, else preferred_username, else sub)',
  },
  {
    key: 'sessionLifetime',
    flag: '--session-lifetime <duration>',
    env: 'NUGGET_SESSION_LIFETIME',
    help: 'how long a web UI sign-in lasts at most (default 8h)',
  },
  {
    key: 'retentionInterval',
    flag: '--retention-interval <duration>',
    env: 'NUGGET_RETENTION_INTERVAL',
    help: "run every feed's retention policy this often, e.g. 6h (default: never; docs/retention.md)",
  },
  {
    key: 'shutdownTimeout',
    flag: '--shutdown-timeout <duration>',
    env: 'NUGGET_SHUTDOWN_TIMEOUT',
    help: 'on SIGTERM/SIGINT, how long requests in progress get to finish before they are cut off (default 20s)',
  },
  {
    key: 'webhookDelivery',
    flag: '--webhook-delivery <on|off>',
    env: 'NUGGET_WEBHOOK_DELIVERY',
    help: 'whether this process sends webhooks (default on; any number of nodes may)',
  },
  {
    key: 'webhookAllowedHosts',
    flag: '--webhook-allowed-hosts <hosts>',
    env: 'NUGGET_WEBHOOK_ALLOWED_HOSTS',
    help: 'comma-separated host names (or *.example.com) webhook URLs may name (default: any)',
    scope: 'webhook',
  },
  {
    key: 'webhookAllowedNetworks',
    flag: '--webhook-allowed-networks <cidrs>',
    env: 'NUGGET_WEBHOOK_ALLOWED_NETWORKS',
    help: 'comma-separated private networks webhooks may reach, e.g. 10.0.0.0/8 (default: public addresses only)',
    scope: 'webhook',
  },
  {
    key: 'webhookTimeout',
    flag: '--webhook-timeout <duration>',
    env: 'NUGGET_WEBHOOK_TIMEOUT',
    help: 'how long one delivery attempt may take (default 10s)',
    scope: 'webhook',
  },
  {
    key: 'webhookRetryFor',
    flag: '--webhook-retry-for <duration>',
    env: 'NUGGET_WEBHOOK_RETRY_FOR',
    help: 'how long a failed delivery is retried before it is marked failed (default 24h)',
  },
  {
    key: 'webhookRetryMin',
    flag: '--webhook-retry-min <duration>',
    env: 'NUGGET_WEBHOOK_RETRY_MIN',
    help: 'the wait after the first failed attempt, doubled after each (default 10s)',
  },
  {
    key: 'webhookRetryMax',
    flag: '--webhook-retry-max <duration>',
    env: 'NUGGET_WEBHOOK_RETRY_MAX',
    help: 'the longest wait between two attempts (default 1h)',
  },
  {
    key: 'webhookQueueLimit',
    flag: '--webhook-queue-limit <count>',
    env: 'NUGGET_WEBHOOK_QUEUE_LIMIT',
    help: 'pending deliveries per subscription; beyond it new ones are logged as dropped (default 10000)',
  },
  {
    key: 'workers',
    flag: '--workers <count>',
    env: 'NUGGET_WORKERS',
    help: 'worker processes sharing the port; 1 = one process (default: one per available CPU)',
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
    help: 'the bearer token /metrics requires (default: open, or with --private a key with the read scope)',
    secret: true,
  },
];

/** A value a person got wrong in the configuration; the message names the flag or variable to fix. */
export class ConfigError extends Error {}

/**
 * nugget cannot start with the configuration it was given (the port is taken, the data directory is not
 * writable, the database cannot be reached ...): one line that names the flag or variable to look at.
 */
export class StartupError extends Error {}

const flagName = (option: OptionSpec) => option.flag.split(' ')[0] ?? option.flag;
/** The config file key: `--data-dir` -> `data-dir`. */
const fileKey = (option: OptionSpec) => flagName(option).slice(2);
/** commander's attribute name for `--<flag>-file`: `--api-key-file` -> `apiKeyFile`. */
const fileAttribute = (option: OptionSpec) => `${option.key}File`;

/** The flag and variable of the config file itself. */
export const configFileOption = { flag: '--config <file>', env: 'NUGGET_CONFIG' } as const;

/**
 * Adds the configuration flags to a command: every option for `serve`, the ones that locate a feed (`storage`)
 * for the admin commands, and `--config` to both.
 */
export function addConfigOptions(
  command: Command,
  scope: 'serve' | 'storage' | 'webhook' = 'serve',
): Command {
  command.addOption(
    new Option(
      configFileOption.flag,
      `read options from this TOML file; environment and flags override it [env ${configFileOption.env}]`,
    ),
  );
  for (const option of options) {
    if (scope === 'storage' && option.scope !== 'storage') continue;
    if (scope === 'webhook' && option.scope !== 'storage' && option.scope !== 'webhook') continue;
    command.addOption(new Option(option.flag, `${option.help} [env ${option.env}]`));
    if (option.secret) {
      command.addOption(
        new Option(
          `${flagName(option)}-file <file>`,
          `read ${flagName(option)} from this file [env ${option.env}_FILE]`,
        ),
      );
    }
  }
  return command;
}

/** Where one value came from, to name it in an error: `--port`, `NUGGET_PORT`, `port in ./nugget.toml`. */
interface Sourced {
  readonly value: unknown;
  readonly from: string;
}

export interface ConfigSources {
  /** Parsed flags, by option key (commander's attribute names). */
  readonly flags?: Record<string, unknown>;
  readonly env?: NodeJS.ProcessEnv;
  /** The config file's path (for messages and relative paths) and text. */
  readonly file?: { readonly path: string; readonly text: string } | undefined;
  /** What relative paths from flags and the environment are relative to (default: shellDirectory(env)). */
  readonly cwd?: string;
  /** Reads a secret file (default: fs.readFileSync). */
  readonly readSecret?: (path: string) => string;
}

/**
 * The directory the user's shell was in. An npm script (`npm start`, `npm run nugget`) runs in the package's
 * root, and npm passes the shell's directory as INIT_CWD; a nugget started any other way (even by a process that
 * npm started, which inherits INIT_CWD) runs where it was started.
 * https://docs.npmjs.com/cli/v11/commands/npm-run-script
 */
export function shellDirectory(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const initCwd = env['INIT_CWD'];
  const packageJson = env['npm_package_json'];
  if (initCwd && packageJson && resolve(dirname(packageJson)) === resolve(cwd)) return resolve(initCwd);
  return cwd;
}

/** True when an npm script or npx started this process (or one of its ancestors). */
export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['npm_lifecycle_event'] !== undefined;
}

function readSecretFile(read: (path: string) => string, file: string, from: string): string {
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    throw new ConfigError(`${from}: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  // A trailing newline (echo, most editors) is never part of a key or URL.
  const value = text.trim();
  if (value === '') throw new ConfigError(`${from}: ${file} is empty`);
  return value;
}

function configFileValues(
  file: { path: string; text: string },
  read: (path: string) => string,
): Map<OptionSpec, Sourced> {
  let document: Record<string, unknown>;
  try {
    document = parseToml(file.text);
  } catch (error) {
    const where = error instanceof TomlError ? `:${error.line}:${error.column}` : '';
    const reason = (error as Error).message.split('\n')[0]?.replace(/^Invalid TOML document: /, '');
    throw new ConfigError(
      `${file.path}${where}: not valid TOML (${reason}); fix the file or --config / NUGGET_CONFIG`,
      { cause: error },
    );
  }
  const values = new Map<OptionSpec, Sourced>();
  const base = dirname(file.path);
  for (const [key, value] of Object.entries(document)) {
    const from = `${key} in ${file.path}`;
    const option = options.find((o) => fileKey(o) === key || (o.secret && `${fileKey(o)}-file` === key));
    if (!option) {
      const known = options.map(fileKey).join(', ');
      throw new ConfigError(`${from}: no such option; the file takes ${known}`);
    }
    if (key !== fileKey(option)) {
      if (typeof value !== 'string') throw new ConfigError(`${from}: must be the path of a file, in quotes`);
      if (document[fileKey(option)] !== undefined) {
        throw new ConfigError(`${from}: give ${fileKey(option)} or ${key} in ${file.path}, not both`);
      }
      values.set(option, { value: readSecretFile(read, resolve(base, value), from), from });
      continue;
    }
    values.set(option, {
      value: option.path && typeof value === 'string' ? resolve(base, value) : value,
      from,
    });
  }
  return values;
}

/** Merges defaults < config file < NUGGET_* environment < flags, and validates the result. */
export function resolveConfig(sources: ConfigSources): Config {
  const env = sources.env ?? {};
  const flags = sources.flags ?? {};
  const cwd = sources.cwd ?? shellDirectory(env);
  const read = sources.readSecret ?? ((path: string) => readFileSync(path, 'utf8'));
  const merged = sources.file ? configFileValues(sources.file, read) : new Map<OptionSpec, Sourced>();

  const layer = (option: OptionSpec, direct: Sourced | undefined, fromFile: Sourced | undefined) => {
    if (direct && fromFile) {
      throw new ConfigError(`${direct.from}: give ${direct.from} or ${fromFile.from}, not both`);
    }
    const given = direct ?? fromFile;
    if (!given) return;
    const secretFile = direct ? undefined : given;
    merged.set(option, {
      value: secretFile
        ? readSecretFile(read, resolve(cwd, String(secretFile.value)), secretFile.from)
        : option.path && typeof given.value === 'string'
          ? resolve(cwd, given.value)
          : given.value,
      from: given.from,
    });
  };
  for (const option of options) {
    const text = env[option.env];
    const fileVariable = `${option.env}_FILE`;
    layer(
      option,
      text !== undefined && text !== '' ? { value: text, from: option.env } : undefined,
      option.secret && env[fileVariable] ? { value: env[fileVariable], from: fileVariable } : undefined,
    );
  }
  for (const option of options) {
    const secretFile = option.secret ? flags[fileAttribute(option)] : undefined;
    layer(
      option,
      flags[option.key] !== undefined ? { value: flags[option.key], from: flagName(option) } : undefined,
      secretFile !== undefined ? { value: secretFile, from: `${flagName(option)}-file` } : undefined,
    );
  }

  const raw = Object.fromEntries([...merged].map(([option, { value }]) => [option.key, value]));
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const option = options.find((o) => o.key === issue.path[0]);
      if (!option) return `${issue.path.join('.')}: ${issue.message}`;
      const from = merged.get(option)?.from;
      const given = from && from !== flagName(option) && from !== option.env ? ` (set by ${from})` : '';
      return `${flagName(option)} / ${option.env}: ${issue.message}${given}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  // The defaults (./data) are relative too, and mean the same directory as a relative flag would.
  result.data.dataDir = resolve(cwd, result.data.dataDir);
  if ((result.data.tlsCert === undefined) !== (result.data.tlsKey === undefined)) {
    const [given, missing] = result.data.tlsCert === undefined ? ['key', 'cert'] : ['cert', 'key'];
    throw new ConfigError(
      `--tls-${given} / NUGGET_TLS_${given.toUpperCase()}: HTTPS needs both a ` +
        `certificate and its key; also give --tls-${missing} (NUGGET_TLS_${missing.toUpperCase()}), or neither`,
    );
  }
  if (result.data.redirectDownloads && result.data.storage === undefined) {
    throw new ConfigError(
      '--redirect-downloads / NUGGET_REDIRECT_DOWNLOADS: redirects go to presigned URLs ' +
        'of the object store, so it needs --storage s3://... (NUGGET_STORAGE); files in the data directory are ' +
        'always served by nugget itself',
    );
  }
  return result.data;
}

/** Reads the config file named by `--config` (flags.config) or NUGGET_CONFIG, if any. */
function readConfigFile(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { path: string; text: string } | undefined {
  const [given, from] =
    typeof flags['config'] === 'string'
      ? [flags['config'], '--config']
      : env[configFileOption.env]
        ? [env[configFileOption.env] as string, configFileOption.env]
        : [undefined, ''];
  if (given === undefined) return undefined;
  const path = resolve(shellDirectory(env), given);
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (error) {
    throw new ConfigError(`${from} ${path}: cannot read it: ${(error as Error).message}`, { cause: error });
  }
}

/** The configuration for parsed flags, from the config file, the NUGGET_* environment and the defaults. */
export function configFromFlags(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Config {
  return resolveConfig({ flags, env, file: readConfigFile(flags, env) });
}

/** Reads `argv` (without node and script), the config file and the environment into a validated Config. */
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
