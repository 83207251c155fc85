// The ports the use cases need (docs/architecture.md rule 4): small, named by role, speaking domain types.
import type { Readable } from 'node:stream';
import type { PackageDeprecation, PackageVersion } from '../protocol/package-version.ts';

export interface PackageStore {
  /** Every version of an id, listed and unlisted, in no particular order. */
  findVersions(lowerId: string): Promise<PackageVersion[]>;
  findVersion(lowerId: string, lowerVersion: string): Promise<PackageVersion | undefined>;
  /** Adds a version and refreshes its search documents in one transaction; 'duplicate' when (lower id, normalized version) exists. */
  insert(version: PackageVersion): Promise<'inserted' | 'duplicate'>;
  /** Returns false when there is no such version. */
  setListed(lowerId: string, lowerVersion: string, listed: boolean): Promise<boolean>;
  /** Sets (or with undefined clears) a version's deprecation; returns false when there is no such version. */
  setDeprecation(
    lowerId: string,
    lowerVersion: string,
    deprecation: PackageDeprecation | undefined,
  ): Promise<boolean>;
  /** Removes a version's row; returns what was removed. */
  remove(lowerId: string, lowerVersion: string): Promise<PackageVersion | undefined>;
  addDownloads(
    counts: ReadonlyMap<string, { lowerId: string; lowerVersion: string; count: number }>,
  ): Promise<void>;
}

export interface SearchFilter {
  readonly prerelease: boolean;
  readonly semVer2: boolean;
  /** Only ids whose latest matching version declares this package type; undefined = no filter. */
  readonly packageType?: string | undefined;
}

export interface SearchQuery extends SearchFilter {
  readonly q: string;
  readonly skip: number;
  readonly take: number;
}

export interface SearchHit {
  readonly lowerId: string;
  /** The listed versions of the id that pass the filter, lowest first; the last is the one the result describes. */
  readonly versions: readonly PackageVersion[];
}

export interface SearchIndex {
  search(query: SearchQuery): Promise<{ totalHits: number; hits: SearchHit[] }>;
  autocompleteIds(query: SearchQuery): Promise<{ totalHits: number; ids: string[] }>;
}

/** The metadata ports that one database provides together. */
export interface PackageSearchPorts {
  readonly packages: PackageStore;
  readonly search: SearchIndex;
}

export interface StoredBlob {
  readonly stream: Readable;
  readonly size: number;
}

export interface BlobStore {
  /** Stores the file at `sourcePath` under `key` (the source may be moved, not copied). */
  putFile(key: string, sourcePath: string): Promise<void>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  open(key: string): Promise<StoredBlob | undefined>;
  /** Removes every blob whose key starts with `prefix`; nothing to remove is not an error. */
  deletePrefix(prefix: string): Promise<void>;
}

export interface Clock {
  now(): Date;
}
