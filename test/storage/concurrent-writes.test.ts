// Concurrent writes of one package id over HTTP, as CI and people cause them: several versions pushed at once,
// each twice, while other versions are unlisted, relisted, deprecated (twice, identically) and deleted. Every
// request succeeds or gets 409 for a duplicate push, never a 5xx; afterwards every document agrees (version list,
// search, registration, catalog) and the feed invariant holds. On SQLite + files (one node per delete
// behaviour) and on PostgreSQL + S3 (one node, and two nodes that share the database and the bucket).
// The write order is docs/decisions/0006-faults-write-order-and-durability.md; spec: package-publish-resource.md.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { parseJson, startFeed, type TestFeed } from '../http/feed-fixture.ts';
import { assertFeedInvariant, injectReader } from '../support/feed-invariant.ts';
import { type SharedBackends, startSharedBackends } from '../support/shared-backends.ts';

const rounds = 3;
const racedVersions = 8;

interface Outcome {
  readonly what: string;
  readonly status: number;
  readonly body: string;
}

/**
 * One round on the id `Race.R<round>`: 1.0.0 .. 1.0.5 published first (1.0.0 unlisted where a node unlists),
 * then everything at once. `nodes` are the feeds to spread requests over; a node unlists or deletes on DELETE
 * as it was started.
 */
async function raceOneId(nodes: readonly TestFeed[], round: number): Promise<void> {
  const id = `Race.R${round}`;
  const lowerId = id.toLowerCase();
  const unlister = nodes.find((n) => n.feed.options.deleteBehavior === 'unlist');
  const deleter = nodes.find((n) => n.feed.options.deleteBehavior === 'delete');
  const node = (i: number) => nodes[i % nodes.length] as TestFeed;
  const auth = (feed: TestFeed) => ({ 'x-nuget-apikey': feed.apiKey ?? '' });

  for (let patch = 0; patch <= 5; patch++) await node(patch).publish({ id, version: `1.0.${patch}` });
  if (unlister) {
    const unlisted = await unlister.request('DELETE', `/v3/package/${id}/1.0.0`, { headers: auth(unlister) });
    assert.equal(unlisted.statusCode, 204, unlisted.body);
  }

  const pushes = await Promise.all(
    Array.from({ length: racedVersions }, (_, i) => buildNupkg({ id, version: `2.0.${i}` })),
  );
  const requests: Promise<Outcome>[] = [];
  const send = (what: string, run: () => ReturnType<TestFeed['request']>) =>
    requests.push(run().then((r) => ({ what, status: r.statusCode, body: r.body.slice(0, 300) })));
  pushes.forEach((nupkg, i) => {
    // Each version twice, through different nodes where there are several: one 201, one 409.
    send(`push 2.0.${i} (a)`, () => node(i).push(nupkg));
    send(`push 2.0.${i} (b)`, () => node(i + 1).push(nupkg));
  });
  const deprecation = JSON.stringify({ reasons: ['Legacy'], message: `round ${round}` });
  for (const copy of ['a', 'b']) {
    const feed = node(copy === 'a' ? 0 : 1);
    send(`deprecate 1.0.3 (${copy})`, () =>
      feed.request('PUT', `/v3/admin/deprecations/${id}/1.0.3`, {
        headers: { ...auth(feed), 'content-type': 'application/json' },
        body: deprecation,
      }),
    );
  }
  send('relist 1.0.3 (already listed)', () =>
    node(2).request('POST', `/v3/package/${id}/1.0.3`, { headers: auth(node(2)) }),
  );
  if (unlister) {
    for (const version of ['1.0.1', '1.0.2']) {
      send(`unlist ${version}`, () =>
        unlister.request('DELETE', `/v3/package/${id}/${version}`, { headers: auth(unlister) }),
      );
    }
    send('relist 1.0.0', () =>
      node(3).request('POST', `/v3/package/${id}/1.0.0`, { headers: auth(node(3)) }),
    );
  }
  if (deleter) {
    for (const version of ['1.0.4', '1.0.5']) {
      send(`delete ${version}`, () =>
        deleter.request('DELETE', `/v3/package/${id}/${version}`, { headers: auth(deleter) }),
      );
    }
  }
  const outcomes = await Promise.all(requests);

  const failures = outcomes.filter((o) => {
    if (o.what.startsWith('push')) return o.status !== 201 && o.status !== 409;
    if (o.what.startsWith('relist')) return o.status !== 200;
    return o.status !== 204;
  });
  assert.deepEqual(failures, [], `every request succeeds or is a duplicate push (409)`);
  for (let i = 0; i < racedVersions; i++) {
    const statuses = outcomes.filter((o) => o.what.startsWith(`push 2.0.${i} `)).map((o) => o.status);
    assert.deepEqual(statuses.sort(), [201, 409], `2.0.${i}: one push wins, one is a duplicate`);
  }

  // What every document must say now.
  const deleted = deleter ? ['1.0.4', '1.0.5'] : [];
  const unlisted = unlister ? ['1.0.1', '1.0.2'] : [];
  const all = [
    ...['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.5'].filter((v) => !deleted.includes(v)),
    ...Array.from({ length: racedVersions }, (_, i) => `2.0.${i}`),
  ];
  const listed = all.filter((v) => !unlisted.includes(v));
  for (const feed of nodes) {
    const flat = parseJson(await feed.get(`/v3/flatcontainer/${lowerId}/index.json`));
    assert.deepEqual(flat['versions'], all, 'the version list has every version not deleted');

    const search = parseJson(await feed.get(`/v3/search?q=packageid:${lowerId}&prerelease=true`));
    assert.equal(search['totalHits'], 1, 'one search result for the id');
    const hit = search['data'][0];
    assert.equal(hit['version'], `2.0.${racedVersions - 1}`, 'search describes the latest version');
    assert.deepEqual(
      (hit['versions'] as { version: string }[]).map((v) => v.version),
      listed,
      'search lists exactly the listed versions',
    );

    const registration = parseJson(await feed.get(`/v3/registration/${lowerId}/index.json`));
    const leaves = (
      registration['items'] as { items: { catalogEntry: Record<string, unknown> }[] }[]
    ).flatMap((page) => page.items.map((leaf) => leaf.catalogEntry));
    assert.deepEqual(
      leaves.map((e) => e['version']),
      all,
    );
    assert.deepEqual(
      leaves.filter((e) => e['listed'] !== false).map((e) => e['version']),
      listed,
      'the registration marks exactly the unlisted versions unlisted',
    );
    const deprecated = leaves.find((e) => e['version'] === '1.0.3')?.['deprecation'] as { message?: string };
    assert.equal(deprecated?.message, `round ${round}`);
  }

  // The catalog: two identical deprecations make one change, not two; each other write makes exactly one entry.
  const catalog = nodes[0] as TestFeed;
  const index = parseJson(await catalog.get('/v3/catalog/index.json'));
  const entries: { type: string; version: string }[] = [];
  for (const page of index['items'] as { '@id': string }[]) {
    const items = parseJson(await catalog.get(new URL(page['@id']).pathname))['items'] as Record<
      string,
      string
    >[];
    for (const item of items) {
      if (item['nuget:id'] === id)
        entries.push({ type: item['@type'] as string, version: item['nuget:version'] as string });
    }
  }
  const count = (version: string) => entries.filter((e) => e.version === version).length;
  assert.equal(count('1.0.3'), 3, '1.0.3: pushed, deprecated once, relisted');
  for (let i = 0; i < racedVersions; i++) assert.equal(count(`2.0.${i}`), 1, `2.0.${i}: pushed once`);
  for (const version of deleted) assert.equal(count(version), 2, `${version}: pushed, deleted`);
  for (const version of unlisted) assert.equal(count(version), 2, `${version}: pushed, unlisted`);

  await assertFeedInvariant(nodes.map((feed, i) => injectReader(`node ${i + 1}`, feed.app)));
}

