// Database failures that are the server's, not the client's: a full disk, a database that is down or busy. They
// become error kinds here, where their source is known, so that the HTTP error handler answers 507 or 503 with a
// message an operator can act on instead of a bare 500 (docs/architecture.md rule 8). Everything else a driver
// raises (a unique-key violation, a bug in a query) goes on unchanged.
// SQLite result codes: https://www.sqlite.org/rescode.html
// PostgreSQL SQLSTATE codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
import type { DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import { CompiledQuery } from 'kysely';
import { insufficientStorage, isServerFault, type NuggetError, unavailable } from '../../errors.ts';

/** How long a client should wait before retrying after the database was busy or out of reach. */
const retryBusySeconds = 2;
const retryUnreachableSeconds = 10;

// Node's codes for a connection that could not be made or was cut (pg reports these for its socket).
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// What pg (and Kysely's pg driver) say, without a SQLSTATE, when a connection is gone or cannot be had.
const lostConnection =
  /connection terminated|not queryable|timeout exceeded when trying to connect|connection has been discarded|connection ended|server closed the connection/i;

const unreachable = (error: unknown): NuggetError =>
  unavailable(
    'database_unavailable',
    'The server cannot reach its database right now: retry shortly. If it persists, an operator must check ' +
      'that the database is running and reachable from the server.',
    { cause: error, retryAfterSeconds: retryUnreachableSeconds },
  );

const diskFull = (error: unknown): NuggetError =>
  insufficientStorage(
    'database_storage_full',
    "The database's disk is full: nothing was changed; an operator must free space on the database volume " +
      '(or enlarge it), then retry.',
    { cause: error },
  );

/** A SQLite error (better-sqlite3's SqliteError) as a kind, or undefined when it is not the server's fault. */
function sqliteFault(code: string, error: unknown): NuggetError | undefined {
  if (code === 'SQLITE_FULL') return diskFull(error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return unavailable(
      'database_busy',
      'The database is busy (another process held its write lock for longer than the 5 s wait): retry ' +
        'shortly. If it persists, look for a long-running nugget command on the same data directory.',
      { cause: error, retryAfterSeconds: retryBusySeconds },
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM') {
    return unavailable(
      'database_not_writable',
      'The server may not write its SQLite database (nugget.db, its -wal and -shm files, or their folder): an ' +
        'operator must give the nugget process write access to them.',
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_NOMEM') {
    return unavailable(
      'database_io_error',
      'The database failed to read or write its disk: retry shortly. If it persists, an operator must check ' +
        'the volume that holds nugget.db.',
      { cause: error, retryAfterSeconds: retryUnreachableSeconds },
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return unavailable(
      'database_corrupt',
      'The SQLite database is damaged: an operator must restore nugget.db from a backup.',
      { cause: error },
    );
  }
  return undefined;
}

/** A PostgreSQL SQLSTATE as a kind, or undefined when it is not the server's fault. */
function postgresFault(sqlState: string, error: unknown): NuggetError | undefined {
  if (sqlState === '53100') return diskFull(error);
  // 53xxx insufficient resources, 57P0x shut down / starting, 08xxx connection exceptions, 58xxx system errors.
  if (/^(53|08|58)/.test(sqlState) || /^57P0[1-4]$/.test(sqlState)) return unreachable(error);
  // Deadlocks and serialization failures pass; 57014: a statement timeout; 55P03: lock not available.
  if (['40001', '40P01', '57014', '55P03'].includes(sqlState)) {
    return unavailable(
      'database_busy',
      'The database could not finish this change in time because of concurrent changes: retry shortly.',
      { cause: error, retryAfterSeconds: retryBusySeconds },
    );
  }
  // A standby (hot_standby) or default_transaction_read_only.
  if (sqlState === '25006') {
    return unavailable(
      'database_read_only',
      'The database accepts no changes (it is read-only, e.g. a standby): an operator must point nugget at ' +
        'the primary.',
      { cause: error },
    );
  }
  return undefined;
}

/**
 * The kind of a database driver's error when it is the server's fault (full disk, database down, busy,
 * not writable); undefined otherwise. Recognises SQLite's result codes, PostgreSQL's SQLSTATEs and lost or
 * refused connections.
 */
export function databaseFault(error: unknown): NuggetError | undefined {
  if (isServerFault(error)) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (code.startsWith('SQLITE_')) return sqliteFault(code, error);
    if (/^[0-9A-Z]{5}$/.test(code) && 'severity' in error) return postgresFault(code, error);
    if (networkCodes.has(code)) return unreachable(error);
  }
  if (typeof message === 'string' && lostConnection.test(message)) return unreachable(error);
  return undefined;
}

const translate = (error: unknown): unknown => databaseFault(error) ?? error;

class FaultTranslatingConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;

  constructor(inner: DatabaseConnection) {
    this.inner = inner;
  }

  async executeQuery<R>(
    query: CompiledQuery,
    options?: Parameters<DatabaseConnection['executeQuery']>[1],
  ): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(query, options);
    } catch (error) {
      throw translate(error);
    }
  }

  async *streamQuery<R>(
    query: CompiledQuery,
    chunkSize: number,
    options?: Parameters<DatabaseConnection['streamQuery']>[2],
  ): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize, options);
    } catch (error) {
      throw translate(error);
    }
  }
}

