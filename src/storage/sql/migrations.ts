// Versioned migrations, applied at start. Each one is forever: add new ones, never edit old ones.
// One list for both dialects; where the DDL differs (identity columns, full-text search) a migration branches on
// the dialect, so a migration name means the same step everywhere.
import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';

export type SqlDialect = 'sqlite' | 'postgres';

function migrationsFor(dialect: SqlDialect): Record<string, Migration> {
  const postgres = dialect === 'postgres';
  // PostgreSQL's integer is 32 bits: counts and sizes need bigint there (the pool parses int8 back to numbers).
  const bigInteger = postgres ? 'bigint' : 'integer';
  return {
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
          .addColumn('downloads', bigInteger, (c) => c.notNull().defaultTo(0))
          .addColumn('package_size', bigInteger, (c) => c.notNull())
          .addColumn('package_hash', 'text', (c) => c.notNull())
          .addColumn('blob_prefix', 'text', (c) => c.notNull())
          .addColumn('embedded_files', 'text', (c) => c.notNull())
          .addColumn('metadata', 'text', (c) => c.notNull())
          // The unique key that makes a duplicate push a 409 however many pushes race (architecture rule 12).
          .addPrimaryKeyConstraint('package_versions_pk', ['lower_id', 'lower_version'])
          .execute();

        await db.schema
          .createTable('search_documents')
          .addColumn('doc_id', 'integer', (c) =>
            postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
          )
          .addColumn('lower_id', 'text', (c) => c.notNull())
          .addColumn('level', 'integer', (c) => c.notNull())
          .addColumn('lower_version', 'text', (c) => c.notNull())
          .addColumn('total_downloads', bigInteger, (c) => c.notNull())
          .addColumn('package_types', 'text', (c) => c.notNull())
          .addUniqueConstraint('search_documents_id_level', ['lower_id', 'level'])
          .execute();
        await db.schema
          .createIndex('search_documents_level_downloads')
          .on('search_documents')
          .columns(['level', 'total_downloads'])
          .execute();

        if (postgres) {
          // The weighted tsvector of each search document, built by postgres-search-index.ts (which tokenizes like
          // SQLite's unicode61, so both databases find the same words), and pg_trgm for id substring / similarity.
          await sql`ALTER TABLE search_documents ADD COLUMN document tsvector NOT NULL`.execute(db);
          await sql`CREATE INDEX search_documents_document ON search_documents USING gin (document)`.execute(
            db,
          );
          await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
          await sql`CREATE INDEX search_documents_lower_id_trgm ON search_documents
          USING gin (lower_id gin_trgm_ops)`.execute(db);
          return;
        }
        // Full-text index over the search documents; rowid = search_documents.doc_id.
        await sql`CREATE VIRTUAL TABLE search_fts USING fts5(
        id, title, description, tags, authors, summary, owners,
        tokenize = 'unicode61 remove_diacritics 2'
      )`.execute(db);
      },
    },
  };
}

class InCodeMigrations implements MigrationProvider {
  readonly #dialect: SqlDialect;

  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    return migrationsFor(this.#dialect);
  }
}

/** Applies every migration not yet applied; returns the names applied now. */
export async function migrateToLatest(
  db: Kysely<unknown>,
  dialect: SqlDialect = 'sqlite',
): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new InCodeMigrations(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
