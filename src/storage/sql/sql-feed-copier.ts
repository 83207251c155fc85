// The metadata half of `nugget migrate-data`: every row of every feed (the whole database) copied from one database to another exactly as
// it is (published times, downloads, listed, deprecation, catalog seq / commit id / timestamp), so that the
// destination serves the same documents and its catalog is the same catalog (a reader's cursor stays valid).
// Works between any two of our dialects; search documents are derived data and are rebuilt in the destination by
// its own indexer (FTS5 on SQLite, tsvector on PostgreSQL).
import { createHash } from 'node:crypto';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { BlobReference, FeedCopier, TableComparison } from '../../packages/ports.ts';
import { blobKeys } from '../../packages/publish-package.ts';
import { symbolBlobKeys } from '../../packages/publish-symbol-package.ts';
import type { EmbeddedFileKind } from '../../protocol/package-version.ts';
import type { SqlDialect } from './migrations.ts';
import type { Database } from './schema.ts';
import type { SearchDocumentsRefresher } from './sql-package-store.ts';

type Row = Record<string, unknown>;

/** Each copied table and its primary key, in an order where nothing refers to a later table. */
const copiedTables: Readonly<Record<string, readonly string[]>> = {
  feeds: ['name'],
  package_versions: ['feed', 'lower_id', 'lower_version'],
  vulnerability_advisories: ['feed', 'lower_id', 'url'],
  catalog_entries: ['seq'],
  symbol_packages: ['feed', 'lower_id', 'lower_version'],
  symbol_files: ['feed', 'lower_id', 'lower_version', 'file_name', 'symbol_key'],
  replication_cursors: ['feed', 'source'],
  trust_policies: ['id'],
  api_keys: ['key_id'],
  used_oidc_tokens: ['token_key'],
  audit_log: ['seq'],
  // What upstream feeds learnt from their upstreams: kept, so the copy answers offline as the source did.
  upstream_documents: ['feed', 'key'],
};
/**
 * Tables whose copied rows replace what the destination has: its migrations made a `default` feed of their own,
 * which must become the source's (same created time and stamps).
 */
const replacedTables = new Set(['feeds']);
/** Tables whose key is an identity column: PostgreSQL's sequence must move past the copied values. */
const identityTables = new Set(['catalog_entries', 'audit_log']);

// Rows per statement: the widest table (package_versions, 16 columns) stays far below SQLite's 32,766 and
// PostgreSQL's 65,535 bound parameters.
const batchSize = 500;
const searchIdsPerTransaction = 200;

function keysOf(table: string): readonly string[] {
  const keys = copiedTables[table];
  if (!keys) throw new Error(`'${table}' is not a table that migrate-data copies`);
  return keys;
}

/** One value as both drivers agree on it: int8 and integers are numbers, text is text, NULL is null. */
function canonical(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value === undefined) return null;
  return value;
}

/** A row's digest, independent of column order. */
function rowDigest(row: Row): Buffer {
  const columns = Object.keys(row).sort();
  const text = JSON.stringify(columns.map((column) => [column, canonical(row[column])]));
  return createHash('sha256').update(text).digest();
}

export class SqlFeedCopier implements FeedCopier {
  readonly tables = Object.keys(copiedTables);
  readonly #source: Kysely<Database>;
  readonly #destination: Kysely<Database>;
  readonly #destinationDialect: SqlDialect;
  readonly #refreshSearch: SearchDocumentsRefresher;
  readonly #close: () => Promise<void>;

  constructor(
    source: Kysely<Database>,
    destination: Kysely<Database>,
    options: {
      destinationDialect: SqlDialect;
      /** The destination dialect's search indexer. */
      refreshSearch: SearchDocumentsRefresher;
      close?: () => Promise<void>;
    },
  ) {
    this.#source = source;
    this.#destination = destination;
    this.#destinationDialect = options.destinationDialect;
    this.#refreshSearch = options.refreshSearch;
    this.#close = options.close ?? (async () => {});
  }

