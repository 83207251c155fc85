// The URL crawler (test/support/url-crawler.ts) over every upstream and virtual feed of a nugget: one upstream
// feed over the static nuget.org-like feed (registration on another origin than the flat container, gzip hive,
// pages of an id with more than 128 versions stored outside its index, two VulnerabilityInfo pages), one over a
// second nugget holding the real nuget.org packages, and a virtual feed over each (with a hosted member). No URL
// in any document (nor any header) of any of the four may name an upstream host, and every link must answer.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { createWorkspace, type FeedServer, startFeed, type Workspace } from './harness.ts';
import { createFeed, pushToFeed } from '../support/feed-admin.ts';
import {
  manyVersions,
  type NuggetUpstream,
  realPackageFiles,
  startNuggetUpstream,
} from '../support/nugget-upstream.ts';
import { type StaticFeed, startStaticV3Feed } from '../support/static-v3-feed.ts';
import { assertNoUpstreamUrls } from '../support/url-crawler.ts';

const manyId = 'Upstream.Many';
// The crawl downloads every listed version through every feed: the real packages up to 2.5 MB keep it quick
// (the dependency graph, Newtonsoft.Json and its advisory stay in; the 10 MB code-coverage package goes).
const realPackages = () => realPackageFiles().filter((file) => statSync(file).size <= 2_500_000);
const manyCount = 140;

describe('no upstream URL in any document of an upstream or virtual feed', { timeout: 900_000 }, () => {
  let workspace: Workspace | undefined;
  let staticFeed: StaticFeed | undefined;
  let nugget: NuggetUpstream | undefined;
  let server: FeedServer | undefined;
  let base = '';
  let forbidden: string[] = [];

  before(async () => {
    workspace = await createWorkspace('nugget-e2e-upstream-urls-');
    const many = await manyVersions(manyId, manyCount);
    const dir = await workspace.makeDir('many');
    const files: string[] = [];
    for (const [i, bytes] of many.entries()) {
      const file = path.join(dir, `${i}.nupkg`);
      await writeFile(file, bytes);
      files.push(file);
    }
    const readme = await buildNupkg({
      id: 'Upstream.WithReadme',
      version: '1.0.0',
      readme: { path: 'README.md', content: '# hello' },
      icon: { path: 'icon.png', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
    });
    const readmeFile = path.join(dir, 'readme.nupkg');
    await writeFile(readmeFile, readme);
    staticFeed = await startStaticV3Feed({
      dir: await workspace.makeDir('static-feed'),
      packages: [
        ...realPackages().map((file) => ({ file })),
        ...files.map((file) => ({ file })),
        {
          file: readmeFile,
          deprecation: {
            reasons: ['Legacy'],
            message: 'old',
            alternatePackage: { id: 'Newtonsoft.Json', range: '[13.0.3, )' },
          },
          vulnerabilities: [{ advisoryUrl: 'https://example.test/advisory/2', severity: '1' }],
        },
      ],
      advisories: [
        {
          lowerId: 'newtonsoft.json',
          url: 'https://example.test/advisory/1',
          severity: 2,
          versions: '(, 13.0.4)',
        },
        {
          lowerId: 'upstream.withreadme',
          url: 'https://example.test/advisory/2',
          severity: 1,
          versions: '[1.0.0]',
        },
      ],
    });
    nugget = await startNuggetUpstream(workspace, {
      packages: [...realPackages(), ...many, readme],
      advisories: [
        {
          packageId: 'Newtonsoft.Json',
          url: 'https://example.test/advisory/1',
          severity: 'high',
          versions: '(, 13.0.4)',
        },
      ],
    });
    server = await startFeed(workspace, { processGroup: true });
    base = new URL(server.serviceIndexUrl).origin;
    await createFeed(base, server.apiKey, 'internal');
    await pushToFeed(
      base,
      server.apiKey,
      'internal',
      await buildNupkg({ id: 'Contoso.Internal', version: '1.0.0' }),
    );
    await createFeed(base, server.apiKey, 'static-up', {
      kind: 'upstream',
      source: staticFeed.serviceIndexUrl,
    });
    await createFeed(base, server.apiKey, 'nugget-up', { kind: 'upstream', source: nugget.serviceIndexUrl });
    await createFeed(base, server.apiKey, 'static-all', {
      kind: 'virtual',
      members: ['internal', 'static-up'],
    });
    await createFeed(base, server.apiKey, 'nugget-all', {
      kind: 'virtual',
      members: ['internal', 'nugget-up'],
    });
    forbidden = [
      ...Object.values(staticFeed.origins),
      nugget.proxy.origin,
      new URL(nugget.server.serviceIndexUrl).origin,
    ];
  });

  after(async () => {
    await staticFeed?.stop();
    await nugget?.stop();
    await server?.stop();
    await workspace?.dispose();
  });

  // Upstream feeds list only what their upstream's search names; the ids below make the crawl reach every one.
  const ids = [
    manyId,
    'Upstream.WithReadme',
    'Newtonsoft.Json',
    'xunit.extensibility.core',
    'System.Reflection.Metadata',
  ];

  for (const feed of ['static-up', 'static-all', 'nugget-up', 'nugget-all']) {
    it(`feed ${feed}`, async () => {
      const report = await assertNoUpstreamUrls({
        serviceIndexUrl: `${base}/feeds/${feed}/v3/index.json`,
        forbiddenOrigins: forbidden,
        ids,
      });
      const visited = [...report.visited.keys()];
      // The paged registration of the id with more than 128 versions was crawled, pages included.
      assert.ok(
        visited.some((url) => url.includes(`/${manyId.toLowerCase()}/`) && /page/i.test(url)),
        `no registration page of ${manyId} was visited`,
      );
      assert.ok(
        visited.some((url) => url.includes('/vulnerabilities/')),
        'VulnerabilityInfo was crawled',
      );
      assert.ok(
        visited.some((url) => /\/readme$/.test(url)),
        'a readme was crawled',
      );
      if (feed.endsWith('-all'))
        assert.ok(report.ids.has('contoso.internal'), 'the hosted member is in the crawl');
    });
  }
});
