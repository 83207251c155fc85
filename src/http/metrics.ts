// Prometheus metrics at /metrics (routes/operations.ts; docs/operations.md lists every name). prom-client keeps
// the registry, the process metrics and the counters and gauges read at scrape time, loaded at the first scrape;
// the request histogram is kept here in plain numbers, because the raw-HTTP fast path (front-cache.ts) records into it and must stay as fast as
// a counter increment: each cell (route, method, status) is looked up once and then only incremented, with no
// label objects or hashing per request. Labels are bounded: the route is the pattern a route was registered with
// (never the URL), the method one of a fixed few, the status a number.
import type { Registry } from 'prom-client';
import { isNuggetError } from '../errors.ts';
import type { WebhookQueueStats } from '../packages/ports.ts';

/** Seconds; from a memory answer (well under a millisecond) to a long push. */
export const latencyBuckets = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
] as const;

/** The label a request that matched no route carries (404s of unknown paths, probes, scanners). */
export const unmatchedRoute = 'unmatched';

const knownMethods = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH']);

/** One series of the request histogram. */
export class RequestCell {
  count = 0;
  sum = 0;
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly buckets = new Float64Array(latencyBuckets.length + 1);

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    let i = 0;
    while (i < latencyBuckets.length && seconds > latencyBuckets[i]!) i++;
    this.buckets[i]!++;
  }
}

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Requests by route, method and status, with their latency: both paths record here. */
export class RequestMetrics {
  readonly #cells = new Map<string, Map<string, Map<number, RequestCell>>>();

  cell(route: string | undefined, method: string | undefined, status: number): RequestCell {
    const routeLabel = route || unmatchedRoute;
    const methodLabel = method && knownMethods.has(method) ? method : 'other';
    let byMethod = this.#cells.get(routeLabel);
    if (!byMethod) this.#cells.set(routeLabel, (byMethod = new Map()));
    let byStatus = byMethod.get(methodLabel);
    if (!byStatus) byMethod.set(methodLabel, (byStatus = new Map()));
    let cell = byStatus.get(status);
    if (!cell) byStatus.set(status, (cell = new RequestCell()));
    return cell;
  }

  /** The two families in the Prometheus text format (0.0.4). */
  exposition(): string {
    const total: string[] = [
      '# HELP nugget_http_requests_total HTTP requests answered, by route pattern, method and status.',
      '# TYPE nugget_http_requests_total counter',
    ];
    const histogram: string[] = [
      '# HELP nugget_http_request_duration_seconds Time from the arrival of a request to its answer handed to the socket.',
      '# TYPE nugget_http_request_duration_seconds histogram',
    ];
    for (const [route, byMethod] of this.#cells) {
      for (const [method, byStatus] of byMethod) {
        for (const [status, cell] of byStatus) {
          const labels = `route="${escapeLabel(route)}",method="${method}",status="${status}"`;
          total.push(`nugget_http_requests_total{${labels}} ${cell.count}`);
          let cumulative = 0;
          latencyBuckets.forEach((bound, i) => {
            cumulative += cell.buckets[i]!;
            histogram.push(
              `nugget_http_request_duration_seconds_bucket{${labels},le="${bound}"} ${cumulative}`,
            );
          });
          histogram.push(`nugget_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${cell.count}`);
          histogram.push(`nugget_http_request_duration_seconds_sum{${labels}} ${cell.sum}`);
          histogram.push(`nugget_http_request_duration_seconds_count{${labels}} ${cell.count}`);
        }
      }
    }
    return `${total.join('\n')}\n\n${histogram.join('\n')}\n`;
  }
}

/** Hits and misses of one read cache, counted where the cache decides (response-cache.ts, front-cache.ts). */
export class CacheStats {
  hits = 0;
  misses = 0;
}

/** What a database pool reports (pg's Pool has these three). */
export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export type PushKind = 'package' | 'symbols';

/**
 * Every metric of one server; built in compose.ts, read by GET /metrics. What the server counts is kept in plain
 * numbers; prom-client (its registry, the process metrics) is loaded at the first scrape, so a node nobody scrapes,
 * and every CLI command, neither loads it nor pays its memory.
 */
