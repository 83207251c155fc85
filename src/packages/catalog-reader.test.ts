import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CatalogStep, commitTimeStampKey, openCatalog } from './catalog-reader.ts';
import { type RemoteFeed, RemoteFeedError } from './remote-feed.ts';

describe('commitTimeStampKey', () => {
  const keys: [string, string | undefined][] = [
    ['2015-02-01T06:22:45.8488496Z', '2015-02-01T06:22:45.848849600'],
    ['2015-02-01T06:22:45Z', '2015-02-01T06:22:45.000000000'],
    ['2015-02-01T06:22:45.5z', '2015-02-01T06:22:45.500000000'],
    ['0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000000000'],
    ['2015-02-01T08:22:45.1+02:00', '2015-02-01T06:22:45.100000000'],
    ['2015-02-01T01:22:45-0500', '2015-02-01T06:22:45.000000000'],
    ['2015-02-01T06:22:45.123', '2015-02-01T06:22:45.123000000'],
    ['2015-02-01T06:22:45.1234567891234Z', '2015-02-01T06:22:45.123456789'],
    ['2015-13-01T00:00:00Z', undefined],
    ['2015-02-30T00:00:00Z', undefined],
    ['2015-02-01T24:00:00Z', undefined],
    ['2015-02-01 06:22:45Z', undefined],
    ['2015-02-01T06:22:45+25:00', undefined],
    ['yesterday', undefined],
    ['', undefined],
  ];
  for (const [text, key] of keys) {
    it(`'${text}' -> ${String(key)}`, () => assert.equal(commitTimeStampKey(text), key));
  }

  it('orders instants, not strings: fewer digits, offsets and sub-millisecond digits', () => {
    const ordered = [
      '0001-01-01T00:00:00.000Z',
      '2015-02-01T06:22:45Z',
      '2015-02-01T06:22:45.0002500Z', // the same millisecond as the next but one: Date.parse would tie them
      '2015-02-01T08:22:45.0005+02:00',
      '2015-02-01T06:22:45.5Z',
    ];
    const keyed = ordered.map((text) => commitTimeStampKey(text)!);
    assert.deepEqual([...keyed].sort(), keyed);
    assert.equal(new Set(keyed).size, ordered.length);
  });
});

/** [commitTimeStamp, id, version, type] */
type Row = [string, string, string, ('delete' | 'details')?];

const ts = (second: number, fraction = '') =>
  `2020-01-01T00:00:${String(second).padStart(2, '0')}${fraction}Z`;

/** A catalog of the given pages, each listed and shuffled as a source may; counts which pages were fetched. */
function catalogOf(pages: Row[][], options: { indexOrder?: number[] } = {}) {
  const documents = new Map<string, unknown>();
  const pageUrl = (p: number) => `https://source.test/catalog/page${p}.json`;
  const maxOf = (rows: Row[]) =>
    rows
      .map((r) => r[0])
      .sort((a, b) => (commitTimeStampKey(a)! < commitTimeStampKey(b)! ? -1 : 1))
      .at(-1)!;
  const order = options.indexOrder ?? pages.map((_, p) => p).reverse();
  documents.set('https://source.test/catalog/index.json', {
    count: pages.length,
    items: order.map((p) => ({
      '@id': pageUrl(p),
      commitTimeStamp: maxOf(pages[p]!),
      count: pages[p]!.length,
    })),
  });
  pages.forEach((rows, p) => {
    // The items of a page come in no defined order: reversed here, so sorting is not optional.
    const items = rows.map(([commitTimeStamp, id, version, type], k) => ({
      '@id': `https://source.test/catalog/data/${p}-${k}.json`,
      '@type': type === 'delete' ? 'nuget:PackageDelete' : 'nuget:PackageDetails',
      commitTimeStamp,
      'nuget:id': id,
      'nuget:version': version,
    }));
    documents.set(pageUrl(p), { items: items.reverse() });
  });
  const fetched: string[] = [];
  const remote: RemoteFeed = {
    getJson: async (url) => {
      if (url.includes('/page')) fetched.push(url);
      return documents.get(url);
    },
    download: async () => undefined,
  };
  return { remote, fetched, url: 'https://source.test/catalog/index.json' };
}

