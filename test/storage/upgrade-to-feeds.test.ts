// The upgrade to feeds (migration 0006): a data dir and a PostgreSQL database written by nugget as it was before
// feeds (commit c0285ad, its own code, taken from git) are opened by the current code, and nothing is lost: every
// row keeps every value (versions, hashes, download counts, deprecations, advisories, symbols, catalog commit ids
// and timestamps, keys, audit entries, replication cursors), all of it now in the feed `default`, and a client of
// /v3/index.json restores as before (the old key still pushes; catalog readers' cursors stay valid).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { composeNugget, type Nugget } from '../../src/compose.ts';
import { configSchema } from '../../src/config/config.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { packageWithSymbols } from '../fixtures/package-with-symbols.ts';
import { multipartBody } from '../http/feed-fixture.ts';
import { startPostgresServer } from '../support/postgres-server.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
/** The last commit before feeds: the layout every existing installation has. */
const preFeedsCommit = 'c0285ad';
const bootstrapKey = 'upgrade-bootstrap-key-0123456789';

/** The pre-feeds source tree, from git, beside this repository's node_modules. */
async function preFeedsCode(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nugget-pre-feeds-'));
  await new Promise<void>((resolve, reject) => {
    const archive = spawn('git', ['archive', '--format=tar', preFeedsCommit, 'src', 'package.json'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const untar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'inherit', 'inherit'] });
    archive.stdout.pipe(untar.stdin);
    untar.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}`))));
    archive.on('error', reject);
  });
  await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

interface OldNugget {
  readonly app: FastifyInstance;
  readonly db: Kysely<never>;
  readonly feed: {
    downloads: { flush(): Promise<void> };
    apiKeys: unknown;
    audit: unknown;
    clock: unknown;
  };
  readonly replicationCursors: { set(source: string, cursor: string): Promise<void> };
  close(): Promise<void>;
}

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

/** Fills a pre-feeds nugget the way clients and admins did: pushes, symbols, unlist, deprecation, advisories, downloads, a managed key. */
async function populate(
  codeDir: string,
  config: Record<string, unknown>,
): Promise<{ key: string; symbolPath: string }> {
  const oldCompose = (await import(pathToFileURL(path.join(codeDir, 'src/compose.ts')).href)) as {
    composeNugget(config: unknown, options: unknown): Promise<OldNugget>;
  };
  const oldConfig = (await import(pathToFileURL(path.join(codeDir, 'src/config/config.ts')).href)) as {
    configSchema: { parse(input: unknown): unknown };
  };
  const oldKeys = (await import(pathToFileURL(path.join(codeDir, 'src/auth/manage-api-keys.ts')).href)) as {
    createApiKey(deps: unknown, requester: unknown, input: unknown): Promise<{ key: string }>;
  };
  const nugget = await oldCompose.composeNugget(
    oldConfig.configSchema.parse({ ...config, apiKey: bootstrapKey, logLevel: 'silent' }),
    { downloadFlushMs: 0 },
  );
  try {
    const headers = { 'x-nuget-apikey': bootstrapKey };
    const push = async (nupkg: Buffer, url = '/v3/package') => {
      const response = await nugget.app.inject({
        method: 'PUT',
        url,
        headers: { ...headers, 'content-type': 'multipart/form-data; boundary="b0undary"' },
        payload: multipartBody(nupkg, 'b0undary'),
      });
      assert.equal(response.statusCode, 201, response.body);
    };
    await push(await buildNupkg({ id: 'Old.Core', version: '1.0.0', description: 'first' }));
    await push(
      await buildNupkg({
        id: 'Old.Core',
        version: '2.0.0-beta.1',
        description: 'a prerelease',
        readme: { path: 'README.md', content: '# Old.Core' },
      }),
    );
    await push(await buildNupkg({ id: 'Old.Hidden', version: '1.0.0', description: 'unlisted later' }));
    const symbols = await packageWithSymbols('Old.Symbols', '1.0.0');
    await push(symbols.nupkg);
    await push(symbols.snupkg, '/v3/symbol-package');
    const unlist = await nugget.app.inject({
      method: 'DELETE',
      url: '/v3/package/Old.Hidden/1.0.0',
      headers,
    });
    assert.equal(unlist.statusCode, 204);
    const deprecate = await nugget.app.inject({
      method: 'PUT',
      url: '/v3/admin/deprecations/Old.Core/1.0.0',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: { reasons: ['Legacy'], message: 'use 2.0' },
    });
    assert.equal(deprecate.statusCode, 204, deprecate.body);
    const advisories = await nugget.app.inject({
      method: 'PUT',
      url: '/v3/admin/vulnerabilities',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: {
        advisories: [
          {
            packageId: 'Old.Core',
            url: 'https://example.com/a/1',
            severity: 'high',
            versions: '[1.0.0, 2.0.0)',
          },
        ],
      },
    });
    assert.equal(advisories.statusCode, 200, advisories.body);
    for (let i = 0; i < 3; i++) {
      const download = await nugget.app.inject({
        method: 'GET',
        url: '/v3/flatcontainer/old.core/1.0.0/old.core.1.0.0.nupkg',
      });
      assert.equal(download.statusCode, 200);
    }
    await nugget.feed.downloads.flush();
    await nugget.replicationCursors.set('https://upstream.example/v3/index.json', '2026-01-01T00:00:00.000Z');
    const { key } = await oldKeys.createApiKey(
      nugget.feed,
      { actor: 'cli', source: 'cli' },
      { name: 'ci', scopes: ['push', 'push-new'], packages: ['Old.*'] },
    );
    return { key, symbolPath: symbols.symbolPath };
  } finally {
    await nugget.close();
  }
}

/** What the rows of one table become: the same values, in the feed 'default' (and the catalog numbered in it). */
function upgraded(table: string, row: Record<string, unknown>): Record<string, unknown> {
  if (table === 'api_keys') return { ...row, feeds: '["*"]' };
  if (table === 'audit_log') {
    const serverWide = row['action'] === 'create-api-key' || row['action'] === 'revoke-api-key';
    return { ...row, feed: serverWide ? null : 'default' };
  }
  if (table === 'catalog_entries') return { ...row, feed: 'default', feed_seq: row['seq'] };
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
      ({ key, symbolPath } = await populate(codeDir, config));
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
