import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startIdleCollector } from './idle-collector.ts';

/** A process whose CPU use per interval the test sets: each interval's figure is taken from `plan` in turn. */
function fakeProcess(plan: readonly number[]) {
  let total = 0;
  let step = 0;
  const collected: number[] = [];
  return {
    collected,
    deps: {
      cpuUsage: (since?: NodeJS.CpuUsage) => {
        const now = { user: total, system: 0 };
        return since ? { user: now.user - since.user, system: 0 } : now;
      },
      collect: () => {
        collected.push(step);
        return true;
      },
    },
    /** One interval of `plan[step]` microseconds of CPU. */
    advance() {
      total += plan[step] ?? 0;
      step++;
    },
  };
}

const busy = 1_000_000;
const idle = 1_000;

test('the first idle interval after start-up collects once, and later idle intervals do not', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const fake = fakeProcess([idle, idle, idle]);
  const collector = startIdleCollector(5_000, fake.deps);
  for (let i = 0; i < 3; i++) {
    fake.advance();
    t.mock.timers.tick(5_000);
  }
  collector.stop();
  assert.deepEqual(fake.collected, [1]);
  assert.equal(collector.collections, 1);
});

test('never under load: one collection per busy-to-idle turn', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const fake = fakeProcess([busy, busy, busy, idle, idle, busy, 100_000, idle]);
  const collector = startIdleCollector(5_000, fake.deps);
  for (let i = 0; i < 8; i++) {
    fake.advance();
    t.mock.timers.tick(5_000);
  }
  collector.stop();
  // After the intervals numbered 4 (first idle after start and load) and 8 (idle after the second burst); the
  // interval of 100 ms CPU is neither busy nor idle.
  assert.deepEqual(fake.collected, [4, 8]);
});
