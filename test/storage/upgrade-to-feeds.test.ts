// The upgrade to feeds (migration 0007): a data dir and a PostgreSQL database written by nugget as it was before
// feeds (commit c0285ad, its own code, taken from git) are opened by the current code, and nothing is lost: every
// row keeps every value (versions, hashes, download counts, deprecations, advisories, symbols, catalog commit ids
// and timestamps, keys, audit entries, replication cursors), all of it now in the feed `default`, and a client of
// /v3/index.json restores as before (the old key still pushes; catalog readers' cursors stay valid).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { composeNugget, type Nugget } from '../../src/compose.ts';
import { configSchema } from '../../src/config/config.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { multipartBody } from '../http/feed-fixture.ts';
import { startPostgresServer } from '../support/postgres-server.ts';
import { bootstrapKey, populatePreFeeds, preFeedsCode } from '../support/pre-feeds.ts';

type Rows = Record<string, Record<string, unknown>[]>;

/** Columns PostgreSQL keeps as int8, which its driver returns as text unless told otherwise. */
const bigIntegerColumns = new Set(['seq', 'feed_seq', 'downloads', 'package_size', 'size']);

const canonicalRow = (row: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(row).map(([column, value]) => [
      column,
      bigIntegerColumns.has(column) && (typeof value === 'string' || typeof value === 'bigint')
        ? Number(value)
        : value,
    ]),
  );

const byJson = (a: unknown, b: unknown): number => JSON.stringify(a).localeCompare(JSON.stringify(b));

const tables = [
  'package_versions',
  'catalog_entries',
  'vulnerability_advisories',
  'symbol_packages',
  'symbol_files',
  'replication_cursors',
  'api_keys',
  'audit_log',
] as const;

/** Every row of every table, in a stable order, with numbers as numbers (PostgreSQL returns int8 as text). */
async function snapshot(db: Kysely<never>): Promise<Rows> {
  const rows: Rows = {};
  for (const table of tables) {
    const found = (await (db as unknown as Kysely<Record<string, Record<string, unknown>>>)
      .selectFrom(table)
      .selectAll()
      .execute()) as Record<string, unknown>[];
    rows[table] = found.map(canonicalRow).sort(byJson);
  }
  return rows;
}

/** What the rows of one table become: the same values, in the feed 'default' (and the catalog numbered in it). */
function upgraded(table: string, row: Record<string, unknown>): Record<string, unknown> {
  // Later migrations add columns with their defaults (0008: keys issued by a trust policy; 0009: last download).
  if (table === 'api_keys') return { ...row, feeds: '["*"]', trust_policy: null };
  if (table === 'audit_log') {
    const serverWide = row['action'] === 'create-api-key' || row['action'] === 'revoke-api-key';
    return { ...row, feed: serverWide ? null : 'default' };
  }
  if (table === 'catalog_entries') return { ...row, feed: 'default', feed_seq: row['seq'] };
  // 0009: no download was recorded before the column existed.
  if (table === 'package_versions') return { ...row, feed: 'default', last_downloaded: null };
  return { ...row, feed: 'default' };
}