describe('concurrent writes of one id: SQLite + files', () => {
  for (const deleteBehavior of ['unlist', 'delete'] as const) {
    test(`one node that ${deleteBehavior}s on DELETE`, async () => {
      const feed = await startFeed({ deleteBehavior });
      try {
        for (let round = 1; round <= rounds; round++) await raceOneId([feed], round);
      } finally {
        await feed.close();
      }
    });
  }
});

describe('concurrent writes of one id: PostgreSQL + S3', () => {
  let backends: SharedBackends;
  before(async () => {
    backends = await startSharedBackends();
  });
  after(() => backends?.stop());
  const startNodes = (behaviors: readonly ('unlist' | 'delete')[]) => backends.startNodes(behaviors);

  test('two API keys created with one name at once: one is created, the other finds the name taken', async () => {
    const nodes = await startNodes(['unlist', 'unlist']);
    try {
      const key = (keyId: string) => ({
        keyId,
        name: 'ci',
        secretHash: 'x',
        scopes: ['push' as const],
        packages: ['*'],
        created: new Date().toISOString(),
      });
      const outcomes = await Promise.all(
        nodes.flatMap((node, i) => [0, 1, 2].map((j) => node.feed.apiKeys.insert(key(`k${i}${j}`)))),
      );
      assert.deepEqual(outcomes.sort(), [
        'duplicate-name',
        'duplicate-name',
        'duplicate-name',
        'duplicate-name',
        'duplicate-name',
        'inserted',
      ]);
    } finally {
      for (const node of nodes) await node.close();
    }
  });

  test('one node', async () => {
    const nodes = await startNodes(['unlist']);
    try {
      for (let round = 1; round <= rounds; round++) await raceOneId(nodes, round);
    } finally {
      for (const node of nodes) await node.close();
    }
  });

  test('two nodes on one database and bucket: one unlists, one deletes', async () => {
    const nodes = await startNodes(['unlist', 'delete']);
    try {
      for (let round = 1; round <= rounds; round++) await raceOneId(nodes, round);
    } finally {
      for (const node of nodes) await node.close();
    }
  });
});
