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
  /** A service the server depends on (an OpenID Connect issuer's keys) could not be reached: a server fault. */
  | 'Unavailable';

/**
 * A failure a person can act on. `code` is stable (tests and clients may match on it);
 * `message` says what is wrong and, where possible, what to do about it.
 */
export class NuggetError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  constructor(kind: ErrorKind, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NuggetError';
    this.kind = kind;
    this.code = code;
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

/** The server cannot answer now for want of something it depends on: 503, the client may retry. */
export const unavailable = (code: string, message: string, options?: ErrorOptions): NuggetError =>
  new NuggetError('Unavailable', code, message, options);

export const isNuggetError = (error: unknown): error is NuggetError => error instanceof NuggetError;
