import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dailyTotals, downloadsChart, lastDays } from './downloads-chart.ts';

describe('downloads chart', () => {
  it('lists the last days in UTC, oldest first, across a month end', () => {
    assert.deepEqual(lastDays(new Date('2026-03-01T23:30:00Z'), 3), [
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
    ]);
  });

  it('sums the rows of each day, of the versions asked for, and ignores days outside the range', () => {
    const days = ['2026-12-01', '2026-12-02'];
    const rows = [
      { lowerVersion: '1.0.0', day: '2026-12-01', downloads: 2 },
      { lowerVersion: '2.0.0', day: '2026-12-01', downloads: 3 },
      { lowerVersion: '1.0.0', day: '2026-12-02', downloads: 4 },
      { lowerVersion: '1.0.0', day: '2026-11-01', downloads: 100 },
    ];
    assert.deepEqual(dailyTotals(rows, days), [5, 4]);
    assert.deepEqual(
      dailyTotals(rows, days, (r) => r.lowerVersion === '2.0.0'),
      [3, 0],
    );
  });

  it('draws one bar per day scaled to the busiest day, with the numbers as text', () => {
    const svg = downloadsChart('All versions', ['2026-12-01', '2026-12-02', '2026-12-03'], [0, 5, 10]).markup;
    const heights = [...svg.matchAll(/<rect\s+class="bar"[^>]*\sheight="(\d+)"/g)].map((m) => Number(m[1]));
    assert.deepEqual(heights, [0, 46, 92]);
    assert.match(svg, /<title>2026-12-03: 10<\/title>/);
    assert.match(svg, /aria-label="All versions: 15 downloads in the last 3 days, at most 10 a day"/);
    assert.doesNotMatch(svg, /style=/);
  });
});
