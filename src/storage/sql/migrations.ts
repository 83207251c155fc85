// Versioned migrations, applied at start. Each one is forever: add new ones, never edit old ones.
// One list for both dialects; where the DDL differs (identity columns, full-text search) a migration branches on
// the dialect, so a migration name means the same step everywhere.
import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
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
    '0002-catalog-deprecation-vulnerabilities-symbols': {
      async up(db: Kysely<unknown>) {
        const identity = (c: ColumnDefinitionBuilder) =>
          postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement();
        // The append-only catalog (../shared/spec/nuget-api/catalog-resource.md): one row per change, in commit order.
        // `snapshot` is the PackageVersion as it was at that commit (JSON), so a leaf never changes afterwards.
        await db.schema
          .createTable('catalog_entries')
          .addColumn('seq', bigInteger, identity)
          .addColumn('commit_id', 'text', (c) => c.notNull())
          .addColumn('commit_timestamp', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('lower_id', 'text', (c) => c.notNull())
          .addColumn('lower_version', 'text', (c) => c.notNull())
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('snapshot', 'text')
          .execute();
        await db.schema
          .createIndex('catalog_entries_timestamp')
          .on('catalog_entries')
          .column('commit_timestamp')
          .execute();

        // A deprecation (registration-base-url-resource.md, "Package deprecation") as JSON, or null.
        await db.schema.alterTable('package_versions').addColumn('deprecation', 'text').execute();

        // Advisories an admin imported or replicated: which versions of an id are vulnerable.
        await db.schema
          .createTable('vulnerability_advisories')
          .addColumn('lower_id', 'text', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('severity', 'integer', (c) => c.notNull())
          .addColumn('versions', 'text', (c) => c.notNull())
          .addColumn('updated', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('vulnerability_advisories_pk', ['lower_id', 'url'])
          .execute();

        // Symbol packages (.snupkg) and the files they hold, addressed the SSQP way: file name + key.
        await db.schema
          .createTable('symbol_packages')
          .addColumn('lower_id', 'text', (c) => c.notNull())
          .addColumn('lower_version', 'text', (c) => c.notNull())
          .addColumn('blob_prefix', 'text', (c) => c.notNull())
          .addColumn('package_size', bigInteger, (c) => c.notNull())
          .addColumn('package_hash', 'text', (c) => c.notNull())
          .addColumn('published', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('symbol_packages_pk', ['lower_id', 'lower_version'])
          .execute();
        await db.schema
          .createTable('symbol_files')
          .addColumn('file_name', 'text', (c) => c.notNull())
          .addColumn('symbol_key', 'text', (c) => c.notNull())
          .addColumn('lower_id', 'text', (c) => c.notNull())
          .addColumn('lower_version', 'text', (c) => c.notNull())
          .addColumn('blob_key', 'text', (c) => c.notNull())
          .addColumn('size', bigInteger, (c) => c.notNull())
          .addPrimaryKeyConstraint('symbol_files_pk', ['file_name', 'symbol_key'])
          .execute();
        await db.schema
          .createIndex('symbol_files_package')
          .on('symbol_files')
          .columns(['lower_id', 'lower_version'])
          .execute();
      },
    },
    '0003-replication-cursors': {
      async up(db: Kysely<unknown>) {
        // How far `nugget replicate` has read each source feed's catalog (a commitTimeStamp).
        await db.schema
          .createTable('replication_cursors')
          .addColumn('source', 'text', (c) => c.primaryKey())
          .addColumn('cursor', 'text', (c) => c.notNull())
          .addColumn('updated', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0004-api-keys-and-audit-log': {
      async up(db: Kysely<unknown>) {
        // Managed API keys: only a hash of the secret is stored; `key_id` is the public part a key starts with.
        await db.schema
          .createTable('api_keys')
          .addColumn('key_id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          /** JSON array of scope names. */
          .addColumn('scopes', 'text', (c) => c.notNull())
          /** JSON array of id glob patterns ('*' for all). */
          .addColumn('packages', 'text', (c) => c.notNull())
          .addColumn('created', 'text', (c) => c.notNull())
          .addColumn('expires', 'text')
          .addColumn('last_used', 'text')
          .addColumn('revoked', 'text')
          .execute();
        // Every write: who (key name), what, when, from where.
        await db.schema
          .createTable('audit_log')
          .addColumn('seq', bigInteger, (c) =>
            postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
          )
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('key_id', 'text')
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('package_id', 'text')
          .addColumn('version', 'text')
          .addColumn('source', 'text')
          .addColumn('outcome', 'text', (c) => c.notNull())
          /** JSON with anything else worth keeping. */
          .addColumn('detail', 'text')
          .execute();
        await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
      },
    },
    '0005-catalog-by-package': {
      async up(db: Kysely<unknown>) {
        // The latest catalog entry of one id is the version stamp that validates that id's cached documents.
        await db.schema
          .createIndex('catalog_entries_lower_id_seq')
          .on('catalog_entries')
          .columns(['lower_id', 'seq'])
          .execute();
      },
    },
    '0006-symbol-files-per-package': {
      async up(db: Kysely<unknown>) {
        // One PDB may belong to several packages (one build packed under two ids): a symbol file row per package
        // that brought it, each with its own copy, so deleting one package never takes what another serves.
        // SQLite cannot change a primary key in place: build the new table, copy, swap. Constraint and index names
        // are schema-wide in PostgreSQL, so the new ones differ from the old table's.
        await db.schema
          .createTable('symbol_files_0006')
          .addColumn('lower_id', 'text', (c) => c.notNull())
          .addColumn('lower_version', 'text', (c) => c.notNull())
          .addColumn('file_name', 'text', (c) => c.notNull())
          .addColumn('symbol_key', 'text', (c) => c.notNull())
          .addColumn('blob_key', 'text', (c) => c.notNull())
          .addColumn('size', bigInteger, (c) => c.notNull())
          .addPrimaryKeyConstraint('symbol_files_package_file_pk', [
            'lower_id',
            'lower_version',
            'file_name',
            'symbol_key',
          ])
          .execute();
        await sql`INSERT INTO symbol_files_0006 (lower_id, lower_version, file_name, symbol_key, blob_key, size)
          SELECT lower_id, lower_version, file_name, symbol_key, blob_key, size FROM symbol_files`.execute(
          db,
        );
        await db.schema.dropTable('symbol_files').execute();
        await db.schema.alterTable('symbol_files_0006').renameTo('symbol_files').execute();
        await db.schema
          .createIndex('symbol_files_file_key')
          .on('symbol_files')
          .columns(['file_name', 'symbol_key'])
          .execute();
      },
    },
    '0007-feeds': {
      async up(db: Kysely<unknown>) {
        // Several feeds on one server (docs/feeds.md): every row belongs to a feed, and what was the one feed
        // becomes the feed named 'default', row for row (nothing is rewritten but the new columns). Keys that
        // held a package id alone now hold it per feed.
        await db.schema
          .createTable('feeds')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('settings', 'text', (c) => c.notNull())
          .addColumn('created', 'text', (c) => c.notNull())
          .addColumn('stamp', bigInteger, (c) => c.notNull())
          .addColumn('settings_stamp', bigInteger, (c) => c.notNull())
          .execute();
        const now = new Date();
        await sql`INSERT INTO feeds (name, description, settings, created, stamp, settings_stamp)
          VALUES ('default', '', '{}', ${now.toISOString()}, ${now.getTime()}, ${now.getTime()})`.execute(db);

        // Tables whose key gains the feed. PostgreSQL alters the key in place; SQLite cannot, so the table is
        // rebuilt under the same name with the same rows (and search_documents keeps its doc_id, the rowid of
        // search_fts).
        const keyed: { table: string; key: string; columns: string[]; define: () => Promise<void> }[] = [
          {
            table: 'package_versions',
            key: 'package_versions_pk',
            columns: ['lower_id', 'lower_version'],
            define: () =>
              db.schema
                .createTable('package_versions')
                .addColumn('feed', 'text', (c) => c.notNull())
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
                .addColumn('deprecation', 'text')
                .addPrimaryKeyConstraint('package_versions_pk', ['feed', 'lower_id', 'lower_version'])
                .execute(),
          },
          {
            table: 'search_documents',
            key: 'search_documents_id_level',
            columns: ['lower_id', 'level'],
            define: () =>
              db.schema
                .createTable('search_documents')
                .addColumn('doc_id', 'integer', (c) => c.primaryKey().autoIncrement())
                .addColumn('feed', 'text', (c) => c.notNull())
                .addColumn('lower_id', 'text', (c) => c.notNull())
                .addColumn('level', 'integer', (c) => c.notNull())
                .addColumn('lower_version', 'text', (c) => c.notNull())
                .addColumn('total_downloads', bigInteger, (c) => c.notNull())
                .addColumn('package_types', 'text', (c) => c.notNull())
                .addUniqueConstraint('search_documents_id_level', ['feed', 'lower_id', 'level'])
                .execute(),
          },
          {
            table: 'vulnerability_advisories',
            key: 'vulnerability_advisories_pk',
            columns: ['lower_id', 'url'],
            define: () =>
              db.schema
                .createTable('vulnerability_advisories')
                .addColumn('feed', 'text', (c) => c.notNull())
                .addColumn('lower_id', 'text', (c) => c.notNull())
                .addColumn('url', 'text', (c) => c.notNull())
                .addColumn('severity', 'integer', (c) => c.notNull())
                .addColumn('versions', 'text', (c) => c.notNull())
                .addColumn('updated', 'text', (c) => c.notNull())
                .addPrimaryKeyConstraint('vulnerability_advisories_pk', ['feed', 'lower_id', 'url'])
                .execute(),
          },
          {
            table: 'symbol_packages',
            key: 'symbol_packages_pk',
            columns: ['lower_id', 'lower_version'],
            define: () =>
              db.schema
                .createTable('symbol_packages')
                .addColumn('feed', 'text', (c) => c.notNull())
                .addColumn('lower_id', 'text', (c) => c.notNull())
                .addColumn('lower_version', 'text', (c) => c.notNull())
                .addColumn('blob_prefix', 'text', (c) => c.notNull())
                .addColumn('package_size', bigInteger, (c) => c.notNull())
                .addColumn('package_hash', 'text', (c) => c.notNull())
                .addColumn('published', 'text', (c) => c.notNull())
                .addPrimaryKeyConstraint('symbol_packages_pk', ['feed', 'lower_id', 'lower_version'])
                .execute(),
          },
          {
            // Keyed per package since 0006.
            table: 'symbol_files',
            key: 'symbol_files_package_file_pk',
            columns: ['lower_id', 'lower_version', 'file_name', 'symbol_key'],
            define: () =>
              db.schema
                .createTable('symbol_files')
                .addColumn('feed', 'text', (c) => c.notNull())
                .addColumn('file_name', 'text', (c) => c.notNull())
                .addColumn('symbol_key', 'text', (c) => c.notNull())
                .addColumn('lower_id', 'text', (c) => c.notNull())
                .addColumn('lower_version', 'text', (c) => c.notNull())
                .addColumn('blob_key', 'text', (c) => c.notNull())
                .addColumn('size', bigInteger, (c) => c.notNull())
                .addPrimaryKeyConstraint('symbol_files_package_file_pk', [
                  'feed',
                  'lower_id',
                  'lower_version',
                  'file_name',
                  'symbol_key',
                ])
                .execute(),
          },
          {
            table: 'replication_cursors',
            // Created with a column primary key: PostgreSQL named it.
            key: 'replication_cursors_pkey',
            columns: ['source'],
            define: () =>
              db.schema
                .createTable('replication_cursors')
                .addColumn('feed', 'text', (c) => c.notNull())
                .addColumn('source', 'text', (c) => c.notNull())
                .addColumn('cursor', 'text', (c) => c.notNull())
                .addColumn('updated', 'text', (c) => c.notNull())
                .addPrimaryKeyConstraint('replication_cursors_pk', ['feed', 'source'])
                .execute(),
          },
        ];
        for (const { table, key, columns, define } of keyed) {
          if (postgres) {
            const t = sql.table(table);
            await sql`ALTER TABLE ${t} ADD COLUMN feed text NOT NULL DEFAULT 'default'`.execute(db);
            await sql`ALTER TABLE ${t} DROP CONSTRAINT ${sql.ref(key)}`.execute(db);
            const keyColumns = sql.join(['feed', ...columns].map((c) => sql.ref(c)));
            if (table === 'search_documents') {
              await sql`ALTER TABLE ${t} ADD CONSTRAINT ${sql.ref(key)} UNIQUE (${keyColumns})`.execute(db);
            } else {
              await sql`ALTER TABLE ${t} ADD PRIMARY KEY (${keyColumns})`.execute(db);
            }
            await sql`ALTER TABLE ${t} ALTER COLUMN feed DROP DEFAULT`.execute(db);
            continue;
          }
          // The old table's indexes go with it when it is dropped; they are created anew below.
          await sql`ALTER TABLE ${sql.table(table)} RENAME TO ${sql.table(`${table}_single_feed`)}`.execute(
            db,
          );
          await define();
          const names = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`.execute(db);
          const copied = names.rows.map((r) => r.name).filter((name) => name !== 'feed');
          const list = sql.join(copied.map((c) => sql.ref(c)));
          await sql`INSERT INTO ${sql.table(table)} (feed, ${list})
            SELECT 'default', ${list} FROM ${sql.table(`${table}_single_feed`)}`.execute(db);
          await sql`DROP TABLE ${sql.table(`${table}_single_feed`)}`.execute(db);
        }
        if (!postgres) {
          await db.schema.dropIndex('search_documents_level_downloads').ifExists().execute();
          await db.schema.dropIndex('symbol_files_file_key').ifExists().execute();
        } else {
          await db.schema.dropIndex('search_documents_level_downloads').execute();
          await db.schema.dropIndex('symbol_files_file_key').execute();
        }
        await db.schema
          .createIndex('search_documents_level_downloads')
          .on('search_documents')
          .columns(['feed', 'level', 'total_downloads'])
          .execute();
        await db.schema
          .createIndex('symbol_files_file_key')
          .on('symbol_files')
          .columns(['feed', 'file_name', 'symbol_key'])
          .execute();

        // The catalog: each feed numbers its own entries (its pages and leaf URLs count them); `seq` stays the
        // server-wide commit order that change stamps compare. The default feed keeps its numbers, so a replica
        // following /v3/catalog/ reads on where it was.
        await sql`ALTER TABLE catalog_entries ADD COLUMN feed text NOT NULL DEFAULT 'default'`.execute(db);
        await sql`ALTER TABLE catalog_entries ADD COLUMN feed_seq ${sql.raw(bigInteger)} NOT NULL DEFAULT 0`.execute(
          db,
        );
        await sql`UPDATE catalog_entries SET feed_seq = seq`.execute(db);
        await db.schema.dropIndex('catalog_entries_lower_id_seq').execute();
        await db.schema.dropIndex('catalog_entries_timestamp').execute();
        await db.schema
          .createIndex('catalog_entries_feed_seq')
          .on('catalog_entries')
          .columns(['feed', 'feed_seq'])
          .unique()
          .execute();
        await db.schema
          .createIndex('catalog_entries_feed_lower_id_seq')
          .on('catalog_entries')
          .columns(['feed', 'lower_id', 'seq'])
          .execute();
        await db.schema
          .createIndex('catalog_entries_feed_timestamp')
          .on('catalog_entries')
          .columns(['feed', 'commit_timestamp'])
          .execute();

        // Keys made before feeds were valid for the one feed there was: now for every feed.
        await sql`ALTER TABLE api_keys ADD COLUMN feeds text NOT NULL DEFAULT '["*"]'`.execute(db);
        // Audit entries made before feeds were about the one feed there was (key changes are server-wide).
        await sql`ALTER TABLE audit_log ADD COLUMN feed text`.execute(db);
        await sql`UPDATE audit_log SET feed = 'default'
          WHERE action NOT IN ('create-api-key', 'revoke-api-key')`.execute(db);
        await db.schema.createIndex('audit_log_feed_at').on('audit_log').columns(['feed', 'at']).execute();
      },
    },
    '0008-trusted-publishing': {
      async up(db: Kysely<unknown>) {
        // Trust policies (docs/trusted-publishing.md): which CI identity may exchange its OpenID Connect token
        // for a short-lived key on a feed. The criteria are JSON so that another CI platform needs no new columns.
        await db.schema
          .createTable('trust_policies')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('feed', 'text', (c) => c.notNull())
          .addColumn('user_name', 'text', (c) => c.notNull())
          .addColumn('issuer', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('criteria', 'text', (c) => c.notNull())
          .addColumn('pinned', 'text')
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('packages', 'text', (c) => c.notNull())
          .addColumn('created', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('trust_policies_feed').on('trust_policies').column('feed').execute();
        // Each token is exchanged once: its key is kept until the token expires, in the database so that every
        // node of a scaled-out server sees it.
        await db.schema
          .createTable('used_oidc_tokens')
          .addColumn('token_key', 'text', (c) => c.primaryKey())
          .addColumn('expires', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('used_oidc_tokens_expires')
          .on('used_oidc_tokens')
          .column('expires')
          .execute();
        await sql`ALTER TABLE api_keys ADD COLUMN trust_policy text`.execute(db);
        await db.schema.createIndex('api_keys_trust_policy').on('api_keys').column('trust_policy').execute();
      },
    },
    '0009-upstream-feeds': {
      async up(db: Kysely<unknown>) {
        // Feed kinds (docs/upstreams.md): every feed so far is hosted. `kind` holds the kind and what it sets for
        // itself (an upstream's source and timeouts, a virtual feed's members), as JSON beside `settings`.
        await sql`ALTER TABLE feeds ADD COLUMN kind text NOT NULL DEFAULT '{"kind":"hosted"}'`.execute(db);
        // What upstream feeds learnt from their upstream (registrations, search answers, provenance of cached
        // packages), kept for the metadata TTL and, after it, for answering while the upstream is away.
        await db.schema
          .createTable('upstream_documents')
          .addColumn('feed', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('fetched_at', 'bigint', (c) => c.notNull())
          // When the body last changed (ms): moves the change stamps of the virtual feeds that show it.
          .addColumn('changed_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('upstream_documents_pk', ['feed', 'key'])
          .execute();
        await db.schema
          .createIndex('upstream_documents_changed')
          .on('upstream_documents')
          .columns(['feed', 'changed_at'])
          .execute();
      },
    },
    '0010-webui-downloads-per-day': {
      async up(db: Kysely<unknown>) {
        // Downloads over time (the web UI's chart): one row per version and UTC day, added to by the same batched
        // flush that adds to package_versions.downloads, so a download costs no extra write.
        await db.schema
          .createTable('package_downloads_daily')
          .addColumn('feed', 'text', (c) => c.notNull())
          .addColumn('lower_id', 'text', (c) => c.notNull())
          .addColumn('lower_version', 'text', (c) => c.notNull())
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('downloads', bigInteger, (c) => c.notNull())
          .addPrimaryKeyConstraint('package_downloads_daily_pk', ['feed', 'lower_id', 'day', 'lower_version'])
          .execute();
      },
    },
    '0011-webui-admin-web-sessions': {
      async up(db: Kysely<unknown>) {
        // Sessions of the web UI (src/auth/web-sessions.ts): on the server, so that signing out ends one on every
        // node; the cookie holds the id and a secret whose hash only is stored here.
        await db.schema
          .createTable('web_sessions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          .addColumn('method', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('key_id', 'text')
          .addColumn('subject', 'text')
          .addColumn('claims', 'text')
          .addColumn('csrf_token', 'text', (c) => c.notNull())
          .addColumn('created', 'text', (c) => c.notNull())
          .addColumn('expires', 'text', (c) => c.notNull())
          .addColumn('revoked', 'text')
          .execute();
        await db.schema.createIndex('web_sessions_expires').on('web_sessions').column('expires').execute();
      },
    },
    '0012-retention': {
      async up(db: Kysely<unknown>) {
        // Retention (docs/retention.md): the last download of each version, written with the download counts;
        // each feed's policy; and on SQLite the lock row of a feed's run.
        await sql`ALTER TABLE package_versions ADD COLUMN last_downloaded text`.execute(db);
        await db.schema
          .createTable('retention_policies')
          .addColumn('feed', 'text', (c) => c.primaryKey())
          .addColumn('policy', 'text', (c) => c.notNull())
          .addColumn('updated', 'text', (c) => c.notNull())
          .addColumn('updated_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('retention_locks')
          .addColumn('feed', 'text', (c) => c.primaryKey())
          .addColumn('owner', 'text', (c) => c.notNull())
          .addColumn('host', 'text', (c) => c.notNull())
          .addColumn('pid', 'integer', (c) => c.notNull())
          .addColumn('expires', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0013-webhooks-subscriptions-and-deliveries': {
      async up(db: Kysely<unknown>) {
        // Webhook subscriptions of a feed (docs/webhooks.md). The secret is kept as it is, not hashed: nugget
        // signs every delivery with it.
        await db.schema
          .createTable('webhook_subscriptions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('feed', 'text', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('events', 'text', (c) => c.notNull())
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('active', 'integer', (c) => c.notNull())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('created', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          // The receiver's health: consecutive failed rounds, and until when nothing is sent to it.
          .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('paused_until', 'text')
          .execute();
        await db.schema
          .createIndex('webhook_subscriptions_feed')
          .on('webhook_subscriptions')
          .column('feed')
          .execute();
        // The outbox: one row per event and subscription, written in the transaction of the change it reports,
        // then delivered (and kept as the delivery log) by the delivery worker of any node.
        await db.schema
          .createTable('webhook_deliveries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subscription_id', 'text', (c) => c.notNull())
          .addColumn('feed', 'text', (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('package_id', 'text')
          .addColumn('package_version', 'text')
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created', 'text', (c) => c.notNull())
          .addColumn('retry_from', 'text', (c) => c.notNull())
          .addColumn('next_attempt', 'text', (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'text')
          .addColumn('last_attempt', 'text')
          .addColumn('last_error', 'text')
          .addColumn('response_code', 'integer')
          .addColumn('completed', 'text')
          .execute();
        await db.schema
          .createIndex('webhook_deliveries_due')
          .on('webhook_deliveries')
          .columns(['status', 'next_attempt'])
          .execute();
        await db.schema
          .createIndex('webhook_deliveries_subscription')
          .on('webhook_deliveries')
          .columns(['subscription_id', 'status', 'next_attempt'])
          .execute();
      },
    },
    '0014-upstream-flight-fetch-leases': {
      async up(db: Kysely<unknown>) {
        // One row per package being fetched on its first download: the process that inserts it asks the
        // upstream, the others wait for the package to be stored (docs/upstreams.md, "Single flight").
        await db.schema
          .createTable('upstream_fetch_leases')
          .addColumn('feed', 'text', (c) => c.notNull())
          .addColumn('lower_id', 'text', (c) => c.notNull())
          .addColumn('lower_version', 'text', (c) => c.notNull())
          .addColumn('owner', 'text', (c) => c.notNull())
          .addColumn('expires', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('upstream_fetch_leases_pk', ['feed', 'lower_id', 'lower_version'])
          .execute();
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

/** Every migration's name, in the order they apply. */
export const migrationNames = (dialect: SqlDialect = 'sqlite'): string[] =>
  Object.keys(migrationsFor(dialect)).sort();

/** Applies the migrations up to and including `name`: for tests of a migration over the data before it. */
export async function migrateUpTo(db: Kysely<unknown>, dialect: SqlDialect, name: string): Promise<void> {
  const { error } = await new Migrator({ db, provider: new InCodeMigrations(dialect) }).migrateTo(name);
  if (error) throw error;
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