async function collect(
  catalog: ReturnType<typeof catalogOf>,
  options: Parameters<typeof openCatalog>[2] = {},
): Promise<CatalogStep[]> {
  const reader = await openCatalog(catalog.remote, catalog.url, options);
  const steps: CatalogStep[] = [];
  for await (const step of reader.steps()) steps.push(step);
  return inCommitOrder(steps);
}

/** Items of one commit come in no defined order (spec): sorted by name within each run, to compare. */
function inCommitOrder(steps: CatalogStep[]): CatalogStep[] {
  const result: CatalogStep[] = [];
  for (let start = 0; start < steps.length;) {
    let end = start;
    while (end < steps.length && steps[end]!.kind === 'item') end += 1;
    const run = steps.slice(start, Math.max(end, start + 1));
    const sortKey = (step: CatalogStep) =>
      step.kind === 'item' ? `${commitTimeStampKey(step.item.commitTimeStamp)} ${describeStep(step)}` : '';
    result.push(...run.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0)));
    start = Math.max(end, start + 1);
  }
  return result;
}

const describeStep = (step: CatalogStep) =>
  step.kind === 'item'
    ? `${step.item.id}@${step.item.version}${step.item.type === 'PackageDelete' ? ' delete' : ''}`
    : step.kind === 'committed'
      ? `committed ${step.commitTimeStamp.slice(17)}`
      : `page ${step.read}`;

