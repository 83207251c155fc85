// `nugget backup` and `nugget restore` for the embedded default: the SQLite database, copied with SQLite's online
// backup (a consistent snapshot, also while a server writes to it), and the package files beside it.
// https://www.sqlite.org/backup.html, https://github.com/WiseLibs/better-sqlite3/blob/master/docs/api.md#backupdestination-options---promise
import { cp, readdir } from 'node:fs/promises';
import BetterSqlite3 from 'better-sqlite3';

/** Copies the live database at `file` to `target` page by page, without stopping writers for long. */
export async function backupSqliteDatabase(file: string, target: string): Promise<void> {
  const source = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    await source.backup(target);
  } finally {
    source.close();
  }
}

/** Copies a directory tree; package files never change once written, so a copy of a live one is sound. */
export async function copyTree(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true, errorOnExist: true, force: false });
}

/** True when `dir` does not exist or holds nothing. */
export async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return true;
    throw error;
  }
}
