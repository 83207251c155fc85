// The PostgreSQL metadata adapters against their port contract, on a throwaway cluster started here (Debian's
// PostgreSQL, installed by the set-up when missing); plus concurrent migration and SQLite/PostgreSQL search parity.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import type { PackageSearchPorts } from '../../src/packages/ports.ts';
import type { PackageVersion } from '../../src/protocol/package-version.ts';
import {
  packageStoreContract,
  samplePackageVersion,
} from '../../src/storage/contracts/package-store-contract.ts';
import { migrationNames } from '../../src/storage/sql/migrations.ts';
import { openPostgresDatabase } from '../../src/storage/sql/postgres-database.ts';
import {
  PostgresSearchIndex,
  refreshPostgresSearchDocuments,
} from '../../src/storage/sql/postgres-search-index.ts';
import type { Database } from '../../src/storage/sql/schema.ts';
import { SqlPackageStore } from '../../src/storage/sql/sql-package-store.ts';
import { openSqliteDatabase } from '../../src/storage/sql/sqlite-database.ts';
import { refreshSearchDocuments, SqliteSearchIndex } from '../../src/storage/sql/sqlite-search-index.ts';
import { startPostgresServer } from '../support/postgres-server.ts';
import { catalogContract } from '../../src/storage/contracts/catalog-contract.ts';
import { SqlCatalogStore } from '../../src/storage/sql/sql-catalog-store.ts';
import { symbolStoreContract } from '../../src/storage/contracts/symbol-store-contract.ts';
import { SqlSymbolStore } from '../../src/storage/sql/sql-symbol-store.ts';
import { feedIsolationContract } from '../../src/storage/contracts/feed-isolation-contract.ts';
import { SqlAdvisoryStore } from '../../src/storage/sql/sql-advisory-store.ts';
import { SqlReplicationCursorStore } from '../../src/storage/sql/sql-catalog-store.ts';
import { SqlChangeStamps } from '../../src/storage/sql/change-stamps.ts';
import { SqlFeedStore } from '../../src/storage/sql/sql-feed-store.ts';
import { postgresWriteLocks } from '../../src/storage/sql/write-locks.ts';
import { symbolFilesMigrationTest } from './symbol-files-migration.ts';

const server = await startPostgresServer();
const databases: Kysely<Database>[] = [];
after(async () => {
  for (const db of databases) await db.destroy();
  await server.stop();
});

async function openPostgres(url?: string): Promise<Kysely<Database>> {
  const db = await openPostgresDatabase(url ?? (await server.createDatabase()));
  databases.push(db);
  return db;
}

function postgresPorts(db: Kysely<Database>): PackageSearchPorts {
  return {
    packages: new SqlPackageStore(db, 'default', refreshPostgresSearchDocuments, {
      locks: postgresWriteLocks,
    }),
    search: new PostgresSearchIndex(db, 'default'),
  };
}

packageStoreContract('PostgreSQL', async () => postgresPorts(await openPostgres()));

catalogContract('PostgreSQL', async () => {
  const db = await openPostgres();
  return { packages: postgresPorts(db).packages, catalog: new SqlCatalogStore(db, 'default') };
});

symbolStoreContract(
  'PostgreSQL',
  async () => new SqlSymbolStore(await openPostgres(), 'default', { locks: postgresWriteLocks }),
);

feedIsolationContract('PostgreSQL', async () => {
  const db = await openPostgres();
  const locks = postgresWriteLocks;
  return {
    feeds: new SqlFeedStore(db, { dialect: 'postgres' }),
    storesFor: (feed) => ({
      packages: new SqlPackageStore(db, feed, refreshPostgresSearchDocuments, { locks }),
      search: new PostgresSearchIndex(db, feed),
      catalog: new SqlCatalogStore(db, feed),
      advisories: new SqlAdvisoryStore(db, feed, { locks }),
      symbols: new SqlSymbolStore(db, feed, { locks }),
      stamps: new SqlChangeStamps(db, feed),
      replicationCursors: new SqlReplicationCursorStore(db, feed),
    }),
  };
});

symbolFilesMigrationTest('PostgreSQL', 'postgres', async () => {
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new Pool({ connectionString: await server.createDatabase() }) }),
  });
  databases.push(db);
  return db as Kysely<unknown>;
});

