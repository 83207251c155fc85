// The tables, as Kysely sees them. Booleans are 0/1 integers so SQLite and PostgreSQL read alike.
import type { Generated } from 'kysely';

export interface PackageVersionsTable {
  lower_id: string;
  lower_version: string;
  id: string;
  version: string;
  full_version: string;
  is_prerelease: number;
  is_semver2: number;
  listed: number;
  published: string;
  downloads: number;
  package_size: number;
  package_hash: string;
  blob_prefix: string;
  /** JSON array of EmbeddedFileKind. */
  embedded_files: string;
  /** JSON PackageMetadata. */
  metadata: string;
}

/**
 * One row per id and search level: the latest listed version that a client asking with that
 * prerelease / semVerLevel combination may see (nuget.org keeps four such documents per id too).
 * level bit 0: prerelease included; bit 1: SemVer 2.0.0 included.
 */
export interface SearchDocumentsTable {
  doc_id: Generated<number>;
  lower_id: string;
  level: number;
  lower_version: string;
  total_downloads: number;
  /** Space-separated lower-case package type names, padded with spaces: ' dependency '. */
  package_types: string;
}

export interface Database {
  package_versions: PackageVersionsTable;
  search_documents: SearchDocumentsTable;
}