export class Metrics {
  readonly requests = new RequestMetrics();
  readonly #caches = new Map<string, CacheStats>();
  readonly #pushes = new Map<string, { readonly kind: PushKind; readonly outcome: string; count: number }>();
  readonly #pushedBytes = new Map<PushKind, number>();
  readonly #gauges: { readonly name: string; readonly help: string; readonly read: () => number }[] = [];
  readonly #upstreamCounts = new Map<
    string,
    { upstream: string; kind: string; outcome: string; count: number }
  >();
  readonly #upstreamLatency = new Map<
    string,
    { upstream: string; kind: string; buckets: Float64Array; sum: number; count: number }
  >();
  #breakers: () => readonly { readonly upstream: string; readonly state: 'closed' | 'half-open' | 'open' }[] =
    () => [];
  readonly #processMetrics: boolean;
  readonly #webhookOutcomes = new Map<string, number>();
  #webhookQueue: (() => Promise<WebhookQueueStats>) | undefined;
  #registry: Promise<Registry> | undefined;
  #gather: (() => Promise<readonly WorkerExposition[]>) | undefined;

  constructor(options: { processMetrics?: boolean } = {}) {
    this.#processMetrics = options.processMetrics ?? true;
  }

  /** Counts a push's outcome; `bytes` only for one that was stored. */
  push(kind: PushKind, outcome: string, bytes?: number): void {
    const key = `${kind} ${outcome}`;
    const entry = this.#pushes.get(key);
    if (entry) entry.count++;
    else this.#pushes.set(key, { kind, outcome, count: 1 });
    if (bytes !== undefined) this.#pushedBytes.set(kind, (this.#pushedBytes.get(kind) ?? 0) + bytes);
  }

  /** Counts an answer about an upstream feed (docs/upstreams.md): hit, miss, stale or error. */
  upstream(
    upstream: string,
    kind: 'metadata' | 'package',
    outcome: 'hit' | 'miss' | 'stale' | 'error',
  ): void {
    const key = `${upstream} ${kind} ${outcome}`;
    const entry = this.#upstreamCounts.get(key);
    if (entry) entry.count++;
    else this.#upstreamCounts.set(key, { upstream, kind, outcome, count: 1 });
  }

  /** Records how long one request to an upstream took. */
  upstreamLatency(upstream: string, kind: 'metadata' | 'package', seconds: number): void {
    const key = `${upstream} ${kind}`;
    let cell = this.#upstreamLatency.get(key);
    if (!cell) {
      cell = { upstream, kind, buckets: new Float64Array(latencyBuckets.length + 1), sum: 0, count: 0 };
      this.#upstreamLatency.set(key, cell);
    }
    let i = 0;
    while (i < latencyBuckets.length && seconds > latencyBuckets[i]!) i++;
    cell.buckets[i]! += 1;
    cell.sum += seconds;
    cell.count += 1;
  }

  /** The upstreams' breaker states, read at each scrape. */
  watchBreakers(
    read: () => readonly { readonly upstream: string; readonly state: 'closed' | 'half-open' | 'open' }[],
  ): void {
    this.#breakers = read;
  }