describe('PostgreSQL migrations', () => {
  it('migrate once when several nodes open a fresh database at the same time', async () => {
    const url = await server.createDatabase();
    const opened = await Promise.all([1, 2, 3, 4, 5, 6].map(() => openPostgres(url)));
    const [first, second] = opened as [Kysely<Database>, Kysely<Database>];
    const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(
      first,
    );
    assert.deepEqual(
      applied.rows.map((r) => r.name),
      migrationNames('postgres'),
    );
    // Every node sees the one schema: what one writes, another finds and searches.
    await postgresPorts(first).packages.insert(samplePackageVersion('Raced.Package', '1.0.0'));
    const found = await postgresPorts(second).search.search({
      q: 'raced',
      skip: 0,
      take: 20,
      prerelease: false,
      semVer2: false,
    });
    assert.deepEqual(
      found.hits.map((h) => h.lowerId),
      ['raced.package'],
    );
  });

  it('opens an up-to-date database again without migrating anything', async () => {
    const url = await server.createDatabase();
    await openPostgres(url);
    const again = await openPostgres(url);
    const applied = await sql<{ n: number }>`SELECT count(*) AS n FROM kysely_migration`.execute(again);
    assert.equal(applied.rows[0]?.n, migrationNames('postgres').length);
  });

  it('indexes a description past the tsvector limits without failing the push', async () => {
    const { packages, search } = postgresPorts(await openPostgres());
    // 200,000 distinct words: more positions (16,383) and bytes (1 MiB) than one tsvector holds.
    const words = Array.from({ length: 200_000 }, (_, i) => `w${i.toString(36)}x${i}`);
    const v = samplePackageVersion('Huge.Description', '1.0.0', {
      metadata: {
        ...samplePackageVersion('x', '1.0.0').metadata,
        description: `firstword ${words.join(' ')}`,
      },
    });
    assert.equal(await packages.insert(v), 'inserted');
    const found = await search.search({
      q: 'firstword',
      skip: 0,
      take: 20,
      prerelease: false,
      semVer2: false,
    });
    assert.deepEqual(
      found.hits.map((h) => h.lowerId),
      ['huge.description'],
    );
  });

  it('reads bigint counts back as numbers', async () => {
    const db = await openPostgres();
    const { packages } = postgresPorts(db);
    await packages.insert(
      samplePackageVersion('Big.Counts', '1.0.0', { downloads: 3_000_000_000, packageSize: 5e9 }),
    );
    const v = await packages.findVersion('big.counts', '1.0.0');
    assert.equal(v?.downloads, 3_000_000_000);
    assert.equal(v?.packageSize, 5e9);
    const total = await db.selectFrom('search_documents').select('total_downloads').executeTakeFirstOrThrow();
    assert.equal(total.total_downloads, 3_000_000_000);
  });
});

// One corpus, inserted into both databases; every query must return the same ids in the same order on both.
const base = samplePackageVersion('x', '1.0.0').metadata;
const corpus: PackageVersion[] = [
  samplePackageVersion('Newtonsoft.Json', '13.0.3', {
    downloads: 500,
    metadata: {
      ...base,
      title: 'Json.NET',
      description: 'Popular high-performance JSON framework for .NET',
      tags: ['json'],
      authors: 'James Newton-King',
    },
  }),
  samplePackageVersion('Newtonsoft.Json.Bson', '1.0.2', {
    downloads: 40,
    metadata: {
      ...base,
      description: 'Json.NET BSON adds support for reading and writing BSON',
      tags: ['json', 'bson'],
    },
  }),
  samplePackageVersion('System.Text.Json', '8.0.0', {
    downloads: 900,
    metadata: {
      ...base,
      description: 'Provides high-performance and low-allocating types that serialize objects to JSON',
      tags: ['json'],
      authors: 'Microsoft',
      owners: 'dotnetframework',
    },
  }),
  samplePackageVersion('Serilog', '3.1.1', {
    downloads: 300,
    metadata: {
      ...base,
      description: 'Simple .NET logging with fully-structured events',
      tags: ['logging', 'serilog'],
      authors: 'Serilog Contributors',
      summary: 'Structured logging',
    },
  }),
  samplePackageVersion('Serilog.Sinks.Console', '5.0.0', {
    downloads: 200,
    metadata: {
      ...base,
      description: 'A Serilog sink that writes log events to the console',
      tags: ['serilog', 'console'],
    },
  }),
  samplePackageVersion('MyCompany.Http', '2.0.0', {
    downloads: 5,
    metadata: { ...base, title: 'Café HTTP helpers', description: 'Résumé-friendly HTTP client helpers' },
  }),
  samplePackageVersion('MyCompany.Http', '3.0.0-beta.1', {
    downloads: 1,
    metadata: { ...base, title: 'Café HTTP helpers', description: 'Résumé-friendly HTTP client helpers' },
  }),
  samplePackageVersion('Logging.Abstractions', '1.0.0', {
    downloads: 0,
    metadata: { ...base, description: 'Logging abstractions', packageTypes: [{ name: 'DotnetTool' }] },
  }),
];

