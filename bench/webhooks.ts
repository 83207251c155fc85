// Benchmark (not a test): what webhooks cost a push (docs/webhooks.md, docs/decisions/0018-webhooks-outbox-and-delivery.md).
// Pushes N packages through the whole server (in-process, inject, its delivery worker running) three ways: no
// subscription; a subscription whose receiver is dead (connection refused, the worker retrying every 100 ms to 1 s
// throughout, the worst case for contention on the database); a live receiver. Each on a fresh data dir, one
// after the other; --rounds repeats the sequence to see the noise of a shared machine.
// Run: npm run bench:webhooks [-- --pushes 1000 --rounds 1]
// Prints a markdown table and writes bench/results/webhooks-<date>.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildNupkg } from '../test/fixtures/build-nupkg.ts';
import { startFeed } from '../test/http/feed-fixture.ts';
import { freePort, startWebhookReceiver } from '../test/support/webhook-receiver.ts';

const { values } = parseArgs({
  options: {
    pushes: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '1' },
  },
});
const pushes = Number(values.pushes);
const rounds = Number(values.rounds);

type Receiver = 'none' | 'dead' | 'live';

interface Row {
  readonly receiver: Receiver;
  readonly round: number;
  readonly totalS: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** What the queue held at the end: the worker's work during the pushes. */
  readonly pending: number;
  readonly delivered: number;
  readonly attempts: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;

async function measure(receiver: Receiver, round: number): Promise<Row> {
  const live = receiver === 'live' ? await startWebhookReceiver() : undefined;
  const url = live?.url ?? `http://127.0.0.1:${await freePort()}/hook`;
  const feed = await startFeed({
    deliverWebhooks: { pollMs: 100 },
    config: { webhookAllowedNetworks: '127.0.0.1', webhookRetryMin: '100ms', webhookRetryMax: '1s' },
  });
  try {
    if (receiver !== 'none') {
      const added = await feed.request('POST', '/v3/admin/webhooks', {
        headers: { 'x-nuget-apikey': feed.apiKey ?? '', 'content-type': 'application/json' },
        body: JSON.stringify({ url, events: '*' }),
      });
      if (added.statusCode !== 201) throw new Error(`subscription: ${added.statusCode} ${added.body}`);
    }
    const packages = await Promise.all(
      Array.from({ length: pushes }, (_, i) => buildNupkg({ id: `Bench.Hook${i}`, version: '1.0.0' })),
    );
    for (const i of [0, 1]) await feed.push(await buildNupkg({ id: `Bench.Warm${i}`, version: '1.0.0' }));
    const times: number[] = [];
    const started = performance.now();
    for (const nupkg of packages) {
      const t = performance.now();
      const response = await feed.push(nupkg);
      if (response.statusCode !== 201) throw new Error(`push: ${response.statusCode} ${response.body}`);
      times.push(performance.now() - t);
    }
    const total = performance.now() - started;
    times.sort((a, b) => a - b);
    const stats = await feed.services.webhooks.store
      .listSubscriptions()
      .then(async ([subscription]) =>
        subscription
          ? feed.services.webhooks.store.listDeliveries(subscription.id, { limit: pushes + 10 })
          : [],
      );
    return {
      receiver,
      round,
      totalS: total / 1000,
      meanMs: total / pushes,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      pending: stats.filter((d) => d.status === 'pending').length,
      delivered: stats.filter((d) => d.status === 'delivered').length,
      attempts: stats.reduce((sum, d) => sum + d.attempts, 0),
    };
  } finally {
    await feed.close();
    await live?.close();
  }
}

const rows: Row[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const receiver of ['none', 'dead', 'live'] as const) {
    const row = await measure(receiver, round);
    rows.push(row);
    console.error(`round ${round}, ${receiver}: ${row.totalS.toFixed(1)} s`);
  }
}

const fmt = (n: number) => n.toFixed(2);
const load = loadavg().map((n) => n.toFixed(1));
const lines = [
  `Webhooks, ${pushes} pushes per row through the in-process server with its delivery worker; ` +
    `${cpus().length} CPUs, load average ${load.join(' ')} at the end (a busy machine makes every row slower)`,
  '',
  '| receiver | round | total s | mean ms/push | p50 ms | p99 ms | pending at end | delivered | attempts |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.receiver} | ${r.round} | ${fmt(r.totalS)} | ${fmt(r.meanMs)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ` +
      `${r.pending} | ${r.delivered} | ${r.attempts} |`,
  ),
];
console.log(lines.join('\n'));
const date = new Date().toISOString().slice(0, 10);
const out = join(import.meta.dirname, 'results', `webhooks-${date}.json`);
await mkdir(dirname(out), { recursive: true });
await writeFile(
  out,
  `${JSON.stringify({ date, pushes, rounds, cpus: cpus().length, loadavg: load, rows }, null, 2)}\n`,
);