  #upstreamExposition(): string {
    const escape = (text: string) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const lines: string[] = [];
    lines.push(
      '# HELP nugget_upstream_requests_total Answers about upstream feeds: hit (kept, fresh), miss (asked the upstream), stale (answered from what was kept), error (the upstream failed).',
      '# TYPE nugget_upstream_requests_total counter',
    );
    for (const { upstream, kind, outcome, count } of this.#upstreamCounts.values()) {
      lines.push(
        `nugget_upstream_requests_total{upstream="${escape(upstream)}",kind="${kind}",outcome="${outcome}"} ${count}`,
      );
    }
    lines.push(
      '# HELP nugget_upstream_breaker_state The circuit breaker of each upstream feed: 0 closed, 1 half-open, 2 open.',
      '# TYPE nugget_upstream_breaker_state gauge',
    );
    for (const { upstream, state } of this.#breakers()) {
      lines.push(
        `nugget_upstream_breaker_state{upstream="${escape(upstream)}"} ${state === 'closed' ? 0 : state === 'half-open' ? 1 : 2}`,
      );
    }
    lines.push(
      '# HELP nugget_upstream_request_duration_seconds How long requests to upstream feeds took.',
      '# TYPE nugget_upstream_request_duration_seconds histogram',
    );
    for (const { upstream, kind, buckets, sum, count } of this.#upstreamLatency.values()) {
      const labels = `upstream="${escape(upstream)}",kind="${kind}"`;
      let cumulative = 0;
      latencyBuckets.forEach((le, i) => {
        cumulative += buckets[i]!;
        lines.push(`nugget_upstream_request_duration_seconds_bucket{${labels},le="${le}"} ${cumulative}`);
      });
      lines.push(`nugget_upstream_request_duration_seconds_bucket{${labels},le="+Inf"} ${count}`);
      lines.push(`nugget_upstream_request_duration_seconds_sum{${labels}} ${sum}`);
      lines.push(`nugget_upstream_request_duration_seconds_count{${labels}} ${count}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** Makes a read cache's hits and misses part of the metrics. */
  watchCache(name: string, stats: CacheStats): void {
    this.#caches.set(name, stats);
  }

  /** The database pool's connections, read at each scrape. */
  watchPool(pool: PoolStats): void {
    this.gauge('nugget_db_pool_connections', 'Connections the database pool holds.', () => pool.totalCount);
    this.gauge(
      'nugget_db_pool_idle_connections',
      'Connections of the pool not in use.',
      () => pool.idleCount,
    );
    this.gauge(
      'nugget_db_pool_waiting_requests',
      'Queries waiting for a connection of the pool: above zero for long, the pool is too small.',
      () => pool.waitingCount,
    );
  }

  /** Counts a webhook delivery attempt by what came of it: delivered, retry (later) or failed (given up). */
  webhookOutcome(outcome: string): void {
    this.#webhookOutcomes.set(outcome, (this.#webhookOutcomes.get(outcome) ?? 0) + 1);
  }

  /** The webhook queue, read from the database at each scrape (every node sees the whole queue). */
  watchWebhookQueue(read: () => Promise<WebhookQueueStats>): void {
    this.#webhookQueue = read;
  }

  /** A gauge read at each scrape. */
  gauge(name: string, help: string, read: () => number): void {
    this.#gauges.push({ name, help, read });
  }

  /**
   * In a worker process (--workers): /metrics answers with every worker's series, which `gather` collects
   * (src/cli/workers.ts), each labelled with its worker.
   */
  gatherWith(gather: () => Promise<readonly WorkerExposition[]>): void {
    this.#gather = gather;
  }

  /** Everything, in the Prometheus text format, with its content type: every worker's, labelled, with workers. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    this.#registry ??= this.#loadRegistry();
    const registry = await this.#registry;
    const text = this.#gather ? labelByWorker(await this.#gather()) : await this.localExposition();
    return { contentType: registry.contentType, text };
  }

  /** This process's own series. */
  async localExposition(): Promise<string> {
    this.#registry ??= this.#loadRegistry();
    const registry = await this.#registry;
    return `${await registry.metrics()}\n${this.requests.exposition()}${this.#upstreamExposition()}`;
  }

  async #loadRegistry(): Promise<Registry> {
    const { collectDefaultMetrics, Counter, Gauge, Registry } = await import('prom-client');
    const registry = new Registry();
    if (this.#processMetrics) collectDefaultMetrics({ register: registry });
    const registers = [registry];
    const pushes = this.#pushes;
    const pushedBytes = this.#pushedBytes;
    const caches = this.#caches;
    // The counts live in plain numbers; each scrape copies them over (reset, then the totals).
    new Counter({
      name: 'nugget_pushes_total',
      help: 'Pushes of packages and symbol packages, by outcome: created, or the error code the client got.',
      labelNames: ['kind', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const { kind, outcome, count } of pushes.values()) this.inc({ kind, outcome }, count);
      },
    });
    new Counter({
      name: 'nugget_pushed_bytes_total',
      help: 'Bytes of the packages and symbol packages pushed and stored.',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const [kind, bytes] of pushedBytes) this.inc({ kind }, bytes);
      },
    });
    for (const [name, help, read] of [
      ['nugget_cache_hits_total', 'Reads answered from a read cache, by cache.', (s: CacheStats) => s.hits],
      [
        'nugget_cache_misses_total',
        'Reads a read cache could not answer, by cache.',
        (s: CacheStats) => s.misses,
      ],
    ] as const) {
      new Counter({
        name,
        help,
        labelNames: ['cache'],
        registers,
        collect() {
          this.reset();
          for (const [cache, stats] of caches) this.inc({ cache }, read(stats));
        },
      });
    }
    const outcomes = this.#webhookOutcomes;
    new Counter({
      name: 'nugget_webhook_deliveries_total',
      help: 'Webhook delivery attempts of this node, by result: delivered, retry (will be tried again) or failed (gave up).',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        for (const [result, count] of outcomes) this.inc({ result }, count);
      },
    });
    const readQueue = this.#webhookQueue;
    if (readQueue) {
      // One query per scrape for the three families.
      let scrape: { at: number; stats: Promise<WebhookQueueStats> } | undefined;
      const stats = () => {
        if (!scrape || Date.now() - scrape.at > 1000) scrape = { at: Date.now(), stats: readQueue() };
        return scrape.stats;
      };
      new Gauge({
        name: 'nugget_webhook_queue_depth',
        help: 'Webhook deliveries waiting to be sent (pending), on every node together.',
        registers,
        async collect() {
          this.set((await stats()).pending);
        },
      });
      new Gauge({
        name: 'nugget_webhook_oldest_pending_seconds',
        help: 'Age of the oldest pending webhook delivery: growing, a receiver is down or deliveries are not sent.',
        registers,
        async collect() {
          this.set((await stats()).oldestPendingSeconds);
        },
      });
      new Gauge({
        name: 'nugget_webhook_deliveries',
        help: 'Webhook deliveries in the delivery log, by status (dropped: not queued, the queue was full).',
        labelNames: ['status'],
        registers,
        async collect() {
          for (const [status, count] of Object.entries((await stats()).byStatus)) this.set({ status }, count);
        },
      });
    }
    for (const { name, help, read } of this.#gauges) {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    }
    return registry;
  }
}

