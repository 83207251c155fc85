// The credentials of upstream feeds (docs/upstreams.md, "Credentials"): a TOML file named by
// --upstream-credentials, one table per upstream feed, each secret given inline or as a `*-file` (Docker and
// systemd secrets). They are turned into request headers here and go nowhere else: not into the database, the
// feed settings, the audit log or a log line (an error names the file and the key, never the value).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';

export type UpstreamHeaders = ReadonlyMap<string, Record<string, string>>;

const keys = new Set([
  'username',
  'password',
  'password-file',
  'api-key',
  'api-key-file',
  'api-key-header',
  'bearer-token',
  'bearer-token-file',
]);

/** Reads the file; throws an Error with one line per problem (file, table, key), never a secret's value. */
export function readUpstreamCredentials(
  path: string,
  read: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): UpstreamHeaders {
  const where = (table: string, key?: string) => `${path}: [${table}]${key ? ` ${key}` : ''}`;
  let parsed: Record<string, unknown>;
  try {
    parsed = parseToml(read(path));
  } catch (error) {
    throw new Error(
      `${path}: cannot read the upstream credentials: ${(error as Error).message.split('\n')[0]}`,
      { cause: error },
    );
  }
  const headers = new Map<string, Record<string, string>>();
  for (const [feed, table] of Object.entries(parsed)) {
    if (typeof table !== 'object' || table === null || Array.isArray(table)) {
      throw new Error(
        `${where(feed)}: give a table per upstream feed, e.g. [nuget-org] with username and password-file.`,
      );
    }
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(table as Record<string, unknown>)) {
      if (!keys.has(key)) {
        throw new Error(`${where(feed, key)}: not a credential key (${[...keys].join(', ')}).`);
      }
      if (typeof value !== 'string' || value === '')
        throw new Error(`${where(feed, key)}: must be a non-empty string.`);
      values[key] = value;
    }
    const secret = (name: string): string | undefined => {
      const inline = values[name];
      const file = values[`${name}-file`];
      if (inline !== undefined && file !== undefined) {
        throw new Error(`${where(feed, name)}: give ${name} or ${name}-file, not both.`);
      }
      if (file === undefined) return inline;
      try {
        return read(resolve(dirname(path), file)).replace(/\r?\n$/, '');
      } catch (error) {
        throw new Error(
          `${where(feed, `${name}-file`)}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
          { cause: error },
        );
      }
    };
    const password = secret('password');
    const apiKey = secret('api-key');
    const bearer = secret('bearer-token');
    const given = [password !== undefined, apiKey !== undefined, bearer !== undefined].filter(Boolean).length;
    if (given > 1) throw new Error(`${where(feed)}: give one of password, api-key or bearer-token.`);
    if (password !== undefined) {
      const user = values['username'] ?? '';
      headers.set(feed, { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    } else if (apiKey !== undefined) {
      const header = values['api-key-header'] ?? 'X-NuGet-ApiKey';
      if (!/^[A-Za-z0-9-]{1,100}$/.test(header))
        throw new Error(`${where(feed, 'api-key-header')}: not a header name.`);
      headers.set(feed, { [header.toLowerCase()]: apiKey });
    } else if (bearer !== undefined) {
      headers.set(feed, { authorization: `Bearer ${bearer}` });
    } else if (values['username'] !== undefined) {
      throw new Error(`${where(feed, 'username')}: a username needs password or password-file.`);
    }
  }
  return headers;
}
