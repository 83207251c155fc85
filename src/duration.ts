// Durations as people write them in flags and commands: '500ms', '60s', '2m', '12h', '90d', '2w'.
// Shared by the configuration (timeouts, windows) and the API key commands (expiry, --since), so both read alike.

const durationPattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/i;
const unitMs: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w';

/**
 * The duration in milliseconds, or undefined when the text is not one of the `units` a caller takes (timeouts are
 * not counted in weeks, key lifetimes not in milliseconds). A bare number counts in `bare`; without it a bare
 * number is refused (an expiry of '90' could mean anything).
 */
export function durationMs(
  text: string,
  options: { units: readonly DurationUnit[]; bare?: DurationUnit },
): number | undefined {
  const match = durationPattern.exec(text.trim());
  if (!match?.[1]) return undefined;
  const unit = (match[2]?.toLowerCase() as DurationUnit | undefined) ?? options.bare;
  if (unit === undefined || !options.units.includes(unit)) return undefined;
  return Math.round(Number(match[1]) * (unitMs[unit] ?? Number.NaN));
}

/** A timeout as a message shows it: '400 ms', '1 second', '1.5 seconds', '60 seconds'. */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  return seconds === 1 ? '1 second' : `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} seconds`;
}