/** One worker's series in the Prometheus text format, and the worker's number. */
export interface WorkerExposition {
  readonly worker: string;
  readonly text: string;
}

/** `name{a="b"} 1` -> `name{worker="2",a="b"} 1`; `name 1` -> `name{worker="2"} 1`. */
function withWorkerLabel(sample: string, worker: string): string {
  const space = sample.indexOf(' ');
  const brace = sample.indexOf('{');
  const label = `worker="${escapeLabel(worker)}"`;
  if (brace === -1 || (space !== -1 && space < brace)) {
    return `${sample.slice(0, space)}{${label}}${sample.slice(space)}`;
  }
  const rest = sample.slice(brace + 1);
  return `${sample.slice(0, brace + 1)}${label}${rest.startsWith('}') ? '' : ','}${rest}`;
}

/**
 * Several workers' expositions as one: each metric family once (its HELP and TYPE), with every worker's samples
 * under it, labelled `worker`. Counters stay per worker, so a worker that restarts is a reset of its own series
 * (which rate() handles), never a drop in a sum; `sum without (worker) (...)` gives the server's total.
 */
export function labelByWorker(parts: readonly WorkerExposition[]): string {
  const families = new Map<string, { meta: string[]; samples: string[] }>();
  for (const { worker, text } of parts) {
    let family: { meta: string[]; samples: string[] } | undefined;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        const name = meta[2]!;
        family = families.get(name);
        if (!family) families.set(name, (family = { meta: [], samples: [] }));
        if (!family.meta.some((known) => known.startsWith(`# ${meta[1]} `))) family.meta.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      if (!family) {
        // A sample before any HELP or TYPE: a family of its own name.
        const name = /^[^{\s]+/.exec(line)?.[0] ?? line;
        family = families.get(name);
        if (!family) families.set(name, (family = { meta: [], samples: [] }));
      }
      family.samples.push(withWorkerLabel(line, worker));
    }
  }
  const lines: string[] = [];
  for (const { meta, samples } of families.values()) lines.push(...meta, ...samples);
  return `${lines.join('\n')}\n`;
}

/** The error's code (NuggetError codes, Fastify's FST_ codes, system codes such as ENOSPC): finite sets. */
function outcomeOf(error: unknown): string {
  if (isNuggetError(error)) return error.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(code) ? code : 'internal_error';
}

/** Runs a push and counts it: 'created' with the bytes stored, or the error code the client got. */
export async function countedPush(
  feed: { readonly metrics: Metrics },
  kind: PushKind,
  push: () => Promise<number>,
): Promise<void> {
  let bytes: number;
  try {
    bytes = await push();
  } catch (error) {
    feed.metrics.push(kind, outcomeOf(error));
    throw error;
  }
  feed.metrics.push(kind, 'created', bytes);
}