const parityQueries: { q: string; prerelease?: boolean; expected: string[] }[] = [
  { q: 'json', expected: ['newtonsoft.json', 'newtonsoft.json.bson', 'system.text.json'] },
  { q: 'newtonsoft.json', expected: ['newtonsoft.json', 'newtonsoft.json.bson'] },
  { q: 'serilog', expected: ['serilog', 'serilog.sinks.console'] },
  { q: 'logging', expected: ['logging.abstractions', 'serilog'] },
  { q: 'serial', expected: ['system.text.json'] },
  { q: 'high-performance', expected: ['newtonsoft.json', 'system.text.json'] },
  { q: '"writes log"', expected: ['serilog.sinks.console'] },
  { q: 'json bson', expected: ['newtonsoft.json.bson'] },
  { q: 'company', expected: ['mycompany.http'] },
  { q: 'cafe', expected: ['mycompany.http'] },
  { q: 'resume', prerelease: true, expected: ['mycompany.http'] },
  { q: 'title:json', expected: ['newtonsoft.json'] },
  { q: 'tags:bson', expected: ['newtonsoft.json.bson'] },
  { q: 'author:microsoft', expected: ['system.text.json'] },
  { q: 'owner:dotnetframework', expected: ['system.text.json'] },
  { q: 'summary:structured', expected: ['serilog'] },
  { q: 'description:console', expected: ['serilog.sinks.console'] },
  { q: 'id:sinks', expected: ['serilog.sinks.console'] },
  { q: 'json description:bson', expected: ['newtonsoft.json.bson'] },
  { q: 'packageid:Serilog', expected: ['serilog'] },
  { q: 'version:13.0.3', expected: ['newtonsoft.json'] },
  { q: 'version:3.0.0-beta.1', prerelease: true, expected: ['mycompany.http'] },
  {
    q: 'contoso',
    // Tags and authors before authors alone; then the shorter document, as bm25 and ts_rank_cd's length normalization agree.
    expected: ['logging.abstractions', 'mycompany.http', 'serilog.sinks.console', 'newtonsoft.json.bson'],
  },
  {
    q: '',
    expected: [
      'system.text.json',
      'newtonsoft.json',
      'serilog',
      'serilog.sinks.console',
      'newtonsoft.json.bson',
      'mycompany.http',
      'logging.abstractions',
    ],
  },
  { q: 'nothing-like-this', expected: [] },
];

describe('search ranks alike on SQLite and PostgreSQL', () => {
  const engines: { name: string; ports: PackageSearchPorts }[] = [];
  let sqliteRoot = '';

  before(async () => {
    sqliteRoot = await mkdtemp(join(tmpdir(), 'nugget-parity-'));
    const sqlite = await openSqliteDatabase(join(sqliteRoot, 'parity.sqlite'));
    databases.push(sqlite);
    engines.push(
      {
        name: 'SQLite',
        ports: {
          packages: new SqlPackageStore(sqlite, 'default', refreshSearchDocuments),
          search: new SqliteSearchIndex(sqlite, 'default'),
        },
      },
      { name: 'PostgreSQL', ports: postgresPorts(await openPostgres()) },
    );
    for (const { ports } of engines) {
      for (const v of corpus) assert.equal(await ports.packages.insert(v), 'inserted');
    }
  });
  after(async () => {
    await rm(sqliteRoot, { recursive: true, force: true });
  });

  for (const { q, prerelease = false, expected } of parityQueries) {
    it(`q=${JSON.stringify(q)}${prerelease ? ' (prerelease)' : ''} -> ${expected.join(', ') || 'nothing'}`, async () => {
      const results: Record<string, { ids: string[]; totalHits: number }> = {};
      for (const { name, ports } of engines) {
        const { hits, totalHits } = await ports.search.search({
          q,
          skip: 0,
          take: 20,
          prerelease,
          semVer2: true,
        });
        results[name] = { ids: hits.map((h) => h.lowerId), totalHits };
      }
      const want = { ids: expected, totalHits: expected.length };
      assert.deepEqual(results, { SQLite: want, PostgreSQL: want });
    });
  }

  for (const [q, expected] of [
    ['newt', ['Newtonsoft.Json', 'Newtonsoft.Json.Bson']],
    ['sinks', ['Serilog.Sinks.Console']],
    // Text rank before downloads: the shortest document where json is half the id comes first.
    ['json', ['Newtonsoft.Json', 'Newtonsoft.Json.Bson', 'System.Text.Json']],
  ] as const) {
    it(`autocompletes ${q} -> ${expected.join(', ')}`, async () => {
      const results: Record<string, string[]> = {};
      for (const { name, ports } of engines) {
        const query = { q, skip: 0, take: 20, prerelease: false, semVer2: false };
        results[name] = (await ports.search.autocompleteIds(query)).ids;
      }
      assert.deepEqual(results, { SQLite: expected, PostgreSQL: expected });
    });
  }

  it('filters on package type alike', async () => {
    for (const { name, ports } of engines) {
      const tools = await ports.search.search({
        q: 'logging',
        skip: 0,
        take: 20,
        prerelease: false,
        semVer2: false,
        packageType: 'dotnettool',
      });
      assert.deepEqual(
        tools.hits.map((h) => h.lowerId),
        ['logging.abstractions'],
        name,
      );
    }
  });
});