  async countRows(table: string): Promise<number> {
    keysOf(table);
    return count(this.#source, table);
  }

  async copyTable(
    table: string,
    progress: (rows: number) => void,
  ): Promise<{ copied: number; skipped: number }> {
    const keys = keysOf(table);
    const destination = this.#destination as unknown as Kysely<Record<string, Row>>;
    let copied = 0;
    let skipped = 0;
    for await (const rows of readBatches(this.#source, table, keys)) {
      const result = await destination
        .insertInto(table)
        .values(rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, canonical(v)]))))
        .onConflict((oc) => {
          const conflict = oc.columns(keys as string[]);
          if (!replacedTables.has(table)) return conflict.doNothing();
          const columns = Object.keys(rows[0] ?? {}).filter((column) => !keys.includes(column));
          return conflict.doUpdateSet(
            Object.fromEntries(columns.map((column) => [column, sql.ref(`excluded.${column}`)])),
          );
        })
        .executeTakeFirst();
      const inserted = Number(result.numInsertedOrUpdatedRows ?? 0n);
      copied += inserted;
      skipped += rows.length - inserted;
      progress(rows.length);
    }
    if (identityTables.has(table) && this.#destinationDialect === 'postgres') {
      // Rows came with their own seq; the identity sequence must continue after the largest one, or the next
      // catalog entry (or audit record) would collide with a copied row.
      await sql`SELECT setval(pg_get_serial_sequence(${table}, 'seq'), m)
        FROM (SELECT max(seq) AS m FROM ${sql.table(table)}) AS last WHERE m IS NOT NULL`.execute(
        this.#destination,
      );
    }
    return { copied, skipped };
  }

  async rebuildSearch(progress: (ids: number) => void): Promise<number> {
    const ids = await this.#destination
      .selectFrom('package_versions')
      .select(['feed', 'lower_id'])
      .distinct()
      .execute();
    for (let i = 0; i < ids.length; i += searchIdsPerTransaction) {
      const slice = ids.slice(i, i + searchIdsPerTransaction);
      await this.#destination.transaction().execute(async (trx) => {
        for (const { feed, lower_id } of slice) await this.#refreshSearch(trx, feed, lower_id);
      });
      progress(slice.length);
    }
    return ids.length;
  }

  async compare(): Promise<TableComparison[]> {
    const comparisons: TableComparison[] = [];
    for (const table of this.tables) {
      const keys = keysOf(table);
      const [source, destination] = await Promise.all([
        tableDigest(this.#source, table, keys),
        tableDigest(this.#destination, table, keys),
      ]);
      comparisons.push({
        table,
        source: source.rows,
        destination: destination.rows,
        identical: source.rows === destination.rows && source.digest.equals(destination.digest),
      });
    }
    const [sourceDocuments, destinationDocuments] = await Promise.all([
      count(this.#source, 'search_documents'),
      count(this.#destination, 'search_documents'),
    ]);
    comparisons.push({
      table: 'search_documents',
      source: sourceDocuments,
      destination: destinationDocuments,
      identical: sourceDocuments === destinationDocuments,
    });
    return comparisons;
  }

  async countBlobReferences(): Promise<number> {
    let total = 0;
    for await (const rows of readBatches(this.#source, 'package_versions', keysOf('package_versions'))) {
      for (const row of rows) total += 1 + (JSON.parse(String(row['embedded_files'])) as unknown[]).length;
    }
    return (
      total + (await count(this.#source, 'symbol_packages')) + (await count(this.#source, 'symbol_files'))
    );
  }

  async *blobReferences(): AsyncIterable<BlobReference> {
    for await (const rows of readBatches(this.#source, 'package_versions', keysOf('package_versions'))) {
      for (const row of rows) {
        const pkg = {
          blobPrefix: String(row['blob_prefix']),
          lowerId: String(row['lower_id']),
          lowerVersion: String(row['lower_version']),
        };
        yield {
          key: blobKeys.nupkg(pkg),
          size: Number(row['package_size']),
          sha512: String(row['package_hash']),
        };
        for (const kind of JSON.parse(String(row['embedded_files'])) as EmbeddedFileKind[]) {
          yield { key: blobKeys.embedded(pkg, kind) };
        }
      }
    }
    for await (const rows of readBatches(this.#source, 'symbol_packages', keysOf('symbol_packages'))) {
      for (const row of rows) {
        const symbols = {
          blobPrefix: String(row['blob_prefix']),
          lowerId: String(row['lower_id']),
          lowerVersion: String(row['lower_version']),
        };
        yield {
          key: symbolBlobKeys.snupkg(symbols),
          size: Number(row['package_size']),
          sha512: String(row['package_hash']),
        };
      }
    }
    for await (const rows of readBatches(this.#source, 'symbol_files', keysOf('symbol_files'))) {
      for (const row of rows) yield { key: String(row['blob_key']), size: Number(row['size']) };
    }
  }

  async close(): Promise<void> {
    await this.#close();
  }
}

async function count(db: Kysely<Database>, table: string): Promise<number> {
  const result = await sql<{ n: number | string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/** Every row of a table, a batch at a time, in primary-key order (keyset pagination: no OFFSET rescans). */
async function* readBatches(
  db: Kysely<Database>,
  table: string,
  keys: readonly string[],
): AsyncIterable<Row[]> {
  const keyList = sql.join(keys.map((key) => sql.ref(key)));
  let after: unknown[] | undefined;
  for (;;) {
    const where: RawBuilder<unknown> = after
      ? sql`WHERE (${keyList}) > (${sql.join(after.map((value) => sql`${value}`))})`
      : sql``;
    const { rows } = await sql<Row>`SELECT * FROM ${sql.table(table)} ${where}
      ORDER BY ${keyList} LIMIT ${batchSize}`.execute(db);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < batchSize) return;
    const last = rows.at(-1) as Row;
    after = keys.map((key) => last[key]);
  }
}

/** The XOR of every row's digest: equal for equal sets of rows, whatever order each database reads them in. */
async function tableDigest(
  db: Kysely<Database>,
  table: string,
  keys: readonly string[],
): Promise<{ rows: number; digest: Buffer }> {
  const digest = Buffer.alloc(32);
  let rows = 0;
  for await (const batch of readBatches(db, table, keys)) {
    for (const row of batch) {
      const one = rowDigest(row);
      for (let i = 0; i < digest.length; i++) digest[i] = (digest[i] as number) ^ (one[i] as number);
      rows++;
    }
  }
  return { rows, digest };
}
