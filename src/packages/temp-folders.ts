// Uploads in progress live in <data dir>/tmp/<one folder per process>. Several processes may share a data dir (two
// nodes on one volume, `nugget gc` or `nugget apikey` beside a server), so none may empty tmp/ as a whole: each
// removes only its own folder, and those of processes that are gone. A process is gone when its folder's
// heartbeat (its modification time, renewed every minute) is older than ten minutes. The age is what decides,
// not a process id: a process id says nothing about a process on another host or in another container that
// shares the volume.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rm, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** A folder whose heartbeat is older than this belongs to a process that has stopped. */
export const tempFolderStaleAfterMs = 10 * 60 * 1000;
const heartbeatMs = 60 * 1000;

export interface TempFolder {
  /** This process's own folder for uploads in progress. */
  readonly path: string;
  /** Stops the heartbeat and removes the folder with whatever is left in it. */
  release(): Promise<void>;
}

export interface StaleTempEntry {
  /** Relative to the temp root: `<folder>` or `<folder>/<file>` or, from before per-process folders, `<file>`. */
  readonly name: string;
  readonly bytes: number;
}

/**
 * Creates this process's folder under `root` and keeps its heartbeat. With `sweep`, first removes what stopped
 * processes left behind (their folders, and loose files of the same age) so that a restart reclaims the space.
 */
export async function claimTempFolder(
  root: string,
  options: { sweep?: boolean; now?: () => Date } = {},
): Promise<TempFolder> {
  const now = options.now ?? (() => new Date());
  const name = `${hostname().replace(/[^A-Za-z0-9.-]/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const path = join(root, name);
  await mkdir(path, { recursive: true });
  if (options.sweep) {
    const cutoff = now().getTime() - tempFolderStaleAfterMs;
    // Best effort: a start-up must not fail over another process's leftovers; gc reports what stays.
    await collectStaleTempEntries(root, {
      folderCutoff: cutoff,
      fileCutoff: cutoff,
      insideLiveFolders: false,
      dryRun: false,
    }).catch(() => []);
  }
  const beat = async () => {
    const at = now();
    try {
      await utimes(path, at, at);
    } catch {
      // Removed from outside (an operator, a clock that jumped): take it back.
      await mkdir(path, { recursive: true }).catch(() => {});
    }
  };
  const timer = setInterval(() => void beat(), heartbeatMs);
  timer.unref();
  return {
    path,
    async release() {
      clearInterval(timer);
      await rm(path, { recursive: true, force: true });
    },
  };
}

async function sizeOf(path: string): Promise<number> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of await readdir(path).catch(() => [])) total += await sizeOf(join(path, name));
  return total;
}

/**
 * What stopped processes left under the temp root: folders whose heartbeat is older than `folderCutoff` (whole),
 * files loose in the root older than `fileCutoff`, and with `insideLiveFolders` also files that old in a live
 * process's folder. Removed unless `dryRun`; returned either way, in name order.
 */
export async function collectStaleTempEntries(
  root: string,
  options: { folderCutoff: number; fileCutoff: number; insideLiveFolders: boolean; dryRun: boolean },
): Promise<StaleTempEntry[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const stale: StaleTempEntry[] = [];
  const remove = async (name: string) => {
    const path = join(root, name);
    const bytes = await sizeOf(path);
    if (!options.dryRun) await rm(path, { recursive: true, force: true });
    stale.push({ name, bytes });
  };
  for (const name of names.sort()) {
    const info = await lstat(join(root, name)).catch(() => undefined);
    if (!info) continue;
    if (!info.isDirectory()) {
      if (info.mtimeMs < options.fileCutoff) await remove(name);
      continue;
    }
    if (info.mtimeMs < options.folderCutoff) {
      await remove(name);
      continue;
    }
    if (!options.insideLiveFolders) continue;
    // A live process's folder: only what it has not touched for longer than a push could take.
    for (const inner of (await readdir(join(root, name)).catch(() => [])).sort()) {
      const entry = await lstat(join(root, name, inner)).catch(() => undefined);
      if (entry && entry.mtimeMs < options.fileCutoff) await remove(`${name}/${inner}`);
    }
  }
  return stale;
}
