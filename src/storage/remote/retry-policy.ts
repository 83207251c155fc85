// When reading another feed fails, what is worth another try and how long to wait first. Pure rules, so the
// table tests beside this file pin them down; http-remote-feed.ts applies them.

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** The backoff before the first retry; it doubles for each later one. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the request fails instead. */
  readonly maxRetryAfterMs: number;
}

/** Six attempts over about half a minute of backoff (0.5 + 1 + 2 + 4 + 8 s at most, a jittered share of it). */
export const defaultRetryPolicy: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 5 * 60_000,
};

/**
 * ok: read the body. absent: the document does not exist (404, 410). transient: the source is overloaded, restarting
 * or rate limiting (408, 429, 5xx but 501 and 505, which do not change by waiting). refused: any other answer, which
 * no retry changes (401, 403, 400, ...).
 */
export type StatusClass = 'ok' | 'absent' | 'transient' | 'refused';

export function classifyStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 404 || status === 410) return 'absent';
  if (status === 408 || status === 429) return 'transient';
  if (status >= 500 && status < 600 && status !== 501 && status !== 505) return 'transient';
  return 'refused';
}

/**
 * Failures of the connection itself that a later attempt may not meet: resets, refusals while the source restarts,
 * timeouts (connect, headers, a stalled body) and name lookups that failed for now (EAI_AGAIN, not ENOTFOUND).
 */
const transientCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** The first `code` on the error or its causes (fetch wraps the socket's error: TypeError 'fetch failed'). */
export function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 8; depth += 1) {
    if (typeof current !== 'object') return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isTransientError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && transientCodes.has(code);
}

/**
 * Retry-After in milliseconds from now: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); a date in the past is 0;
 * anything else is undefined (then the backoff applies).
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form begins with the day's name; Date.parse alone would take '-5' for a year.
  const date = /^[a-z]{3}/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before retry number `retry` (1 for the first). A Retry-After is honoured as the source asked. Otherwise
 * exponential backoff with "equal jitter": half of the backoff for sure, the other half random, so many replicas
 * that failed together do not come back together, and no retry comes sooner than half its backoff.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(backoff / 2 + (random() * backoff) / 2);
}
