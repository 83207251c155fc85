// `nugget gc`: removes what a crash or a lost race left behind (docs/architecture.md rule 12). A push stores its
// files under a prefix of its own, then commits the row that points at it (docs/decisions/0002-safe-writes.md);
// when the process dies in between, the prefix is invisible to clients but takes space. So does an upload whose
// temp file outlived its process, and the empty folders a removed prefix leaves in a file-system store.
import type { BlobStore, Clock, PackageStore, SymbolStore } from './ports.ts';
import { collectStaleTempEntries, tempFolderStaleAfterMs } from './temp-folders.ts';

/** The blob folders that hold one push each: `<root>/<lower id>/<lower version>/<push id>/...`. */
export const pushRoots = ['packages', 'symbols'] as const;
const pushPrefixSegments = 4;

export const defaultGracePeriodMs = 60 * 60 * 1000;

export interface GarbageCollectionDeps {
  readonly packages: Pick<PackageStore, 'referencedBlobPrefixes'>;
  readonly symbols: Pick<SymbolStore, 'referencedBlobPrefixes'>;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /**
   * The root of the folders for uploads in progress (`<data dir>/tmp`, one folder per process); absent when
   * there is none to clean.
   */
  readonly tempDir?: string | undefined;
}

export interface GarbageCollectionOptions {
  /**
   * Only what is older than this is removed. A push stores its files before it commits its row, so a prefix
   * younger than the longest push may belong to a push in progress (on this node or another).
   */
  readonly gracePeriodMs: number;
  /** Report what would be removed, remove nothing. */
  readonly dryRun: boolean;
}

export interface OrphanedPrefix {
  readonly prefix: string;
  readonly keys: readonly string[];
  readonly bytes: number;
  /** The newest of its blobs. */
  readonly modified: Date;
}

export interface GarbageCollectionReport {
  readonly dryRun: boolean;
  /** Orphaned prefixes older than the grace period: removed, or with dryRun what would be. */
  readonly removed: readonly OrphanedPrefix[];
  readonly removedBytes: number;
  /** Orphaned prefixes younger than the grace period, left for a later run. */
  readonly tooRecent: readonly OrphanedPrefix[];
  /** Prefixes a package version or symbol package refers to. */
  readonly referencedPrefixes: number;
  /**
   * Stale entries of the temp root (relative names): folders of processes that stopped, files older than the
   * grace period; removed, or with dryRun what would be.
   */
  readonly tempFiles: readonly { readonly name: string; readonly bytes: number }[];
  /** Empty folders of the blob store removed (or with dryRun, that would be); 0 where a store has none. */
  readonly emptyFolders: number;
}

/** `packages/a/1.0.0/<push id>/a.1.0.0.nupkg` -> `packages/a/1.0.0/<push id>`; undefined for other layouts. */
export function pushPrefixOf(key: string): string | undefined {
  const segments = key.split('/');
  if (segments.length <= pushPrefixSegments) return undefined;
  if (!(pushRoots as readonly string[]).includes(segments[0] as string)) return undefined;
  return segments.slice(0, pushPrefixSegments).join('/');
}

export async function collectGarbage(
  deps: GarbageCollectionDeps,
  options: GarbageCollectionOptions,
): Promise<GarbageCollectionReport> {
  const cutoff = deps.clock.now().getTime() - options.gracePeriodMs;

  // List first, then read the references: a push commits its row after its blobs, so every prefix listed here
  // whose push has committed by now is in the references read below.
  const found = new Map<string, { keys: string[]; bytes: number; modified: number }>();
  for (const root of pushRoots) {
    for await (const blob of deps.blobs.list(root)) {
      const prefix = pushPrefixOf(blob.key);
      if (prefix === undefined) continue;
      const entry = found.get(prefix) ?? { keys: [], bytes: 0, modified: 0 };
      entry.keys.push(blob.key);
      entry.bytes += blob.size;
      entry.modified = Math.max(entry.modified, blob.modified.getTime());
      found.set(prefix, entry);
    }
  }
  const referenced = new Set([
    ...(await deps.packages.referencedBlobPrefixes()),
    ...(await deps.symbols.referencedBlobPrefixes()),
  ]);

  const removed: OrphanedPrefix[] = [];
  const tooRecent: OrphanedPrefix[] = [];
  for (const [prefix, entry] of [...found].sort(([a], [b]) => a.localeCompare(b))) {
    if (referenced.has(prefix)) continue;
    const orphan: OrphanedPrefix = {
      prefix,
      keys: entry.keys.sort(),
      bytes: entry.bytes,
      modified: new Date(entry.modified),
    };
    if (entry.modified >= cutoff) {
      tooRecent.push(orphan);
      continue;
    }
    if (!options.dryRun) await deps.blobs.deletePrefix(prefix);
    removed.push(orphan);
  }

  // Folders left empty by earlier removals, or by a push that died between creating its folder and writing.
  let emptyFolders = 0;
  for (const root of pushRoots) {
    emptyFolders += (await deps.blobs.removeEmptyFolders?.(root, new Date(cutoff), options.dryRun)) ?? 0;
  }

  const tempFiles = deps.tempDir
    ? await collectStaleTempEntries(deps.tempDir, {
        // A folder's age is its heartbeat's: a live process's folder is never older than this.
        folderCutoff: Math.min(cutoff, deps.clock.now().getTime() - tempFolderStaleAfterMs),
        fileCutoff: cutoff,
        insideLiveFolders: true,
        dryRun: options.dryRun,
      })
    : [];
  return {
    dryRun: options.dryRun,
    removed,
    removedBytes: removed.reduce((sum, orphan) => sum + orphan.bytes, 0),
    tooRecent,
    referencedPrefixes: referenced.size,
    tempFiles,
    emptyFolders,
  };
}