describe('openCatalog', () => {
  // Commit 02 ends page 0 and begins page 1; the index lists the pages backwards.
  const pages: Row[][] = [
    [
      [ts(1), 'A', '1.0.0'],
      [ts(2), 'B', '1.0.0'],
      [ts(2), 'C', '1.0.0'],
    ],
    [
      [ts(2), 'D', '1.0.0'],
      [ts(3), 'E', '1.0.0'],
    ],
    [
      [ts(4), 'F', '1.0.0'],
      [ts(5), 'G', '1.0.0'],
    ],
  ];

  it('yields items in commit order, and a commit as committed only once all of it was yielded', async () => {
    const steps = await collect(catalogOf(pages));
    assert.deepEqual(steps.map(describeStep), [
      'A@1.0.0',
      'committed 01Z',
      'B@1.0.0',
      'C@1.0.0',
      'page 3',
      // Commit 02 goes on in the next page: only its first item of a later commit completes it.
      'D@1.0.0',
      'committed 02Z',
      'E@1.0.0',
      'page 2',
      'committed 03Z',
      'F@1.0.0',
      'committed 04Z',
      'G@1.0.0',
      'page 2',
      'committed 05Z',
    ]);
  });

  it('never holds more than one page: the next is fetched only after the last step of the one before', async () => {
    const catalog = catalogOf(pages);
    const reader = await openCatalog(catalog.remote, catalog.url);
    assert.equal(catalog.fetched.length, 0, 'opening reads the index only');
    assert.equal(reader.total, 7);
    let pagesDone = 0;
    for await (const step of reader.steps()) {
      assert.equal(
        catalog.fetched.length,
        Math.min(pagesDone + 1, 3),
        `at "${describeStep(step)}" ${catalog.fetched.length} pages were fetched and ${pagesDone} done`,
      );
      if (step.kind === 'page') pagesDone += 1;
    }
    assert.equal(pagesDone, 3);
  });

  it('reads only what comes after the cursor, and a cursor inside a commit split over two pages', async () => {
    const afterOne = await collect(catalogOf(pages), { cursor: ts(1) });
    assert.deepEqual(afterOne.filter((s) => s.kind === 'item').map(describeStep), [
      'B@1.0.0',
      'C@1.0.0',
      'D@1.0.0',
      'E@1.0.0',
      'F@1.0.0',
      'G@1.0.0',
    ]);
    const catalog = catalogOf(pages);
    const afterThree = await collect(catalog, { cursor: ts(3) });
    assert.deepEqual(afterThree.map(describeStep), [
      'F@1.0.0',
      'committed 04Z',
      'G@1.0.0',
      'page 2',
      'committed 05Z',
    ]);
    assert.deepEqual(
      catalog.fetched,
      ['https://source.test/catalog/page2.json'],
      'pages before the cursor are not read',
    );
    // The same instant written with more digits is the same cursor.
    const sameInstant = await collect(catalogOf(pages), { cursor: '2020-01-01T00:00:03.0000000+00:00' });
    assert.equal(sameInstant.filter((s) => s.kind === 'item').length, 2);
  });

  it('yields only the latest item of a package version in a page, and only the ids asked for', async () => {
    const busy: Row[][] = [
      [
        [ts(1), 'A', '1.0.0'],
        [ts(2), 'a', '1.0.0.0'], // the same version: unlisted, say
        [ts(3), 'B', '1.0.0'],
        [ts(4), 'A', '1.0.0', 'delete'],
        [ts(5), 'A', '2.0.0'],
      ],
      [[ts(6), 'A', '1.0.0']], // pushed again, in another page: not the same window
    ];
    assert.deepEqual((await collect(catalogOf(busy))).filter((s) => s.kind === 'item').map(describeStep), [
      'B@1.0.0',
      'A@1.0.0 delete',
      'A@2.0.0',
      'A@1.0.0',
    ]);
    const onlyA = await collect(catalogOf(busy), { includes: (lowerId) => lowerId === 'a' });
    assert.deepEqual(onlyA.map(describeStep), [
      'committed 01Z',
      'committed 02Z',
      'committed 03Z',
      'A@1.0.0 delete',
      'committed 04Z',
      'A@2.0.0',
      'page 5',
      'committed 05Z',
      'A@1.0.0',
      'page 1',
      'committed 06Z',
    ]);
  });

  it('reads pages that end with the same commit together, whatever order the index lists them in', async () => {
    const split: Row[][] = [
      [
        [ts(1), 'A', '1.0.0'],
        [ts(2), 'B', '1.0.0'],
      ],
      [[ts(2), 'C', '1.0.0']],
      [[ts(3), 'D', '1.0.0']],
    ];
    for (const indexOrder of [
      [0, 1, 2],
      [1, 0, 2],
    ]) {
      const steps = await collect(catalogOf(split, { indexOrder }));
      assert.deepEqual(steps.map(describeStep), [
        'A@1.0.0',
        'committed 01Z',
        'B@1.0.0',
        'C@1.0.0',
        'page 3',
        'committed 02Z',
        'D@1.0.0',
        'page 1',
        'committed 03Z',
      ]);
    }
  });

  it('refuses a catalog whose pages overlap in time, and pages that are not catalog pages', async () => {
    const overlapping: Row[][] = [
      [
        [ts(1), 'A', '1.0.0'],
        [ts(4), 'B', '1.0.0'],
      ],
      [
        [ts(3), 'C', '1.0.0'],
        [ts(5), 'D', '1.0.0'],
      ],
    ];
    await assert.rejects(collect(catalogOf(overlapping)), (error: unknown) => {
      assert.ok(error instanceof RemoteFeedError);
      assert.match(
        error.message,
        /page1\.json has an item committed at .*:03Z, before .*:04Z.*not in commit order/,
      );
      return true;
    });
    const broken = catalogOf([[[ts(1), 'A', '1.0.0']]]);
    const original = broken.remote.getJson;
    const withBadItem: RemoteFeed = {
      ...broken.remote,
      getJson: async (url) =>
        url.includes('page')
          ? { items: [{ '@id': 'x', '@type': 'nuget:PackageDetails', commitTimeStamp: 'soon' }] }
          : original(url),
    };
    await assert.rejects(
      collect({ ...broken, remote: withBadItem }),
      /item 0 of the catalog page .* has 'soon' where a commit timestamp belongs/,
    );
    const missing: RemoteFeed = {
      ...broken.remote,
      getJson: async (url) => (url.includes('page') ? undefined : original(url)),
    };
    await assert.rejects(
      collect({ ...broken, remote: missing }),
      /page0\.json, listed by the index, answered 404/,
    );
    await assert.rejects(
      openCatalog(broken.remote, broken.url, { cursor: 'not a time' }),
      /cursor 'not a time'/,
    );
  });
});
