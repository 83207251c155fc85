// The upstreams of the upstream tests, checked on their own before anything proxies them: the static nuget.org-like
// feed (three origins, gzip hive, paged registration for an id with more than 128 versions, VulnerabilityInfo
// with two pages) and the second nugget loaded with the real nuget.org packages. Also proves that the URL crawler
// (test/support/url-crawler.ts) can fail: pointed at a feed whose documents name another origin, it reports them.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWorkspace, type Workspace } from './harness.ts';
import { crawlFeedUrls } from '../support/url-crawler.ts';
import { type StaticFeed, startStaticV3Feed } from '../support/static-v3-feed.ts';
import {
  manyVersions,
  type NuggetUpstream,
  realPackageFiles,
  startNuggetUpstream,
} from '../support/nugget-upstream.ts';

const manyId = 'Upstream.Many';
const manyCount = 140;

describe('upstream fixtures', { timeout: 300_000 }, () => {
  let workspace: Workspace;
  let staticFeed: StaticFeed | undefined;
  let nugget: NuggetUpstream | undefined;

  before(async () => {
    workspace = await createWorkspace('nugget-upstream-fixtures-');
    const files: string[] = [];
    const dir = await workspace.makeDir('many');
    for (const [i, bytes] of (await manyVersions(manyId, manyCount)).entries()) {
      const file = path.join(dir, `${i}.nupkg`);
      await writeFile(file, bytes);
      files.push(file);
    }
    staticFeed = await startStaticV3Feed({
      dir: await workspace.makeDir('static-feed'),
      packages: [...realPackageFiles().map((file) => ({ file })), ...files.map((file) => ({ file }))],
      advisories: [
        {
          lowerId: 'newtonsoft.json',
          url: 'https://example.test/advisory/1',
          severity: 2,
          versions: '(, 13.0.4)',
        },
      ],
    });
  });

  after(async () => {
    await staticFeed?.stop();
    await nugget?.stop();
    await workspace?.dispose();
  });

  it('the static feed serves every document it links, on three origins, with a paged gzip registration', async () => {
    assert.ok(staticFeed);
    const { api, content, search } = staticFeed.origins;
    assert.equal(new Set([api, content, search]).size, 3, 'three distinct origins');
    const report = await crawlFeedUrls({
      serviceIndexUrl: staticFeed.serviceIndexUrl,
      forbiddenOrigins: [],
      followOrigins: [api, content, search],
    });
    assert.deepEqual(report.problems, []);
    const lowerMany = manyId.toLowerCase();
    assert.ok(report.ids.has(lowerMany) && report.ids.has('newtonsoft.json'), [...report.ids].join(', '));
    const pages = [...report.visited.keys()].filter((url) => url.includes(`/${lowerMany}/page/`));
    assert.equal(
      pages.length,
      Math.ceil(manyCount / 64),
      `pages stored outside the index: ${pages.join(', ')}`,
    );

    const index = await fetch(`${api}/v3/registration5-gz-semver2/${lowerMany}/index.json`);
    assert.equal(index.headers.get('content-encoding'), 'gzip');
    const body = (await index.json()) as { items: { items?: unknown }[] };
    assert.ok(
      body.items.every((page) => page.items === undefined),
      'pages are not inlined past 128 versions',
    );
    const vulnerabilities = (await (await fetch(`${api}/v3/vulnerabilities/index.json`)).json()) as unknown[];
    assert.equal(vulnerabilities.length, 2);
  });

  it('the crawler reports every URL that names a forbidden origin', async () => {
    assert.ok(staticFeed);
    const { api, content, search } = staticFeed.origins;
    // Pretend the flat container's origin is an upstream: every packageContent, readme and the base address leak.
    const report = await crawlFeedUrls({
      serviceIndexUrl: staticFeed.serviceIndexUrl,
      forbiddenOrigins: [content],
      followOrigins: [api, search],
    });
    const leaks = report.problems.filter((problem) => problem.includes(`names the upstream ${content}`));
    assert.ok(
      leaks.some((problem) => /PackageBaseAddress|resources\[0\]/.test(problem)),
      leaks.join('\n'),
    );
    assert.ok(
      leaks.some((problem) => problem.includes('packageContent')),
      leaks.join('\n'),
    );
    assert.ok(
      leaks.some((problem) => problem.includes(`/${manyId.toLowerCase()}/page/`)),
      'leaks in registration pages stored outside the index are found too',
    );
  });

  it('the nugget upstream serves the real packages, and refuses connections once stopped', async () => {
    nugget = await startNuggetUpstream(workspace, {
      packages: [...realPackageFiles(), ...(await manyVersions(manyId, manyCount))],
      deprecations: [
        { id: 'xunit.assert', version: '2.9.3', reasons: ['Legacy'], message: 'Use Contoso.Assert.' },
      ],
      advisories: [
        {
          packageId: 'Newtonsoft.Json',
          url: 'https://example.test/advisory/1',
          severity: 'high',
          versions: '(, 13.0.4)',
        },
      ],
    });
    const report = await crawlFeedUrls({ serviceIndexUrl: nugget.serviceIndexUrl, forbiddenOrigins: [] });
    assert.deepEqual(report.problems, []);
    assert.ok(report.ids.has('system.reflection.metadata') && report.ids.has(manyId.toLowerCase()));
    // Every URL its documents hold is on the counting proxy, so every request a proxy of it makes is counted.
    assert.ok(
      [...report.visited.keys()].every((url) => url.startsWith(nugget?.proxy.origin ?? '?')),
      'every link goes through the counting proxy',
    );
    assert.equal(nugget.proxy.requests.length, report.visited.size);
    await nugget.stop();
    await assert.rejects(fetch(nugget.serviceIndexUrl), 'a stopped upstream refuses connections');
  });
});
