// What every request must pass before any route looks at it, or any byte of its body is read:
// - a URL with a control character is refused (no package id, version, file name or search holds one; PostgreSQL
//   cannot even compare text with a NUL in it);
// - a body is read only by a route that declares it takes one (`config.requestBody`), of a media type it names:
//   elsewhere it is refused at once, unread (404 for no route, 413 for a route that takes no body, 415 for another
//   media type), so an anonymous client cannot hold a socket by sending `{` and nothing more;
// - a body Fastify reads into memory must keep arriving: a gap of `bodyIdleMs` is answered 408 (pushes have their
//   own watchdog with the same limit in receive-package.ts);
// - an answer given before the body has arrived closes the connection, since the rest of it will never be read.
// Routes that take a body authenticate in onRequest or before they read it (routes/admin.ts, package-publish.ts).
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { humanDuration } from '../duration.ts';
import { timedOut } from '../errors.ts';
import { sendError } from './error-handler.ts';

/** What a route declares about its request body in its `config`. */
export interface RequestBodyPolicy {
  /** The media types it takes, lower case, without parameters. */
  readonly mediaTypes: readonly string[];
  /** The handler reads the body as a stream with its own stall watchdog (receive-package.ts). */
  readonly streamed?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    requestBody?: RequestBodyPolicy;
  }
}

/** A body follows the headers: chunked, or a Content-Length above 0 (RFC 9112 §6.3). */
export const hasRequestBody = (headers: Readonly<Record<string, string | string[] | undefined>>): boolean =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

/** A C0 control character or DEL, percent-encoded (raw ones never get past Node's HTTP parser). */
const encodedControl = /%(?:[01][0-9a-f]|7f)/i;

function mediaTypeOf(request: FastifyRequest): string {
  return String(request.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
}

function bodyStalled(ms: number): Error {
  return timedOut(
    'request_body_timed_out',
    `The request body sent no data for ${humanDuration(ms)}, so the server gave up on it (--upload-timeout); ` +
      'check the network and send the request again.',
  );
}

/** `payload` as a stream that fails with 408 when no byte arrives for `ms`. */
function guardedAgainstStalls(payload: Readable, ms: number): Readable {
  const guarded = new PassThrough();
  const watchdog = setTimeout(() => {
    payload.unpipe(guarded);
    guarded.destroy(bodyStalled(ms));
  }, ms);
  payload.on('data', () => watchdog.refresh());
  payload.on('error', (error) => guarded.destroy(error));
  guarded.on('close', () => clearTimeout(watchdog));
  payload.pipe(guarded);
  return guarded;
}

/** Closes the connection when an answer goes out before its request's body has fully arrived. */
export function closeIfBodyUnread(request: FastifyRequest, reply: FastifyReply): void {
  if (!request.raw.complete && hasRequestBody(request.headers)) reply.header('connection', 'close');
}

/** Why a request is refused before any route sees it, or undefined to let it on. */
function refusal(request: FastifyRequest): [status: number, code: string, message: string] | undefined {
  const control = encodedControl.exec(request.url);
  if (control) {
    return [
      400,
      'url_control_character',
      `The URL holds a control character (${control[0]}), which no package id, version, file name or search ` +
        'can contain: remove it.',
    ];
  }
  if (!hasRequestBody(request.headers)) return undefined;
  const where = `${request.method} ${request.url.split('?')[0]}`;
  if (request.is404) return [404, 'not_found', `Nothing is served at ${where}.`];
  const policy = request.routeOptions.config.requestBody;
  if (!policy) {
    return [
      413,
      'request_body_not_accepted',
      `${where} takes no request body: send the request without one.`,
    ];
  }
  const type = mediaTypeOf(request);
  if (!policy.mediaTypes.includes(type)) {
    return [
      415,
      'unsupported_media_type',
      `${where} takes a body of Content-Type ${policy.mediaTypes.join(' or ')}, not ${type || 'none'}.`,
    ];
  }
  return undefined;
}

export function installRequestGuards(app: FastifyInstance, options: { bodyIdleMs: number }): void {
  // Callback hooks, not async ones: they run on every request that reaches Fastify and need no promise.
  app.addHook('onRequest', (request, reply, done) => {
    const refused = refusal(request);
    // Answering without calling done() ends the request here (https://fastify.dev/docs/latest/Reference/Hooks/).
    if (refused) void sendError(reply, ...refused);
    else done();
  });

  // Only a body Fastify will read into memory is wrapped; streamed push bodies have receive-package.ts's watchdog.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const guard = hasRequestBody(request.headers) && !request.routeOptions.config.requestBody?.streamed;
    done(null, guard ? guardedAgainstStalls(payload, options.bodyIdleMs) : payload);
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    closeIfBodyUnread(request, reply);
    done(null, payload);
  });
}
