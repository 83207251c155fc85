// Server-side render time of the web UI's pages (issue 14): a package page of an id with 5,000 versions (target
// < 50 ms) and a feed's home page (target < 20 ms), measured in-process through Fastify's inject() (the whole
// request: routing, authorization, stores, rendering), warm, sequentially. Part of `npm run bench`; alone:
// `npm run bench:web`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeNugget } from '../src/compose.ts';
import { configSchema } from '../src/config/config.ts';
import { defaultFeedName } from '../src/packages/feed.ts';
import { toPackageVersionRow } from '../src/storage/sql/sql-package-store.ts';
import { refreshSearchDocuments } from '../src/storage/sql/sqlite-search-index.ts';
import { buildNupkg } from '../test/fixtures/build-nupkg.ts';
import { demoPackages, demoReadme } from '../test/fixtures/demo-packages.ts';

export interface PageTiming {
  readonly name: string;
  readonly path: string;
  readonly targetMs: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  /** CPU time of this process per request (median): what the page costs, whatever else the machine runs. */
  readonly cpuMedianMs: number;
  readonly firstMs: number;
  readonly bytes: number;
}

const versionCount = 5_000;
const runs = 40;

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

export async function measureWebPages(): Promise<PageTiming[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'nugget-bench-web-'));
  const apiKey = 'bench-web-key-0123456789';
  const nugget = await composeNugget(configSchema.parse({ dataDir, apiKey, logLevel: 'silent' }), {
    downloadFlushMs: 0,
  });
  try {
    const push = async (nupkg: Buffer) => {
      const boundary = 'bench-web';
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="package"; filename="p.nupkg"\r\n\r\n`,
        ),
        nupkg,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const response = await nugget.app.inject({
        method: 'PUT',
        url: '/v3/package',
        headers: { 'x-nuget-apikey': apiKey, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: body,
      });
      if (response.statusCode !== 201)
        throw new Error(`push failed: ${response.statusCode} ${response.body}`);
    };
    for (const spec of demoPackages) await push(await buildNupkg(spec));
    await push(
      await buildNupkg({
        id: 'Contoso.Huge',
        version: '1.0.0',
        description: 'An id with thousands of versions.',
        readme: { path: 'README.md', content: demoReadme },
        tags: ['huge'],
      }),
    );
    // The other versions are copies of the pushed one's record (as bench/bulk-import.ts makes them), in one
    // transaction, with downloads on the last 90 days of some of them.
    const { stores } = await nugget.openFeed(defaultFeedName);
    const template = await stores.packages.findVersion('contoso.huge', '1.0.0');
    if (!template) throw new Error('the template version is missing');
    const today = Date.now();
    await nugget.db.transaction().execute(async (trx) => {
      const rows = [];
      const daily = [];
      for (let i = 1; i < versionCount; i++) {
        const version = `1.${Math.floor(i / 100)}.${i % 100}${i % 7 === 0 ? '-beta.1' : ''}`;
        rows.push(
          toPackageVersionRow(defaultFeedName, {
            ...template,
            version,
            lowerVersion: version,
            fullVersion: version,
            isPrerelease: version.includes('-'),
            listed: i % 50 !== 0,
            downloads: i * 3,
            published: new Date(today - (versionCount - i) * 3_600_000).toISOString(),
          }),
        );
        if (i > versionCount - 20) {
          for (let d = 0; d < 90; d++) {
            daily.push({
              feed: defaultFeedName,
              lower_id: 'contoso.huge',
              lower_version: version,
              day: new Date(today - d * 86_400_000).toISOString().slice(0, 10),
              downloads: (i + d) % 17,
            });
          }
        }
      }
      for (let i = 0; i < rows.length; i += 500)
        await trx
          .insertInto('package_versions')
          .values(rows.slice(i, i + 500))
          .execute();
      for (let i = 0; i < daily.length; i += 500) {
        await trx
          .insertInto('package_downloads_daily')
          .values(daily.slice(i, i + 500))
          .execute();
      }
      await refreshSearchDocuments(trx, defaultFeedName, 'contoso.huge');
    });
    const pages = [
      {
        name: `package page, ${versionCount} versions`,
        path: '/feeds/default/packages/Contoso.Huge/',
        targetMs: 50,
      },
      { name: 'home page', path: '/feeds/default/', targetMs: 20 },
      { name: 'search page', path: '/feeds/default/?q=json&prerelease=true', targetMs: 20 },
    ];
    const timings: PageTiming[] = [];
    for (const page of pages) {
      const times: number[] = [];
      const cpu: number[] = [];
      let bytes = 0;
      for (let i = 0; i < runs + 1; i++) {
        const started = performance.now();
        const cpuStarted = process.cpuUsage();
        const response = await nugget.app.inject({ method: 'GET', url: page.path });
        const used = process.cpuUsage(cpuStarted);
        times.push(performance.now() - started);
        if (i > 0) cpu.push((used.user + used.system) / 1000);
        if (response.statusCode !== 200) throw new Error(`${page.path}: ${response.statusCode}`);
        bytes = response.rawPayload.length;
      }
      const [first = 0, ...warm] = times;
      const sorted = warm.sort((a, b) => a - b);
      timings.push({
        ...page,
        firstMs: first,
        medianMs: percentile(sorted, 0.5),
        p95Ms: percentile(sorted, 0.95),
        cpuMedianMs: percentile(
          cpu.sort((a, b) => a - b),
          0.5,
        ),
        bytes,
      });
    }
    return timings;
  } finally {
    await nugget.close();
    await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** The rows of the benchmark's markdown table. */
export const webPageRows = (timings: readonly PageTiming[]): string[] =>
  timings.map(
    (t) =>
      `| web UI: ${t.name}, server render (median of ${runs}; p95 ${t.p95Ms.toFixed(1)} ms, CPU ${t.cpuMedianMs.toFixed(1)} ms, first ${t.firstMs.toFixed(0)} ms, ${(t.bytes / 1024).toFixed(0)} KB) | ${t.medianMs.toFixed(1)} ms | < ${t.targetMs} ms | ${t.medianMs < t.targetMs ? 'yes' : 'no'} |`,
  );

if (import.meta.main) {
  for (const row of webPageRows(await measureWebPages())) console.log(row);
}
