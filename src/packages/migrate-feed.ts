// `nugget migrate-data`: move a feed from one storage to another (typically from the embedded SQLite + files to
// PostgreSQL + S3, docs/deployment.md), then prove the copy: same rows in every table, every blob present with
// the size its row records and, for packages, the SHA-512 the feed published as packageHash.
// Resumable: rows and blobs already in the destination are skipped, so a run that stopped can simply be rerun.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobListing, BlobReference, BlobStore, FeedCopier, TableComparison } from './ports.ts';

export interface MigrationDeps {
  readonly copier: FeedCopier;
  readonly sourceBlobs: BlobStore;
  readonly destinationBlobs: BlobStore;
  /** The destination keeps the source's blobs where they are: nothing to copy, only to verify. */
  readonly sameBlobStore: boolean;
  /** Where a blob is staged between reading the source and writing the destination. */
  readonly tempDir: string;
}

/** A phase starts with its total, then advances; the CLI draws it as a progress bar. */
export interface MigrationProgress {
  start(phase: string, total: number): void;
  advance(count: number): void;
}

export interface BlobProblem {
  readonly key: string;
  readonly problem: string;
}

export interface MigrationReport {
  readonly tables: readonly { table: string; copied: number; skipped: number }[];
  readonly searchIds: number;
  readonly blobs: { readonly copied: number; readonly skipped: number; readonly bytesCopied: number };
  readonly verification: {
    readonly tables: readonly TableComparison[];
    readonly blobsChecked: number;
    readonly blobProblems: readonly BlobProblem[];
    readonly ok: boolean;
  };
}

const silent: MigrationProgress = { start: () => {}, advance: () => {} };

export async function migrateFeed(
  deps: MigrationDeps,
  progress: MigrationProgress = silent,
): Promise<MigrationReport> {
  const { copier } = deps;

  const tables: { table: string; copied: number; skipped: number }[] = [];
  for (const table of copier.tables) {
    progress.start(`rows of ${table}`, await copier.countRows(table));
    tables.push({ table, ...(await copier.copyTable(table, (rows) => progress.advance(rows))) });
  }

  const referenceCount = await copier.countBlobReferences();
  const blobs = { copied: 0, skipped: 0, bytesCopied: 0 };
  if (!deps.sameBlobStore) {
    progress.start('blobs', referenceCount);
    await mkdir(deps.tempDir, { recursive: true });
    for await (const reference of copier.blobReferences()) {
      const source = await listOne(deps.sourceBlobs, reference.key);
      const present = await listOne(deps.destinationBlobs, reference.key);
      // A blob with the source's size is one an earlier run copied whole: stores write under a temp name (files)
      // or all at once (S3), so a stopped copy leaves no blob of the right size with the wrong bytes.
      if (source && present && present.size === source.size) blobs.skipped++;
      else if (source) {
        await copyBlob(deps, reference.key);
        blobs.copied++;
        blobs.bytesCopied += source.size;
      }
      progress.advance(1);
    }
  }

  progress.start('search documents', 0);
  const searchIds = await copier.rebuildSearch((ids) => progress.advance(ids));

  progress.start('verifying rows', copier.tables.length);
  const comparisons = await copier.compare();
  progress.advance(copier.tables.length);

  progress.start('verifying blobs', referenceCount);
  const blobProblems: BlobProblem[] = [];
  let blobsChecked = 0;
  for await (const reference of copier.blobReferences()) {
    const problem = await verifyBlob(deps, reference);
    if (problem) blobProblems.push({ key: reference.key, problem });
    blobsChecked++;
    progress.advance(1);
  }

  return {
    tables,
    searchIds,
    blobs,
    verification: {
      tables: comparisons,
      blobsChecked,
      blobProblems,
      ok: comparisons.every((c) => c.identical) && blobProblems.length === 0,
    },
  };
}

async function listOne(store: BlobStore, key: string): Promise<BlobListing | undefined> {
  for await (const blob of store.list(key)) if (blob.key === key) return blob;
  return undefined;
}

/** Streams a blob through a temp file, so a 250 MB package never sits in memory. */
async function copyBlob(deps: MigrationDeps, key: string): Promise<void> {
  const blob = await deps.sourceBlobs.open(key);
  if (!blob) return;
  const staged = join(deps.tempDir, `migrate-${randomUUID()}`);
  try {
    await pipeline(blob.stream, createWriteStream(staged));
    await deps.destinationBlobs.putFile(key, staged);
  } finally {
    await rm(staged, { force: true });
  }
}

async function verifyBlob(deps: MigrationDeps, reference: BlobReference): Promise<string | undefined> {
  const [source, destination] = await Promise.all([
    listOne(deps.sourceBlobs, reference.key),
    listOne(deps.destinationBlobs, reference.key),
  ]);
  if (!destination)
    return source ? 'missing in the destination' : 'missing in the source and the destination';
  const expectedSize = reference.size ?? source?.size;
  if (expectedSize !== undefined && destination.size !== expectedSize) {
    return `${destination.size} bytes in the destination, ${expectedSize} expected`;
  }
  if (reference.sha512 !== undefined) {
    const blob = await deps.destinationBlobs.open(reference.key);
    if (!blob) return 'missing in the destination';
    const hash = createHash('sha512');
    for await (const chunk of blob.stream) hash.update(chunk as Buffer);
    const actual = hash.digest('base64');
    if (actual !== reference.sha512)
      return `SHA-512 ${actual} in the destination, ${reference.sha512} expected`;
  }
  return undefined;
}
