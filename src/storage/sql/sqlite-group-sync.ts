// Group commit for the embedded SQLite database: every commit is durable before its caller goes on, and concurrent
// commits share one sync of the write-ahead log (docs/decisions/0019-perf-writes-group-commit-and-memory.md).
//
// SQLite runs with synchronous=NORMAL in WAL mode: a commit appends its frames to the -wal file and returns without
// syncing it (https://www.sqlite.org/pragma.html#pragma_synchronous), so the commit survives kill -9 (the bytes are
// in the kernel's page cache) but not yet a power loss. Before the transaction (or the autocommitted statement)
// resolves, this module syncs the -wal file, off the event loop: one fsync covers every frame written before it
// started, so the commits that finish while a sync runs wait for the next one, together. With synchronous=FULL each
// commit synced the log itself, inside better-sqlite3's synchronous call, blocking every other request meanwhile.
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { DatabaseConnection, Dialect, DialectAdapter, Driver, TransactionSettings } from 'kysely';
import { unavailable } from '../../errors.ts';
import { CoalescedSync, fsyncPath } from '../coalesced-sync.ts';
import { deferSync } from '../sync-scope.ts';

const codeOf = (error: unknown): unknown => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * Syncs one write-ahead log on demand, coalescing: `durable()` resolves once a sync that began after the call
 * has finished, and every caller that arrives while a sync runs shares the one after it.
 */
export class WalSync {
  readonly #walPath: string;
  readonly #syncs: CoalescedSync;
  readonly #fsync: (path: string) => Promise<void>;
  #folderSynced = false;

  /** The -wal file, opened once: SQLite never removes it while this connection is open (see #syncLog). */
  #log: Promise<FileHandle> | undefined;

  /** `fsync` is replaceable for tests; it is given the path of the -wal file, then once that of its folder. */
  constructor(databaseFile: string, options: { fsync?: (path: string) => Promise<void> } = {}) {
    this.#walPath = `${databaseFile}-wal`;
    this.#fsync = options.fsync ?? fsyncPath;
    this.#syncs = new CoalescedSync(options.fsync ?? (() => this.#syncLog()));
  }

  /**
   * One fsync through a descriptor kept open, instead of open, fsync and close each time (three trips through
   * libuv's thread pool instead of one, on every push). The descriptor stays the file's: SQLite removes the -wal
   * file only when the last connection to the database closes (https://www.sqlite.org/wal.html, "Persistence of
   * WAL mode"), and this connection is open until close() below; a checkpoint rewrites it from the start in place.
   */
  async #syncLog(): Promise<void> {
    this.#log ??= open(this.#walPath, 'r');
    try {
      await (await this.#log).sync();
    } catch (error) {
      // Not there (yet, or any more): opened anew next time.
      const log = this.#log;
      this.#log = undefined;
      await log?.then((handle) => handle.close()).catch(() => {});
      throw error;
    }
  }

  /** Closes the kept descriptor; called when the database closes. */
  async close(): Promise<void> {
    const log = this.#log;
    this.#log = undefined;
    await log?.then((handle) => handle.close()).catch(() => {});
  }

  /** How many syncs ran, and how many callers they served. */
  get counts(): { syncs: number; callers: number } {
    return this.#syncs.counts;
  }

  async durable(): Promise<void> {
    try {
      await this.#syncs.sync(this.#walPath);
      // The -wal file is created by the first write after the database opens: its name must survive too.
      if (!this.#folderSynced) {
        await this.#fsync(dirname(this.#walPath)).catch((error: unknown) => {
          if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES'].includes(codeOf(error) as string))
            throw error;
        });
        this.#folderSynced = true;
      }
    } catch (error) {
      // No -wal file: SQLite checkpointed it into the database (syncing both) and removed it.
      if (codeOf(error) === 'ENOENT') return;
      throw unavailable(
        'database_io_error',
        'The database could not sync its log to the disk, so this change may not survive a power loss: retry ' +
          'shortly. If it persists, an operator must check the volume that holds nugget.db.',
        { cause: error, retryAfterSeconds: 10 },
      );
    }
  }
}

/** One connection, one user at a time: the queue Kysely keeps for SQLite, kept here instead (see below). */
class ConnectionQueue {
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  async acquire(): Promise<void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
  }

  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

/**
 * Wraps the dialect's driver so that releasing a connection that changed the database waits for the log to be
 * synced, after the connection itself is free again: the next transaction runs while the sync is under way, and
 * its commit joins the next sync. Kysely queues the users of a single-connection dialect in its own driver wrapper
 * and lets the next one in only once `releaseConnection` returned, which would hold everyone back during the sync;
 * so the adapter says it has connections to spare, and the queue is this driver's. `total_changes()` counts every
 * row this connection inserted, updated or deleted.
 */
export function withGroupSync(dialect: Dialect, sqlite: BetterSqlite3.Database, wal: WalSync): Dialect {
  const totalChanges = sqlite.prepare<[], number>('SELECT total_changes()').pluck();
  const queue = new ConnectionQueue();
  let synced = 0;
  const wrapDriver = (inner: Driver): Driver => ({
    init: (options) => inner.init(options),
    async acquireConnection(options) {
      await queue.acquire();
      try {
        return await inner.acquireConnection(options);
      } catch (error) {
        queue.release();
        throw error;
      }
    },
    beginTransaction: (connection: DatabaseConnection, settings: TransactionSettings) =>
      inner.beginTransaction(connection, settings),
    commitTransaction: (connection) => inner.commitTransaction(connection),
    rollbackTransaction: (connection) => inner.rollbackTransaction(connection),
    async releaseConnection(connection, options) {
      let changes: number | undefined;
      try {
        // Read before the release: no other statement runs on this connection until then.
        changes = sqlite.open && !sqlite.inTransaction ? totalChanges.get() : undefined;
        await inner.releaseConnection(connection, options);
      } finally {
        queue.release();
      }
      if (changes === undefined || changes <= synced) return;
      const covered = changes;
      const sync = async () => {
        await wal.durable();
        if (covered > synced) synced = covered;
      };
      // Inside a request that commits more than once, its syncs are one, at its end (sync-scope.ts).
      if (!deferSync(wal, sync)) await sync();
    },
    async destroy(options) {
      await inner.destroy(options);
      await wal.close();
    },
  });
  return {
    createAdapter: () =>
      Object.create(dialect.createAdapter(), {
        supportsMultipleConnections: { value: true },
      }) as DialectAdapter,
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => wrapDriver(dialect.createDriver()),
  };
}
