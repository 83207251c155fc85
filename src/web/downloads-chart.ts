// Downloads over time as a small bar chart drawn on the server: an SVG of one bar per UTC day, with the numbers
// in each bar's <title> and a summary for screen readers. Attributes only, no inline style (the page's CSP).
import type { DailyDownloads } from '../packages/ports.ts';
import { formatCount } from './format.ts';
import { type Html, html } from './html.ts';

export const chartDays = 90;

/** The `count` UTC days up to and including `today`'s, oldest first, as YYYY-MM-DD. */
export function lastDays(today: Date, count: number): string[] {
  const days: string[] = [];
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  for (let i = count - 1; i >= 0; i--) days.push(new Date(end - i * 86_400_000).toISOString().slice(0, 10));
  return days;
}

/** Downloads per day over `days`, of the rows that `include` admits (one version, or all). */
export function dailyTotals(
  rows: readonly DailyDownloads[],
  days: readonly string[],
  include: (row: DailyDownloads) => boolean = () => true,
): number[] {
  const index = new Map(days.map((day, i) => [day, i]));
  const totals = days.map(() => 0);
  for (const row of rows) {
    const i = index.get(row.day);
    if (i !== undefined && include(row)) totals[i] = (totals[i] ?? 0) + row.downloads;
  }
  return totals;
}

const width = 600;
const height = 120;
const top = 10;
const bottom = 18;

export function downloadsChart(label: string, days: readonly string[], totals: readonly number[]): Html {
  const max = Math.max(0, ...totals);
  const sum = totals.reduce((a, b) => a + b, 0);
  const step = width / days.length;
  const plot = height - top - bottom;
  const bars = days.map((day, i) => {
    const count = totals[i] ?? 0;
    const h = max === 0 ? 0 : Math.max(count > 0 ? 1 : 0, Math.round((count / max) * plot));
    return html`<rect
      class="bar"
      x="${(i * step + 1).toFixed(1)}"
      y="${top + plot - h}"
      width="${Math.max(1, step - 2).toFixed(1)}"
      height="${h}"
      ><title>${day}: ${formatCount(count)}</title></rect
    >`;
  });
  const summary = `${label}: ${formatCount(sum)} download${sum === 1 ? '' : 's'} in the last ${days.length} days, at most ${formatCount(max)} a day`;
  return html`<figure class="downloads">
    <svg
      class="chart"
      viewBox="0 0 ${width} ${height}"
      role="img"
      aria-label="${summary}"
      preserveAspectRatio="none"
    >
      <line class="axis" x1="0" y1="${top + plot + 0.5}" x2="${width}" y2="${top + plot + 0.5}" />
      ${bars}
      <text x="0" y="${height - 4}">${days[0] ?? ''}</text>
      <text x="${width}" y="${height - 4}" text-anchor="end">${days.at(-1) ?? ''}</text>
      <text x="${width}" y="${top - 1}" text-anchor="end">${formatCount(max)}</text>
    </svg>
    <figcaption>${summary}.</figcaption>
  </figure>`;
}
