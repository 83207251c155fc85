// Retention through the admin API and the stores of a real feed (SQLite): the dry run's plan is what the real run
// carries out, on generated feeds (fast-check); protected, latest-stable and exactly-depended-on versions survive;
// every removal is audited and in the catalog; the files of deleted versions go; and every version left still
// downloads (test/support/feed-invariant.ts). Quotas: test/http/quota-suite.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { configSchema } from '../../src/config/config.ts';
import { runScheduledRetention } from '../../src/packages/retention-schedule.ts';
import { runRetention } from '../../src/packages/run-retention.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { assertFeedInvariant, injectReader } from '../support/feed-invariant.ts';
import { assertClientError, type JsonObject, parseJson, startFeed, type TestFeed } from './feed-fixture.ts';
import { quotaSuite } from './quota-suite.ts';

quotaSuite('SQLite', async () => ({}));

const dayMs = 86_400_000;

/** The invariant's reader for one named feed of the in-process server. */
const feedReader = (feed: TestFeed, name: string) => ({
  ...injectReader(name, feed.app),
  serviceIndexUrl: `http://localhost:80/feeds/${name}/v3/index.json`,
});

/** A clock the test moves: each push is published at the time it says. */
function movableClock(start: Date) {
  let now = start.getTime();
  return { now: () => new Date(now), set: (ms: number) => (now = ms) };
}

