// The one redaction of secrets in what nugget writes out: log lines (Fastify's, the raw-HTTP fast path's, errors,
// start-up messages) and the audit log. A key a client put in a query string (never accepted: keys travel in
// X-NuGet-ApiKey or Basic credentials), the password of a postgres:// URL, a presigned S3 signature or a cookie
// must never reach a log file, where far more people can read them than the feed's admins.
// Issue 10, class 14; docs/operations.md, "Redaction".

export const redacted = '[REDACTED]';

// A name is credential-like when, lower-cased and stripped of everything but letters and digits, it ends with one
// of these: `apikey`, `api_key`, `X-Api-Key`, `access_token`, `client_secret`, `X-Amz-Signature`,
// `X-Amz-Credential`, `X-Amz-Security-Token`, `sig` (Azure SAS), `password`, `token`, `key` ... A harmless name
// that happens to end the same way (`monkey`) loses its value in the log, which costs nothing.
const credentialEndings =
  /(?:key|token|secret|password|passwd|pwd|sig|signature|credential|credentials|auth|authorization|cookie)$/;

// Headers whose value is a credential, whatever the ending rule says (`set-cookie` ends in `cookie` anyway).
const credentialHeaders = new Set([
  'x-nuget-apikey',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
]);

const known = new Map<string, boolean>();

/** Whether a query parameter, header or field of this name carries a secret. */
export function isCredentialName(name: string): boolean {
  let answer = known.get(name);
  if (answer === undefined) {
    const lower = name.toLowerCase();
    answer = credentialHeaders.has(lower) || credentialEndings.test(lower.replace(/[^a-z0-9]/g, ''));
    // Names come from requests: bounded like every memo that a client can fill.
    if (known.size >= 1000) known.clear();
    known.set(name, answer);
  }
  return answer;
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

// `name=value` after the start, `?`, `&`, `;` or white space: query strings, and the same pairs in free text.
const parameter = /(^|[?&;\s])([^=&?;\s#]+)=([^&;#\s]*)/g;
// `scheme://userinfo@` in a URL anywhere in the text, up to the last `@` before the path: a password with an
// unescaped `@` in it is still redacted whole.
const userinfo = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s]+)@/gi;

/**
 * The text with every secret replaced by [REDACTED]: values of credential-like parameters (`?apikey=…`,
 * `X-Amz-Signature=…`) and the password of a URL's userinfo (`postgres://user:[REDACTED]@host`), or the whole
 * userinfo when it is one token (`https://[REDACTED]@host`). Text without `=` or `@` is returned as it is, at the
 * cost of two character searches: this runs on every logged URL.
 */
export function redactSecrets(text: string): string {
  if (!text.includes('=') && !text.includes('@')) return text;
  return text
    .replace(parameter, (match, before: string, name: string, value: string) =>
      value !== '' && value !== redacted && isCredentialName(decodedName(name))
        ? `${before}${name}=${redacted}`
        : match,
    )
    .replace(userinfo, (_match, scheme: string, info: string) => {
      const colon = info.indexOf(':');
      return colon >= 0
        ? `${scheme}${info.slice(0, colon)}:${redacted}@`
        : `${scheme}${info === redacted ? info : redacted}@`;
    });
}

/** Request or response headers with the value of every credential header replaced. */
export function redactHeaders<T extends Record<string, unknown>>(headers: T): T {
  let copy: Record<string, unknown> | undefined;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    const safe = isCredentialName(name) ? redacted : redactValue(value, 1);
    if (safe !== value) {
      copy ??= { ...headers };
      copy[name] = safe;
    }
  }
  return (copy ?? headers) as T;
}

const maxDepth = 6;

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value === null || typeof value !== 'object' || depth > maxDepth) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const safe = redactValue(item, depth + 1);
      if (safe !== item) (copy ??= [...value])[i] = safe;
    });
    return copy ?? value;
  }
  if (value instanceof Error) return redactErrorAt(value, depth);
  // Buffers, dates, streams and the like carry no text of ours worth walking.
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const name of Object.keys(record)) {
    const item = record[name];
    const safe =
      isCredentialName(name) && item !== undefined && item !== null && item !== ''
        ? redacted
        : redactValue(item, depth + 1);
    if (safe !== item) {
      copy ??= { ...record };
      copy[name] = safe;
    }
  }
  return copy ?? record;
}

/**
 * A value about to be written out (a log line's fields, an audit record's detail) with every secret in it
 * replaced: strings as {@link redactSecrets} does, fields with a credential-like name (`apiKey`, `password`,
 * `authorization`, header objects' `cookie` ...) as a whole. Returns the value itself when nothing needed
 * replacing, so the common case allocates nothing.
 */
export function redactFields<T>(value: T): T {
  return redactValue(value, 0) as T;
}

/** An error whose message and stack no longer hold secrets (a driver's message may quote a connection URL). */
export function redactError<T extends Error>(error: T): T {
  return redactErrorAt(error, 0);
}

function redactErrorAt<T extends Error>(error: T, depth: number): T {
  const message = redactSecrets(error.message);
  const stack = error.stack === undefined ? undefined : redactSecrets(error.stack);
  const cause = redactValue(error.cause, depth + 1);
  const original = { ...error } as Record<string, unknown>;
  const fields = redactValue(original, depth + 1) as Record<string, unknown>;
  const own = fields === original;
  if (message === error.message && stack === error.stack && cause === error.cause && own) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as T;
  Object.assign(copy, fields);
  for (const [name, value] of [
    ['message', message],
    ['stack', stack],
    ['cause', cause],
  ] as const) {
    if (value !== undefined) Object.defineProperty(copy, name, { value, writable: true, configurable: true });
  }
  return copy;
}