class FaultTranslatingDriver implements Driver {
  readonly #inner: Driver;
  readonly #begin: string | undefined;
  readonly #connections = new WeakMap<DatabaseConnection, FaultTranslatingConnection>();

  constructor(inner: Driver, begin: string | undefined) {
    this.#inner = inner;
    this.#begin = begin;
  }

  static #unwrap(connection: DatabaseConnection): DatabaseConnection {
    return connection instanceof FaultTranslatingConnection ? connection.inner : connection;
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translate(error);
    }
  }

  init(options?: Parameters<Driver['init']>[0]): Promise<void> {
    return this.#run(() => this.#inner.init(options));
  }

  async acquireConnection(options?: Parameters<Driver['acquireConnection']>[0]): Promise<DatabaseConnection> {
    const inner = await this.#run(() => this.#inner.acquireConnection(options));
    let wrapped = this.#connections.get(inner);
    if (!wrapped) {
      wrapped = new FaultTranslatingConnection(inner);
      this.#connections.set(inner, wrapped);
    }
    return wrapped;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const inner = FaultTranslatingDriver.#unwrap(connection);
    const begin = this.#begin;
    if (begin !== undefined)
      return this.#run(async () => void (await inner.executeQuery(CompiledQuery.raw(begin))));
    return this.#run(() => this.#inner.beginTransaction(inner, settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#run(() => this.#inner.commitTransaction(FaultTranslatingDriver.#unwrap(connection)));
  }

  /**
   * A ROLLBACK that fails never replaces the error that caused it: it fails only when the transaction is
   * already gone (SQLite rolls back by itself after SQLITE_FULL, SQLITE_IOERR or SQLITE_BUSY; a PostgreSQL
   * connection died), and then that first error is the one that says what happened. Kysely's pg driver marks
   * such a connection for discard, so the pool never hands it out again.
   */
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.rollbackTransaction(FaultTranslatingDriver.#unwrap(connection));
    } catch {
      // See above: the caller rethrows the original error.
    }
  }

  releaseConnection(
    connection: DatabaseConnection,
    options?: Parameters<Driver['releaseConnection']>[1],
  ): Promise<void> {
    return this.#inner.releaseConnection(FaultTranslatingDriver.#unwrap(connection), options);
  }

  destroy(options?: Parameters<Driver['destroy']>[0]): Promise<void> {
    return this.#inner.destroy(options);
  }
}

/**
 * The dialect with every driver call's server faults turned into error kinds (see {@link databaseFault}).
 * Savepoints are left out: nothing in nugget uses them.
 * `begin` replaces the statement that starts a transaction: SQLite takes `BEGIN IMMEDIATE`, so a write
 * transaction holds the database's write lock from its first statement and another process (a `nugget`
 * command beside the server) waits for it (busy_timeout) instead of failing half-way with SQLITE_BUSY.
 */
export function withFaultTranslation(dialect: Dialect, options: { begin?: string } = {}): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => new FaultTranslatingDriver(dialect.createDriver(), options.begin),
  };
}