describe('retention over the admin API (SQLite)', () => {
  const start = new Date('2026-06-01T00:00:00Z');
  const clock = movableClock(start);
  let feed: TestFeed;
  const admin = () => ({ 'x-nuget-apikey': feed.apiKey!, 'content-type': 'application/json' });
  before(async () => {
    feed = await startFeed({ clock });
  });
  after(() => feed.close());

  const createFeed = async (name: string) => {
    const response = await feed.request('PUT', `/admin/feeds/${name}`, { headers: admin(), body: '{}' });
    assert.equal(response.statusCode, 201, response.body);
  };
  const setPolicy = (name: string, policy: unknown) =>
    feed.request('PUT', `/feeds/${name}/v3/admin/retention`, {
      headers: admin(),
      body: JSON.stringify(policy),
    });
  const run = async (name: string, dryRun: boolean) => {
    const response = await feed.request('POST', `/feeds/${name}/v3/admin/retention/run`, {
      headers: admin(),
      body: JSON.stringify({ dryRun }),
    });
    assert.equal(response.statusCode, 200, response.body);
    return parseJson(response);
  };
  const versionsOf = async (name: string, id: string): Promise<string[]> => {
    const response = await feed.get(`/feeds/${name}/v3/flatcontainer/${id.toLowerCase()}/index.json`);
    return response.statusCode === 404 ? [] : (parseJson(response)['versions'] as string[]);
  };

  test('the policy: set, shown, checked, and only for an admin key', async () => {
    await createFeed('policy');
    const missing = await feed.request('GET', '/feeds/policy/v3/admin/retention', { headers: admin() });
    assert.equal(assertClientError(missing, 404).code, 'retention_policy_not_found');
    const bad = await setPolicy('policy', {
      rules: [{ kind: 'keep-latest', per: 'patch', count: 1, action: 'delete' }],
    });
    assert.match(assertClientError(bad, 400).message, /rules\.0\.per/);
    const anonymous = await feed.request('PUT', '/feeds/policy/v3/admin/retention', {
      headers: { 'content-type': 'application/json' },
      body: '{"rules": []}',
    });
    assert.equal(anonymous.statusCode, 401);
    const policy = { rules: [{ kind: 'prereleases-older-than', days: 30, action: 'delete' }], protected: [] };
    const set = await setPolicy('policy', policy);
    assert.equal(set.statusCode, 200, set.body);
    const shown = await feed.json('/feeds/policy/v3/admin/retention', admin());
    assert.deepEqual(shown['rules'], policy.rules);
    assert.equal(shown['updatedBy'], 'bootstrap');
    const audit = await feed.json('/feeds/policy/v3/admin/audit', admin());
    assert.ok(audit['entries'].some((e: JsonObject) => e['action'] === 'set-retention-policy'));
  });

  test('one run per feed at a time: a run while another holds the lock gets 409, and the lock is released', async () => {
    await createFeed('locked');
    await feed.services.retention.lock.withLock('locked', async () => {
      const busy = await feed.request('POST', '/feeds/locked/v3/admin/retention/run', {
        headers: admin(),
        body: '{"dryRun": true}',
      });
      assert.equal(assertClientError(busy, 409).code, 'retention_running');
      // Another feed's run is not held up.
      assert.equal((await run('policy', true))['feed'], 'policy');
    });
    assert.deepEqual((await run('locked', true))['plan']['decisions'], []);
  });

  test('a run removes what the dry run said, audits each version, appends to the catalog, removes the files', async () => {
    await createFeed('ci');
    const day = (n: number) => start.getTime() + n * dayMs;
    const push = async (
      id: string,
      version: string,
      at: number,
      deps: { id: string; range: string }[] = [],
    ) => {
      clock.set(at);
      const response = await feed.push(
        await buildNupkg({ id, version, dependencyGroups: deps.length ? [{ dependencies: deps }] : [] }),
        { feed: 'ci' },
      );
      assert.equal(response.statusCode, 201, response.body);
    };
    await push('Contoso.Core', '1.0.0', day(0));
    await push('Contoso.Core', '2.0.0-ci.1', day(1));
    await push('Contoso.Core', '2.0.0-ci.2', day(2));
    await push('Contoso.Core', '2.0.0-ci.3', day(3));
    await push('Contoso.App', '1.0.0', day(4), [{ id: 'Contoso.Core', range: '[2.0.0-ci.1]' }]);
    await push('Contoso.Core', '3.0.0-ci.1', day(5));
    clock.set(day(60));
    const set = await setPolicy('ci', {
      rules: [{ kind: 'prereleases-older-than', days: 30, action: 'delete' }],
      protected: [{ id: 'Contoso.Core', versions: '[3.0.0-ci.1]' }],
    });
    assert.equal(set.statusCode, 200, set.body);

    const dry = await run('ci', true);
    const planned = dry['plan']['decisions'].map(
      (d: JsonObject) => `${d['action']} ${d['id']} ${d['version']}`,
    );
    assert.deepEqual(planned, ['delete Contoso.Core 2.0.0-ci.2', 'delete Contoso.Core 2.0.0-ci.3']);
    assert.deepEqual(dry['outcomes'], []);
    assert.deepEqual(await versionsOf('ci', 'Contoso.Core'), [
      '1.0.0',
      '2.0.0-ci.1',
      '2.0.0-ci.2',
      '2.0.0-ci.3',
      '3.0.0-ci.1',
    ]);
    const filesBefore = await feed.filesUnder('blobs/feeds/ci/packages/contoso.core');

    const real = await run('ci', false);
    assert.deepEqual(real['plan']['decisions'], dry['plan']['decisions']);
    assert.deepEqual(
      real['outcomes'].map((o: JsonObject) => o['result']),
      ['done', 'done'],
    );
    assert.deepEqual(await versionsOf('ci', 'Contoso.Core'), ['1.0.0', '2.0.0-ci.1', '3.0.0-ci.1']);
    const filesAfter = await feed.filesUnder('blobs/feeds/ci/packages/contoso.core');
    assert.ok(filesBefore.some((f) => f.startsWith('2.0.0-ci.2/')));
    assert.ok(
      !filesAfter.some((f) => f.startsWith('2.0.0-ci.2/') || f.startsWith('2.0.0-ci.3/')),
      filesAfter.join('\n'),
    );

    const audit = (await feed.json('/feeds/ci/v3/admin/audit?limit=20', admin()))['entries'] as JsonObject[];
    const removals = audit
      .filter((e) => e['action'] === 'delete')
      .map((e) => `${e['packageId']} ${e['version']} ${e['outcome']}`);
    assert.deepEqual(removals.sort(), ['Contoso.Core 2.0.0-ci.2 success', 'Contoso.Core 2.0.0-ci.3 success']);
    const firstRemoval = audit.find((e) => e['action'] === 'delete')!;
    assert.match(firstRemoval['detail']['reasons'][0], /prereleases older than 30 days/);
    assert.equal(firstRemoval['actor'], 'bootstrap');

    const index = await feed.json('/feeds/ci/v3/catalog/index.json');
    const pages = await Promise.all(
      (index['items'] as JsonObject[]).map((page) => feed.json(new URL(page['@id']).pathname)),
    );
    const deletes = pages
      .flatMap((page) => page['items'] as JsonObject[])
      .filter((item) => item['@type'] === 'nuget:PackageDelete')
      .map((item) => item['nuget:version']);
    assert.deepEqual(deletes.sort(), ['2.0.0-ci.2', '2.0.0-ci.3']);

    const again = await run('ci', true);
    assert.deepEqual(again['plan']['decisions'], [], 'a second run has nothing to do');
    const report = await assertFeedInvariant([feedReader(feed, 'ci')]);
    assert.equal(report.versions.size, 4);
  });

  test('a version pushed during a run that depends exactly on a planned delete keeps it', async () => {
    await createFeed('racing');
    clock.set(start.getTime());
    for (const version of ['1.0.0-ci.1', '1.0.0-ci.2', '1.0.0-ci.3', '1.0.0-ci.4']) {
      const pushed = await feed.push(await buildNupkg({ id: 'Race.Lib', version }), { feed: 'racing' });
      assert.equal(pushed.statusCode, 201);
    }
    const set = await setPolicy('racing', {
      rules: [{ kind: 'keep-latest-prereleases', count: 1, action: 'delete' }],
    });
    assert.equal(set.statusCode, 200, set.body);
    const open = await feed.nugget.openFeed('racing');
    const report = await runRetention(
      { ...open, blobs: feed.services.blobs, audit: feed.services.audit, clock, ...feed.services.retention },
      { actor: 'test', source: 'test' },
      {
        dryRun: false,
        // After the first delete, and before the third, a push that needs the third exactly.
        onProgress: async (done) => {
          if (done !== 1) return;
          const app = await buildNupkg({
            id: 'Race.App',
            version: '1.0.0',
            dependencyGroups: [{ dependencies: [{ id: 'Race.Lib', range: '[1.0.0-ci.3]' }] }],
          });
          assert.equal((await feed.push(app, { feed: 'racing' })).statusCode, 201);
        },
      },
    );
    assert.deepEqual(
      report.outcomes.map((o) => `${o.decision.version} ${o.result}`),
      ['1.0.0-ci.1 done', '1.0.0-ci.2 done', '1.0.0-ci.3 kept'],
    );
    assert.equal(report.outcomes[2]!.because, 'Race.App 1.0.0 depends on exactly this version');
    assert.deepEqual(await versionsOf('racing', 'Race.Lib'), ['1.0.0-ci.3', '1.0.0-ci.4']);
    assert.deepEqual((await run('racing', true))['plan']['decisions'], []);
  });

  test('keep-downloaded keeps what was downloaded lately (recorded with the download counts)', async () => {
    await createFeed('downloads');
    clock.set(start.getTime());
    for (const version of ['1.0.0-ci.1', '1.0.0-ci.2']) {
      assert.equal(
        (await feed.push(await buildNupkg({ id: 'Dl.Core', version }), { feed: 'downloads' })).statusCode,
        201,
      );
    }
    clock.set(start.getTime() + 20 * dayMs);
    const download = await feed.get(
      '/feeds/downloads/v3/flatcontainer/dl.core/1.0.0-ci.1/dl.core.1.0.0-ci.1.nupkg',
    );
    assert.equal(download.statusCode, 200);
    await (await feed.nugget.openFeed('downloads')).downloads.flush();
    clock.set(start.getTime() + 25 * dayMs);
    const set = await setPolicy('downloads', {
      rules: [
        { kind: 'prereleases-older-than', days: 10, action: 'delete' },
        { kind: 'keep-downloaded', days: 7 },
      ],
    });
    assert.equal(set.statusCode, 200, set.body);
    const plan = (await run('downloads', true))['plan'];
    assert.deepEqual(
      plan['decisions'].map((d: JsonObject) => d['version']),
      ['1.0.0-ci.2'],
    );
    assert.deepEqual(plan['kept'], [
      { id: 'Dl.Core', version: '1.0.0-ci.1', because: ['downloaded in the last 7 days'] },
    ]);
    // A week later the download is too old to keep it.
    clock.set(start.getTime() + 30 * dayMs);
    assert.equal((await run('downloads', true))['plan']['decisions'].length, 2);
  });

  test('the in-server schedule runs every feed with a policy, and skips a feed whose lock is taken', async () => {
    await createFeed('scheduled');
    clock.set(start.getTime());
    for (const version of ['1.0.0', '1.1.0']) {
      assert.equal(
        (await feed.push(await buildNupkg({ id: 'Sched.Core', version }), { feed: 'scheduled' })).statusCode,
        201,
      );
    }
    const set = await setPolicy('scheduled', {
      rules: [{ kind: 'keep-latest', per: 'major', count: 1, action: 'unlist' }],
    });
    assert.equal(set.statusCode, 200, set.body);
    const logged: string[] = [];
    const deps = {
      ...feed.services,
      log: {
        info: (_: object, message: string) => logged.push(message),
        error: (_: object, message: string) => logged.push(`error: ${message}`),
      },
    };
    await feed.services.retention.lock.withLock('scheduled', () => runScheduledRetention(deps));
    assert.ok(
      logged.includes('retention of feed scheduled skipped: another run holds its lock'),
      logged.join('\n'),
    );
    await runScheduledRetention(deps);
    assert.ok(logged.includes('retention removed 1 version(s) of feed scheduled'), logged.join('\n'));
    assert.ok(!logged.some((line) => line.startsWith('error')), logged.join('\n'));
    const registration = await feed.json('/feeds/scheduled/v3/registration/sched.core/index.json');
    const listed = registration['items'][0]['items'].map((leaf: JsonObject) => [
      leaf['catalogEntry']['version'],
      leaf['catalogEntry']['listed'],
    ]);
    assert.deepEqual(listed, [
      ['1.0.0', false],
      ['1.1.0', true],
    ]);
    assert.equal(configSchema.parse({}).retentionInterval, undefined, 'the schedule is off by default');
  });

  test('on generated feeds, the real run does exactly what the dry run planned, and keeps what it must', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({
            id: fc.constantFrom('Gen.Core', 'Gen.Web'),
            version: fc
              .tuple(
                fc.integer({ min: 1, max: 2 }),
                fc.integer({ min: 0, max: 2 }),
                fc.constantFrom('', '-ci.1', '-ci.2', '-rc.1'),
              )
              .map(([a, b, label]) => `${a}.${b}.0${label}`),
            ageDays: fc.integer({ min: 0, max: 90 }),
            dependsExactlyOn: fc.option(fc.constantFrom('1.0.0-ci.1', '2.1.0-rc.1', '1.2.0'), {
              nil: undefined,
            }),
          }),
          { selector: (v) => `${v.id}/${v.version}`, minLength: 1, maxLength: 10 },
        ),
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('keep-latest'),
              per: fc.constantFrom('major', 'minor'),
              count: fc.integer({ min: 1, max: 2 }),
              action: fc.constantFrom('unlist', 'delete'),
            }),
            fc.record({
              kind: fc.constant('keep-latest-prereleases'),
              count: fc.integer({ min: 1, max: 2 }),
              action: fc.constantFrom('unlist', 'delete'),
            }),
            fc.record({
              kind: fc.constant('prereleases-older-than'),
              days: fc.integer({ min: 1, max: 60 }),
              action: fc.constantFrom('unlist', 'delete'),
            }),
            fc.record({ kind: fc.constant('unlisted-older-than'), days: fc.integer({ min: 1, max: 60 }) }),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        async (versions, rules) => {
          const name = `gen-${round++}`;
          await createFeed(name);
          const base = start.getTime() + 400 * dayMs;
          // Oldest first, so that a dependent's dependency (pushed by the same list) may already be there.
          for (const v of [...versions].sort((a, b) => b.ageDays - a.ageDays)) {
            clock.set(base - v.ageDays * dayMs);
            const deps = v.dependsExactlyOn ? [{ id: 'Gen.Core', range: `[${v.dependsExactlyOn}]` }] : [];
            const response = await feed.push(
              await buildNupkg({
                id: v.id,
                version: v.version,
                dependencyGroups: deps.length ? [{ dependencies: deps }] : [],
              }),
              { feed: name },
            );
            assert.equal(response.statusCode, 201, response.body);
          }
          clock.set(base);
          const set = await setPolicy(name, { rules, protected: [{ id: 'Gen.Web', versions: '[2.0.0]' }] });
          assert.equal(set.statusCode, 200, set.body);
          const dry = await run(name, true);
          const real = await run(name, false);
          assert.deepEqual(real['plan'], dry['plan']);
          assert.ok(real['outcomes'].every((o: JsonObject) => o['result'] === 'done'));
          // What is left is what the plan leaves: the deleted are gone, the unlisted are unlisted, the rest as they were.
          const decided = new Map<string, string>(
            dry['plan']['decisions'].map((d: JsonObject) => [`${d['id']}/${d['version']}`, d['action']]),
          );
          for (const v of versions) {
            const present = (await versionsOf(name, v.id)).includes(v.version);
            assert.equal(present, decided.get(`${v.id}/${v.version}`) !== 'delete', `${v.id} ${v.version}`);
          }
          if (versions.some((v) => v.id === 'Gen.Web' && v.version === '2.0.0')) {
            assert.ok((await versionsOf(name, 'Gen.Web')).includes('2.0.0'), 'the protected version stays');
          }
          assert.deepEqual((await run(name, true))['plan']['decisions'], []);
          await assertFeedInvariant([feedReader(feed, name)]);
        },
      ),
      { numRuns: 12 },
    );
  });
});
