// The targets of issue 17, each beside what a run measured and how far it is from it: the table `npm run bench`
// prints and writes into bench/results/<date>.md. Every bench file adds its own rows with these helpers (reads,
// cores and scale here; pushes and memory, the virtual feed and the web pages from the benches that measure them),
// so one table shows every target. A row never claims a target it did not measure: `notMeasured` says why.
//
// The ratio is always "the way to the target": measured ÷ target for "at least" targets, target ÷ measured for
// "at most" ones, so 1.00 or more meets the target and 0.50 is half way, whichever direction the target points.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TargetRow {
  /** reads, pushes, memory, cores, scale, virtual feed, web UI ... */
  readonly area: string;
  /** What is measured, e.g. "version list req/s ÷ bare node:http ceiling". */
  readonly what: string;
  /** The target as the issue states it, e.g. ">= 0.8", "< 150 MB". */
  readonly target: string;
  /** The figure measured, with its unit. */
  readonly measured: string;
  /** >= 1 meets the target; undefined when nothing was measured. */
  readonly ratio: number | undefined;
  /** Where the figure comes from or why it is missing (a results file, "--no-dotnet", another bench). */
  readonly note?: string | undefined;
}

export type Format = (value: number) => string;

export const formats = {
  ratio: (value: number) => value.toFixed(2),
  perSecond: (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`,
  ms: (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`,
  mb: (value: number) => `${value.toFixed(0)} MB`,
  times: (value: number) => `${value.toFixed(2)}x`,
} satisfies Record<string, Format>;

/** A target the measure must reach or exceed (req/s, a ratio to the ceiling, a speed-up). */
export function atLeast(
  area: string,
  what: string,
  measured: number,
  target: number,
  format: Format,
  note?: string,
): TargetRow {
  return {
    area,
    what,
    target: `>= ${format(target)}`,
    measured: format(measured),
    ratio: Number.isFinite(measured) ? measured / target : undefined,
    note,
  };
}

/** A target the measure must stay under (latency, memory, start time, CPU per request). */
export function below(
  area: string,
  what: string,
  measured: number,
  limit: number,
  format: Format,
  note?: string,
): TargetRow {
  return {
    area,
    what,
    target: `< ${format(limit)}`,
    measured: format(measured),
    ratio: Number.isFinite(measured) && measured > 0 ? limit / measured : undefined,
    note,
  };
}

/** A target of the issue this run did not measure, and why (another bench measures it, a flag skipped it). */
export function notMeasured(area: string, what: string, target: string, why: string): TargetRow {
  return { area, what, target, measured: 'not measured', ratio: undefined, note: why };
}

const met = (row: TargetRow) => (row.ratio === undefined ? '' : row.ratio >= 1 ? 'yes' : '**no**');

/** The rows as a markdown table: area, what, target, measured, ratio (>= 1 meets), met?, note. */
export function targetsTable(rows: readonly TargetRow[]): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '| area | measure | target | measured | ratio (>= 1 meets) | met? | note |',
    '| --- | --- | --- | --- | ---: | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${row.area} | ${escape(row.what)} | ${escape(row.target)} | ${escape(row.measured)} | ` +
        `${row.ratio === undefined ? '' : row.ratio.toFixed(2)} | ${met(row)} | ${escape(row.note ?? '')} |`,
    ),
  ].join('\n');
}

/**
 * The target rows another bench wrote last: the `targets` of the newest `results/<prefix>-<date>*.json`, noted
 * with the file they come from; or one row saying that bench has not run.
 */
export function latestTargets(resultsDir: string, prefix: string, command: string): TargetRow[] {
  const files = existsSync(resultsDir)
    ? readdirSync(resultsDir)
        .filter((name) => name.startsWith(`${prefix}-`) && name.endsWith('.json'))
        .sort()
    : [];
  const newest = files.at(-1);
  if (newest === undefined)
    return [notMeasured(prefix, `the ${prefix} targets`, 'see issue 17', `run ${command}`)];
  const { targets } = JSON.parse(readFileSync(join(resultsDir, newest), 'utf8')) as { targets?: TargetRow[] };
  return (targets ?? []).map((row) => ({
    ...row,
    note: [row.note, `results/${newest}`].filter(Boolean).join('; '),
  }));
}
