// When a key stops working: a duration from now ('90d', '12h', '2w'), an ISO date, or 'never'.
import { invalidInput } from '../errors.ts';

const hourMs = 60 * 60 * 1000;
const unitMs: Record<string, number> = { h: hourMs, d: 24 * hourMs, w: 7 * 24 * hourMs };
const durationPattern = /^(\d{1,6})\s*([hdw])$/i;
const isoDatePattern = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A duration such as '90d', '12h' or '2w' in milliseconds; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return Number(match[1]) * (unitMs[match[2].toLowerCase()] ?? 0);
}

/** A point in time: an ISO date or date-time, or a duration back from `now` ('24h' = a day ago). */
export function parseSince(text: string, now: Date): Date {
  const duration = parseDuration(text);
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
  const duration = parseDuration(trimmed);
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
