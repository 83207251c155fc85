// Versioned migrations, applied at start. Each one is forever: add new ones, never edit old ones.
import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';

const migrations: Record<string, Migration> = {
  '0001-packages-and-search': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('package_versions')
        .addColumn('lower_id', 'text', (c) => c.notNull())
        .addColumn('lower_version', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('full_version', 'text', (c) => c.notNull())
        .addColumn('is_prerelease', 'integer', (c) => c.notNull())
        .addColumn('is_semver2', 'integer', (c) => c.notNull())
        .addColumn('listed', 'integer', (c) => c.notNull())
        .addColumn('published', 'text', (c) => c.notNull())
        .addColumn('downloads', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('package_size', 'integer', (c) => c.notNull())
        .addColumn('package_hash', 'text', (c) => c.notNull())
        .addColumn('blob_prefix', 'text', (c) => c.notNull())
        .addColumn('embedded_files', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        // The unique key that makes a duplicate push a 409 however many pushes race (architecture rule 12).
        .addPrimaryKeyConstraint('package_versions_pk', ['lower_id', 'lower_version'])
        .execute();

      await db.schema
        .createTable('search_documents')
        .addColumn('doc_id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('lower_id', 'text', (c) => c.notNull())
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('lower_version', 'text', (c) => c.notNull())
        .addColumn('total_downloads', 'integer', (c) => c.notNull())
        .addColumn('package_types', 'text', (c) => c.notNull())
        .addUniqueConstraint('search_documents_id_level', ['lower_id', 'level'])
        .execute();
      await db.schema
        .createIndex('search_documents_level_downloads')
        .on('search_documents')
        .columns(['level', 'total_downloads'])
        .execute();

      // Full-text index over the search documents; rowid = search_documents.doc_id.
      await sql`CREATE VIRTUAL TABLE search_fts USING fts5(
        id, title, description, tags, authors, summary, owners,
        tokenize = 'unicode61 remove_diacritics 2'
      )`.execute(db);
    },
  },
};

class InCodeMigrations implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new InCodeMigrations() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
