// The webhook outbox is written in the transaction of the change it reports (docs/webhooks.md, docs/decisions/
// 0018-webhooks-outbox-and-delivery.md), on SQLite and on PostgreSQL: a change that fails after its event was recorded leaves
// neither, a committed change always has its event (also under concurrent pushes, half of them duplicates), and
// two delivery workers never claim the same delivery.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Transaction } from 'kysely';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { startFeed, type TestFeed } from '../http/feed-fixture.ts';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.ts';
import { samplePackageVersion } from '../../src/storage/contracts/package-store-contract.ts';
import type { Database } from '../../src/storage/sql/schema.ts';
import { SqlPackageStore } from '../../src/storage/sql/sql-package-store.ts';
import { SqlWebhookStore, WebhookOutbox } from '../../src/storage/sql/sql-webhook-store.ts';
import { refreshSearchDocuments } from '../../src/storage/sql/sqlite-search-index.ts';
import { postgresWriteLocks, sqliteWriteLocks } from '../../src/storage/sql/write-locks.ts';
import type { WebhookEvent } from '../../src/packages/webhook-event.ts';

/** Records the event, then fails: as if the commit's last statement failed. */
class FailingOutbox extends WebhookOutbox {
  override async record(trx: Transaction<Database>, event: WebhookEvent): Promise<void> {
    await super.record(trx, event);
    throw new Error('the transaction fails after its event was recorded');
  }
}

const origin = { actor: { kind: 'cli' as const, name: 'cli' }, baseUrl: 'https://nuget.example.com' };

function suite(name: string, postgres: () => Promise<PostgresServer> | undefined) {
  describe(`webhook outbox on ${name}`, () => {
    let server: TestFeed;
    let dialect: 'sqlite' | 'postgres';

    before(async () => {
      const pg = await postgres();
      dialect = pg ? 'postgres' : 'sqlite';
      server = await startFeed({
        config: pg ? { database: await pg.createDatabase() } : {},
      });
      const added = await server.request('POST', '/v3/admin/webhooks', {
        headers: { 'x-nuget-apikey': server.apiKey ?? '', 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'https://hooks.example.com/nuget', events: '*' }),
      });
      assert.equal(added.statusCode, 201, added.body);
    });
    after(() => server.close());

    const deliveries = () =>
      server.nugget.db
        .selectFrom('webhook_deliveries')
        .select(['event', 'package_id', 'package_version'])
        .where('event', '!=', 'ping')
        .execute();

    test('a change that fails after recording its event leaves neither the change nor the event', async () => {
      const { db } = server.nugget;
      const refresh =
        dialect === 'postgres'
          ? (await import('../../src/storage/sql/postgres-search-index.ts')).refreshPostgresSearchDocuments
          : refreshSearchDocuments;
      const locks = dialect === 'postgres' ? postgresWriteLocks : sqliteWriteLocks;
      const failing = new SqlPackageStore(db, 'default', refresh, { locks, outbox: new FailingOutbox() });
      const before = (await deliveries()).length;
      const version = samplePackageVersion('Outbox.Rollback', '1.0.0');
      await assert.rejects(
        failing.insert(version, { event: { ...origin, type: 'package.pushed' } }),
        /after its event was recorded/,
      );
      assert.equal(await failing.findVersion('outbox.rollback', '1.0.0'), undefined);
      assert.equal((await deliveries()).length, before);
      const catalog = await db
        .selectFrom('catalog_entries')
        .select('seq')
        .where('lower_id', '=', 'outbox.rollback')
        .execute();
      assert.deepEqual(catalog, []);

      // The same store without the failure: the change and its event commit together.
      const working = new SqlPackageStore(db, 'default', refresh, { locks });
      assert.equal(
        await working.insert(version, { event: { ...origin, type: 'package.pushed' } }),
        'inserted',
      );
      assert.equal((await deliveries()).length, before + 1);
      await assert.rejects(
        failing.setListed('outbox.rollback', '1.0.0', false, {
          event: { ...origin, type: 'package.unlisted' },
        }),
      );
      assert.equal((await working.findVersion('outbox.rollback', '1.0.0'))?.listed, true);
      await assert.rejects(
        failing.remove('outbox.rollback', '1.0.0', { event: { ...origin, type: 'package.deleted' } }),
      );
      assert.ok(await working.findVersion('outbox.rollback', '1.0.0'));
      assert.equal((await deliveries()).length, before + 1);
    });

    test('every committed push has exactly one event, and a refused duplicate none, under concurrency', async () => {
      const versions = Array.from({ length: 12 }, (_, i) => `3.0.${i}`);
      const nupkgs = await Promise.all(versions.map((version) => buildNupkg({ id: 'Outbox.Race', version })));
      const answers = await Promise.all(nupkgs.flatMap((nupkg) => [server.push(nupkg), server.push(nupkg)]));
      const statuses = answers.map((a) => a.statusCode).sort();
      assert.deepEqual(statuses, [...Array(12).fill(201), ...Array(12).fill(409)]);
      const pushed = (await deliveries()).filter((d) => d.package_id === 'Outbox.Race');
      assert.deepEqual(pushed.map((d) => d.package_version).sort(), [...versions].sort());
      assert.ok(pushed.every((d) => d.event === 'package.pushed'));
    });

    test('two delivery workers never claim the same delivery', async () => {
      const store = new SqlWebhookStore(server.nugget.db, { dialect });
      const now = new Date();
      const until = new Date(now.getTime() + 60_000);
      const pending = (await store.stats(now)).pending;
      assert.ok(pending >= 12, `pending ${pending}`);
      const [a, b] = await Promise.all([store.claim('a', now, until, 10), store.claim('b', now, until, 10)]);
      const ids = [...a, ...b].map((d) => d.id);
      assert.equal(new Set(ids).size, ids.length, 'no delivery claimed twice');
      assert.equal(ids.length, Math.min(20, pending));
      // While the leases hold, nothing claimed is handed out again.
      const again = await store.claim('c', now, until, 100);
      assert.ok(again.every((d) => !ids.includes(d.id)));
      assert.equal(again.length, pending - ids.length);
      // A worker that died: once its lease ends, another takes its deliveries.
      const later = new Date(until.getTime() + 1);
      const taken = await store.claim('d', later, new Date(later.getTime() + 60_000), 100);
      assert.equal(taken.length, pending);
      // An outcome is recorded only by the worker that holds the claim.
      const delivered = { kind: 'delivered', responseCode: 200 } as const;
      await store.complete('a', later, [{ id: taken[0]!.id, outcome: delivered }], []);
      await store.complete('d', later, [{ id: taken[1]!.id, outcome: delivered }], []);
      const stats = await store.stats(later);
      assert.equal(stats.byStatus.delivered, 1);
    });
  });
}

suite('SQLite', () => undefined);

let postgres: PostgresServer | undefined;
after(() => postgres?.stop());
suite('PostgreSQL', async () => (postgres ??= await startPostgresServer()));
