// The embedded default's adapters against their port contracts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { FileSystemBlobStore } from '../../src/storage/blobs/file-system-blob-store.ts';
import { blobStoreContract } from '../../src/storage/contracts/blob-store-contract.ts';
import { catalogContract } from '../../src/storage/contracts/catalog-contract.ts';
import { packageStoreContract } from '../../src/storage/contracts/package-store-contract.ts';
import type { Database } from '../../src/storage/sql/schema.ts';
import { SqlCatalogStore } from '../../src/storage/sql/sql-catalog-store.ts';
import { SqlPackageStore } from '../../src/storage/sql/sql-package-store.ts';
import { symbolStoreContract } from '../../src/storage/contracts/symbol-store-contract.ts';
import { SqlSymbolStore } from '../../src/storage/sql/sql-symbol-store.ts';
import { openSqliteDatabase } from '../../src/storage/sql/sqlite-database.ts';
import { feedIsolationContract } from '../../src/storage/contracts/feed-isolation-contract.ts';
import { SqlAdvisoryStore } from '../../src/storage/sql/sql-advisory-store.ts';
import { SqlReplicationCursorStore } from '../../src/storage/sql/sql-catalog-store.ts';
import { SqlChangeStamps } from '../../src/storage/sql/change-stamps.ts';
import { SqlFeedStore } from '../../src/storage/sql/sql-feed-store.ts';
import { refreshSearchDocuments, SqliteSearchIndex } from '../../src/storage/sql/sqlite-search-index.ts';
import { symbolFilesMigrationTest } from './symbol-files-migration.ts';

const root = await mkdtemp(join(tmpdir(), 'nugget-storage-'));
const databases: Kysely<Database>[] = [];
let n = 0;
after(async () => {
  for (const db of databases) await db.destroy();
  await rm(root, { recursive: true, force: true });
});

packageStoreContract('SQLite', async () => {
  const db = await openSqliteDatabase(join(root, `db-${n++}.sqlite`));
  databases.push(db);
  return {
    packages: new SqlPackageStore(db, 'default', refreshSearchDocuments),
    search: new SqliteSearchIndex(db, 'default'),
  };
});

catalogContract('SQLite', async () => {
  const db = await openSqliteDatabase(join(root, `db-${n++}.sqlite`));
  databases.push(db);
  return {
    packages: new SqlPackageStore(db, 'default', refreshSearchDocuments),
    catalog: new SqlCatalogStore(db, 'default'),
  };
});

feedIsolationContract('SQLite', async () => {
  const db = await openSqliteDatabase(join(root, `db-${n++}.sqlite`));
  databases.push(db);
  return {
    feeds: new SqlFeedStore(db, { dialect: 'sqlite' }),
    storesFor: (feed) => ({
      packages: new SqlPackageStore(db, feed, refreshSearchDocuments),
      search: new SqliteSearchIndex(db, feed),
      catalog: new SqlCatalogStore(db, feed),
      advisories: new SqlAdvisoryStore(db, feed),
      symbols: new SqlSymbolStore(db, feed),
      stamps: new SqlChangeStamps(db, feed),
      replicationCursors: new SqlReplicationCursorStore(db, feed),
    }),
  };
});

symbolStoreContract('SQLite', async () => {
  const db = await openSqliteDatabase(join(root, `db-${n++}.sqlite`));
  databases.push(db);
  return new SqlSymbolStore(db, 'default');
});

symbolFilesMigrationTest('SQLite', 'sqlite', async () => {
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: new BetterSqlite3(join(root, `db-${n++}.sqlite`)) }),
  });
  databases.push(db);
  return db as Kysely<unknown>;
});

blobStoreContract('file system', async () => new FileSystemBlobStore(join(root, `blobs-${n++}`)));
