import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AdvisoryMirrorDeps,
  mirrorUpstreamAdvisories,
  startAdvisoryMirror,
} from './mirror-upstream-advisories.ts';
import type { AdvisoryInput, AdvisoryStore } from './ports.ts';

/** An advisory store that records what each import brought. */
function recordingStore() {
  const imports: { advisories: readonly AdvisoryInput[]; replace: boolean }[] = [];
  const store = {
    importAdvisories: async (advisories: readonly AdvisoryInput[], options: { replace: boolean }) => {
      imports.push({ advisories, replace: options.replace });
      return { added: advisories.length, changed: 0, removed: 0, unchanged: 0, catalogEntries: 0 };
    },
  } as unknown as AdvisoryStore;
  return { store, imports };
}

const upstreamDocuments = (severity: number): Record<string, unknown> => ({
  'https://up/v3/index.json': {
    version: '3.0.0',
    resources: [{ '@id': 'https://up/vuln/index.json', '@type': 'VulnerabilityInfo/6.7.0' }],
  },
  'https://up/vuln/index.json': [
    { '@name': 'base', '@id': 'https://up/vuln/base.json', '@updated': '2024-01-01T00:00:00Z' },
  ],
  'https://up/vuln/base.json': {
    'newtonsoft.json': [{ url: 'https://x/1', severity, versions: '(, 13.0.4)' }],
  },
});

describe('mirrorUpstreamAdvisories', () => {
  it("replaces the feed's copy with every advisory the upstream publishes", async () => {
    const { store, imports } = recordingStore();
    const documents = upstreamDocuments(2);
    const summary = await mirrorUpstreamAdvisories(
      { advisories: store, fetchJson: async (url) => documents[url] },
      { serviceIndexUrl: 'https://up/v3/index.json' },
    );
    assert.equal(summary.added, 1);
    assert.equal(imports.length, 1);
    assert.equal(imports[0]?.replace, true, 'an advisory the upstream withdrew goes too');
    assert.deepEqual(
      imports[0]?.advisories.map((a) => [a.lowerId, a.severity, a.versions]),
      [['newtonsoft.json', 2, '(, 13.0.4)']],
    );
  });
});

describe('startAdvisoryMirror', () => {
  /** Timers run only when the test says so. */
  function manualTimers() {
    const pending: { run: () => void; ms: number }[] = [];
    return {
      pending,
      setTimer: (run: () => void, ms: number) => {
        const timer = { run, ms };
        pending.push(timer);
        return timer;
      },
      clearTimer: (timer: unknown) => {
        const at = pending.indexOf(timer as (typeof pending)[number]);
        if (at >= 0) pending.splice(at, 1);
      },
      async fire() {
        const timer = pending.shift();
        assert.ok(timer, 'a timer is pending');
        timer.run();
        // Let the run (a chain of awaited promises) finish.
        for (let i = 0; i < 50; i++) await Promise.resolve();
        return timer.ms;
      },
    };
  }

  it('mirrors every upstream after the first delay, then every interval; one failing upstream does not stop the others', async () => {
    const timers = manualTimers();
    const good = recordingStore();
    const reports: string[] = [];
    const documents = upstreamDocuments(3);
    const deps: AdvisoryMirrorDeps = {
      listUpstreams: async () => [
        { feed: 'down', source: 'https://down/v3/index.json', advisories: recordingStore().store },
        { feed: 'nuget-org', source: 'https://up/v3/index.json', advisories: good.store },
      ],
      fetchJson: async (url) => {
        if (url.startsWith('https://down/')) throw new Error('connect ECONNREFUSED');
        return documents[url];
      },
      report: (feed, outcome) =>
        reports.push(`${feed}: ${'error' in outcome ? outcome.error.message : 'ok'}`),
      setTimer: timers.setTimer,
      clearTimer: timers.clearTimer,
    };
    const mirror = startAdvisoryMirror(deps, { intervalMs: 6 * 3600_000, firstDelayMs: 5_000 });
    assert.equal(await timers.fire(), 5_000);
    assert.deepEqual(reports, ['down: connect ECONNREFUSED', 'nuget-org: ok']);
    assert.equal(good.imports.length, 1);
    assert.equal(timers.pending[0]?.ms, 6 * 3600_000, 'the next run is an interval later');
    await timers.fire();
    assert.equal(good.imports.length, 2);
    mirror.stop();
    assert.equal(timers.pending.length, 0, 'stop() clears the timer');
  });

  it('runNow() mirrors at once and shares a run already going', async () => {
    const timers = manualTimers();
    const good = recordingStore();
    const documents = upstreamDocuments(1);
    const mirror = startAdvisoryMirror(
      {
        listUpstreams: async () => [
          { feed: 'nuget-org', source: 'https://up/v3/index.json', advisories: good.store },
        ],
        fetchJson: async (url) => documents[url],
        report: () => {},
        setTimer: timers.setTimer,
        clearTimer: timers.clearTimer,
      },
      { intervalMs: 1000, firstDelayMs: 1000 },
    );
    await Promise.all([mirror.runNow(), mirror.runNow()]);
    assert.equal(good.imports.length, 1);
    mirror.stop();
  });
});
