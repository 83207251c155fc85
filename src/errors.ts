// The kinds of failure every layer may raise (docs/architecture.md rule 8).
// Only the HTTP error handler turns a kind into a status code; everything below speaks kinds.

export type ErrorKind =
  | 'InvalidInput'
  | 'Unauthenticated'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'TooLarge'
  | 'TooMany'
  | 'TimedOut'
  // Server faults: the request was fine, the server could not carry it out. Never a client's mistake.
  | 'InsufficientStorage'
  | 'Unavailable';

/**
 * A failure a person can act on. `code` is stable (tests and clients may match on it);
 * `message` says what is wrong and, where possible, what to do about it.
 */
export class NuggetError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  /** When a retry may succeed (a server fault that passes): sent as Retry-After. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    options?: ErrorOptions & { retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = 'NuggetError';
    this.kind = kind;
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export const invalidInput = (code: string, message: string, options?: ErrorOptions): NuggetError =>
  new NuggetError('InvalidInput', code, message, options);
export const notFound = (code: string, message: string): NuggetError =>
  new NuggetError('NotFound', code, message);
export const conflict = (code: string, message: string): NuggetError =>
  new NuggetError('Conflict', code, message);
export const tooLarge = (code: string, message: string): NuggetError =>
  new NuggetError('TooLarge', code, message);
export const unauthenticated = (code: string, message: string): NuggetError =>
  new NuggetError('Unauthenticated', code, message);
export const forbidden = (code: string, message: string): NuggetError =>
  new NuggetError('Forbidden', code, message);
/** The client stopped sending before its request was complete (a stalled upload). */
export const timedOut = (code: string, message: string): NuggetError =>
  new NuggetError('TimedOut', code, message);

/** The disk (or quota) the server writes to is full: only an operator can make room. `cause` is the real error. */
export const insufficientStorage = (code: string, message: string, options?: ErrorOptions): NuggetError =>
  new NuggetError('InsufficientStorage', code, message, options);
/** Something the server depends on (database, storage, a folder) is out of reach for now. */
export const unavailable = (
  code: string,
  message: string,
  options?: ErrorOptions & { retryAfterSeconds?: number },
): NuggetError => new NuggetError('Unavailable', code, message, options);

export const isNuggetError = (error: unknown): error is NuggetError => error instanceof NuggetError;

/** A server fault: the request was fine, the server (its disk, database or storage) could not carry it out. */
export const isServerFault = (error: unknown): error is NuggetError =>
  isNuggetError(error) && (error.kind === 'InsufficientStorage' || error.kind === 'Unavailable');

/**
 * A file-system error that is the server's fault, as a kind: a full disk or quota (ENOSPC, EDQUOT) is
 * InsufficientStorage; a folder the server may not write (EACCES, EPERM, EROFS), an I/O error or too many open
 * files is Unavailable, with the path in the message so that an operator knows where to look. Undefined for
 * anything else (ENOENT, a client's aborted upload, a bug): those keep their own meaning.
 * https://nodejs.org/api/errors.html#common-system-errors
 */
export function fileSystemFault(error: unknown, what = 'the data directory'): NuggetError | undefined {
  if (isServerFault(error)) return error;
  const { code, path, syscall } = (error ?? {}) as { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof code !== 'string' || typeof syscall !== 'string') return undefined;
  const where = typeof path === 'string' ? `${path} (${what})` : what;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return insufficientStorage(
        'insufficient_storage',
        `The server has no space left to store this (${code === 'EDQUOT' ? 'disk quota exceeded' : 'disk full'} ` +
          `at ${where}): nothing was changed; an operator must free space or enlarge the volume, then retry.`,
        { cause: error },
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return unavailable(
        'storage_not_writable',
        `The server may not write to ${where} (${code === 'EROFS' ? 'read-only file system' : 'permission denied'}): ` +
          'an operator must give the nugget process write access to it.',
        { cause: error },
      );
    case 'EIO':
      return unavailable(
        'storage_io_error',
        `The server's disk failed to read or write ${where} (I/O error): an operator must check the volume.`,
        { cause: error },
      );
    case 'EMFILE':
    case 'ENFILE':
      return unavailable(
        'too_many_open_files',
        'The server has too many open files right now: retry shortly; if it persists, an operator must raise ' +
          'the open-file limit (ulimit -n).',
        { cause: error, retryAfterSeconds: 5 },
      );
    default:
      return undefined;
  }
}
