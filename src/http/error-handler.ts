// The one place that maps error kinds to status codes (docs/architecture.md rule 8).
// A client's mistake is never a 5xx: the NuGet client retries 5xx (../shared/notes/client-behaviour.md §3.1).
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import {
  type ErrorKind,
  fileSystemFault,
  isNuggetError,
  isServerFault,
  type NuggetError,
} from '../errors.ts';

const statusOf: Record<ErrorKind, number> = {
  InvalidInput: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  TooLarge: 413,
  TooMany: 429,
  TimedOut: 408,
  // RFC 4918 §11.5: the server cannot store what it needs to complete the request.
  InsufficientStorage: 507,
  Unavailable: 503,
};

export const statusOfError = (error: NuggetError): number => statusOf[error.kind];

/** The NuGet client prints the reason phrase (e.g. on 409), so it carries the message too. */
function reasonPhrase(message: string): string {
  return message
    .replace(/[^\x20-\x7e]/g, ' ')
    .slice(0, 300)
    .trim();
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  reply.raw.statusMessage = reasonPhrase(message);
  // RFC 9110 §15.5.9: after a 408 the server closes the connection; the rest of a stalled body never comes.
  if (status === 408) reply.header('connection', 'close');
  return reply.code(status).type('application/json; charset=utf-8').send({ error: { code, message } });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // A full disk, an unreachable database: the operator's to fix, so the real cause is logged (once, here),
    // and the client gets a status it may retry (503, with Retry-After when the fault passes by itself) or a 507.
    const fault = isServerFault(error) ? error : fileSystemFault(error);
    if (fault) {
      request.log.error({ err: fault.cause ?? fault, code: fault.code }, fault.message);
      if (fault.retryAfterSeconds !== undefined) reply.header('retry-after', String(fault.retryAfterSeconds));
      return sendError(reply, statusOf[fault.kind], fault.code, fault.message);
    }
    if (isNuggetError(error)) return sendError(reply, statusOf[error.kind], error.code, error.message);
    if (error.validation) return sendError(reply, 400, 'invalid_request', error.message);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendError(reply, status, (error.code ?? 'bad_request').toLowerCase(), error.message);
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(
      reply,
      500,
      'internal_error',
      `The server failed to handle this request (id ${request.id}).`,
    );
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      404,
      'not_found',
      `Nothing is served at ${request.method} ${request.url.split('?')[0]}.`,
    ),
  );
}
