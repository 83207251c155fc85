// When a key stops working: a duration from now ('90d', '12h', '2w'), an ISO date, or 'never'.
import { durationMs } from '../duration.ts';
import { invalidInput } from '../errors.ts';

// Key lifetimes and --since are counted in hours, days and weeks.
const keyDurations = { units: ['h', 'd', 'w'] } as const;
const isoDatePattern = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A point in time: an ISO date or date-time, or a duration back from `now` ('24h' = a day ago). */
export function parseSince(text: string, now: Date): Date {
  const duration = durationMs(text, keyDurations);
  if (duration !== undefined) return new Date(now.getTime() - duration);
  const trimmed = text.trim();
  const parsed = isoDatePattern.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(parsed)) {
    throw invalidInput(
      'since_invalid',
      `'${text}' is not a time: use an ISO date such as 2025-01-31, or a duration back from now such as 24h or 7d.`,
    );
  }
  return new Date(parsed);
}

/** The expiry time of a key created at `now`; undefined for 'never'. */
export function parseExpiry(text: string, now: Date): Date | undefined {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'never') return undefined;
  const duration = durationMs(trimmed, keyDurations);
  const at =
    duration !== undefined
      ? now.getTime() + duration
      : isoDatePattern.test(trimmed)
        ? Date.parse(trimmed)
        : Number.NaN;
  if (Number.isNaN(at)) {
    throw invalidInput(
      'expiry_invalid',
      `'${text}' is not an expiry: use a duration such as 90d, 12h or 2w, an ISO date such as 2026-01-31, or never.`,
    );
  }
  if (at <= now.getTime()) {
    throw invalidInput('expiry_in_past', `The expiry '${text}' is not in the future.`);
  }
  return new Date(at);
}