function upgradeSuite(name: string, configOf: () => Promise<Record<string, unknown>>): void {
  describe(`upgrade to feeds: ${name}`, () => {
    let codeDir: string;
    let dataDir: string;
    let config: Record<string, unknown>;
    let old: Rows;
    let key: string;
    let symbolPath: string;
    let nugget: Nugget;

    before(async () => {
      codeDir = await preFeedsCode();
      dataDir = await mkdtemp(path.join(tmpdir(), 'nugget-upgrade-'));
      config = { dataDir, ...(await configOf()) };
      ({ key, symbolPath } = await populatePreFeeds(codeDir, config));
      // The rows as the old code left them, read before the current code migrates anything.
      old = await readRowsWithoutMigrating(config);
      nugget = await composeNugget(
        configSchema.parse({ ...config, apiKey: bootstrapKey, logLevel: 'silent' }),
        {
          downloadFlushMs: 0,
        },
      );
    });
    after(async () => {
      await nugget?.close();
      await rm(codeDir, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    });

    test('every row keeps every value, in the feed default', async () => {
      const now = await snapshot(nugget.db as unknown as Kysely<never>);
      for (const table of tables) {
        assert.ok((old[table]?.length ?? 0) > 0, `the old code wrote ${table}`);
        const expected = (old[table] ?? []).map((row) => upgraded(table, row)).sort(byJson);
        assert.deepEqual(now[table], expected, table);
      }
      assert.deepEqual(
        (await nugget.feeds.list()).map((feed) => feed.name),
        ['default'],
      );
    });

    test('/v3/index.json serves the default feed as before: versions, downloads, deprecation, symbols', async () => {
      const get = (url: string) => nugget.app.inject({ method: 'GET', url });
      assert.deepEqual(JSON.parse((await get('/v3/flatcontainer/old.core/index.json')).body), {
        versions: ['1.0.0', '2.0.0-beta.1'],
      });
      const search = JSON.parse((await get('/v3/search?q=Old.Core&prerelease=true')).body);
      assert.equal(search.data[0].totalDownloads, 3);
      const leaf = JSON.parse((await get('/v3/registration/old.core/index.json')).body);
      const first = leaf.items[0].items[0].catalogEntry;
      assert.deepEqual(first.deprecation.reasons, ['Legacy']);
      assert.equal(first.vulnerabilities.length, 1);
      assert.equal((await get(symbolPath)).statusCode, 200);
      const hidden = JSON.parse((await get('/v3/registration/old.hidden/1.0.0.json')).body);
      assert.equal(hidden.listed, false);
      // The same feed under its name, with its URLs under /feeds/default/.
      const named = JSON.parse((await get('/feeds/default/v3/index.json')).body);
      assert.ok(named.resources.every((r: { '@id': string }) => r['@id'].includes('/feeds/default/')));
      const catalog = JSON.parse((await get('/feeds/default/v3/catalog/index.json')).body);
      const legacyCatalog = JSON.parse((await get('/v3/catalog/index.json')).body);
      assert.equal(catalog.count, legacyCatalog.count);
      assert.equal(catalog.commitId, legacyCatalog.commitId);
      assert.equal(catalog.commitTimeStamp, legacyCatalog.commitTimeStamp);
    });

    test('the managed key made before feeds pushes to the default feed and is refused on other ids', async () => {
      const push = (id: string) =>
        buildNupkg({ id, version: '3.0.0' }).then((nupkg) =>
          nugget.app.inject({
            method: 'PUT',
            url: '/v3/package',
            headers: { 'x-nuget-apikey': key, 'content-type': 'multipart/form-data; boundary="b"' },
            payload: multipartBody(nupkg, 'b'),
          }),
        );
      assert.equal((await push('Old.Core')).statusCode, 201);
      assert.equal((await push('New.Other')).statusCode, 403);
    });
  });
}

/** The rows of an old database, read by the current code's driver without running its migrations. */
async function readRowsWithoutMigrating(config: Record<string, unknown>): Promise<Rows> {
  if (typeof config['database'] === 'string') {
    const { Kysely: KyselyClass, PostgresDialect } = await import('kysely');
    const pg = await import('pg');
    const db = new KyselyClass<never>({
      dialect: new PostgresDialect({ pool: new pg.default.Pool({ connectionString: config['database'] }) }),
    });
    try {
      return await snapshot(db);
    } finally {
      await db.destroy();
    }
  }
  const { Kysely: KyselyClass, SqliteDialect } = await import('kysely');
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  const sqlite = new BetterSqlite3(path.join(String(config['dataDir']), 'nugget.db'), { readonly: true });
  const db = new KyselyClass<never>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    return await snapshot(db);
  } finally {
    await db.destroy();
  }
}

upgradeSuite('SQLite data dir', async () => ({}));

const postgres = await startPostgresServer();
after(() => postgres.stop());
upgradeSuite('PostgreSQL', async () => ({ database: await postgres.createDatabase() }));
