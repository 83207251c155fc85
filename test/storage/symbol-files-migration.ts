// Migration 0006 over symbol files written before it: every row is kept, and the same PDB may then belong to a
// second package. Run from the SQLite and PostgreSQL storage tests on a database migrated only up to 0005.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { migrateToLatest, migrateUpTo, type SqlDialect } from '../../src/storage/sql/migrations.ts';
import type { Database } from '../../src/storage/sql/schema.ts';
import { SqlSymbolStore } from '../../src/storage/sql/sql-symbol-store.ts';
import { sampleSymbolPackage } from '../../src/storage/contracts/symbol-store-contract.ts';

const key = `${'ab'.repeat(16)}ffffffff`;

export function symbolFilesMigrationTest(
  name: string,
  dialect: SqlDialect,
  openUnmigrated: () => Promise<Kysely<unknown>>,
): void {
  it(`${name}: migration 0006 keeps the symbol files of 0002 and lets a second package hold the same PDB`, async () => {
    const db = await openUnmigrated();
    await migrateUpTo(db, dialect, '0005-catalog-by-package');
    await sql`INSERT INTO symbol_packages (lower_id, lower_version, blob_prefix, package_size, package_hash, published)
      VALUES ('old', '1.0.0', 'symbols/old/1.0.0/s', 4321, 'hash', '2026-11-20T10:00:00.000Z')`.execute(db);
    await sql`INSERT INTO symbol_files (file_name, symbol_key, lower_id, lower_version, blob_key, size)
      VALUES ('old.pdb', ${key}, 'old', '1.0.0', 'symbols/old/1.0.0/s/old.pdb/k/old.pdb', 1000)`.execute(db);

    await migrateToLatest(db, dialect);
    const symbols = new SqlSymbolStore(db as Kysely<Database>, 'default');
    assert.deepEqual(await symbols.findFile('old.pdb', key), {
      fileName: 'old.pdb',
      symbolKey: key,
      lowerId: 'old',
      lowerVersion: '1.0.0',
      blobKey: 'symbols/old/1.0.0/s/old.pdb/k/old.pdb',
      size: 1000,
    });
    assert.equal(await symbols.insert(sampleSymbolPackage('old', '1.0.1', [key])), 'inserted');
    await symbols.remove('old', '1.0.0');
    assert.equal((await symbols.findFile('old.pdb', key))?.lowerVersion, '1.0.1');
  });
}
