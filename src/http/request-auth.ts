// Authentication and authorization of requests: X-NuGet-ApiKey for writes (package-publish-resource.md,
// "Request parameters"), Basic credentials for the reads of a private feed (../shared/notes/client-behaviour.md
// §3.7), the rate limit on failed authentication, and the audit record of every write. docs/security.md.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Action, authorize, mayDoAnyOf, type Principal, validForFeed } from '../auth/authorize.ts';
import { authenticate } from '../auth/authenticate.ts';
import type { AuditAction } from '../auth/ports.ts';
import { forbidden, isNuggetError, NuggetError, unauthenticated } from '../errors.ts';
import type { EventOrigin, WebhookActor } from '../packages/webhook-event.ts';
import { baseUrlOf } from './base-url.ts';
import type { HttpServices } from './http-services.ts';
import { maybeFeedOf } from './feed-of-request.ts';

const principals = new WeakMap<FastifyRequest, Principal>();

/** The principal a request authenticated as, if it did. */
export const principalOf = (request: FastifyRequest): Principal | undefined => principals.get(request);

/** Records who a request acts for when it authenticated otherwise than by a key header (a web UI session). */
export const setPrincipalOf = (request: FastifyRequest, principal: Principal): void => {
  principals.set(request, principal);
};
/** Who a principal is, as a webhook payload names it: never the key itself. */
export function webhookActorOf(principal: Principal | undefined): WebhookActor {
  if (!principal) return { kind: 'key', name: 'unknown key' };
  if (principal.keyId === undefined) return { kind: 'bootstrap', name: principal.name };
  return principal.trustPolicy === undefined
    ? { kind: 'key', name: principal.name, keyId: principal.keyId }
    : {
        kind: 'trust-policy',
        name: principal.name,
        keyId: principal.keyId,
        trustPolicy: principal.trustPolicy,
      };
}

/** The webhook origin of a write made by this request: its principal and the base URL it reached the feed at. */
export const eventOriginOf = (request: FastifyRequest, services: HttpServices): EventOrigin => ({
  actor: webhookActorOf(principalOf(request)),
  baseUrl: baseUrlOf(request, services.options),
});

/** The address failures are counted against and the audit log records (Fastify's request.ip). */
export const clientAddress = (request: FastifyRequest): string => request.ip;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export const apiKeyHeader = (request: FastifyRequest): string | undefined =>
  header(request, 'x-nuget-apikey') || undefined;

/** The password of `Authorization: Basic base64(user:password)`; the user name is free. */
export function basicPassword(request: FastifyRequest): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header(request, 'authorization') ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
}

/**
 * 429 with Retry-After while the client's address is over the failed-authentication limit; otherwise the address
 * and the time to record a failure against.
 */
export function refuseWhileOverLimit(
  request: FastifyRequest,
  reply: FastifyReply,
  services: HttpServices,
): { address: string; now: Date } {
  const address = clientAddress(request);
  const now = services.clock.now();
  const wait = services.authFailures.retryAfterSeconds(address, now);
  if (wait !== undefined) {
    reply.header('retry-after', String(wait));
    throw new NuggetError(
      'TooMany',
      'too_many_failed_authentications',
      `Too many requests with wrong credentials from ${address}: try again in ${wait} s with valid credentials.`,
    );
  }
  return { address, now };
}

/**
 * Checks a presented key, counting a failure against the client's address: 429 with Retry-After while the
 * address is over the limit, otherwise the principal or an error of `failureKind` with the reason.
 */
export async function authenticateKey(
  request: FastifyRequest,
  reply: FastifyReply,
  services: HttpServices,
  presented: string,
  failureKind: 'Forbidden' | 'Unauthenticated',
): Promise<Principal> {
  const { address, now } = refuseWhileOverLimit(request, reply, services);
  const result = await authenticate(
    { apiKeys: services.apiKeys, clock: services.clock, bootstrapKey: services.options.apiKey },
    presented,
  );
  if (!result.ok) {
    services.authFailures.recordFailure(address, now);
    throw new NuggetError(failureKind, result.code, result.reason);
  }
  principals.set(request, result.principal);
  return result.principal;
}

/**
 * The X-NuGet-ApiKey of a write: no key -> 401, an unknown, revoked or expired key -> 403, a key not valid for
 * `feed` (undefined: a server-wide action) or with none of the scopes the actions need -> 403. Per-id checks
 * follow with {@link requireAllowed} once the id is known.
 */
export async function requireApiKey(
  request: FastifyRequest,
  reply: FastifyReply,
  services: HttpServices,
  anyOf: readonly Action[],
  feed: string | undefined,
): Promise<Principal> {
  const key = apiKeyHeader(request);
  if (!services.options.apiKey && !(await services.apiKeys.hasUsableKeys(services.clock.now()))) {
    throw forbidden(
      'push_disabled',
      'This feed accepts no changes: start nugget with --api-key (or NUGGET_API_KEY), or create a key with nugget apikey create.',
    );
  }
  if (!key) throw unauthenticated('api_key_missing', 'An API key is required: pass it with -k / --api-key.');
  const principal = await authenticateKey(request, reply, services, key, 'Forbidden');
  const [first] = anyOf;
  if (first && (!validForFeed(principal, feed) || !mayDoAnyOf(principal, anyOf))) {
    const decision = authorize(principal, first, undefined, feed);
    if (!decision.allowed) throw forbidden(decision.code, decision.reason);
  }
  return principal;
}

/** 403 with the reason unless the principal may do `action` on `feed` (undefined: server-wide), on `id`. */
export function requireAllowed(
  principal: Principal,
  action: Action,
  feed: string | undefined,
  id?: string,
): void {
  const decision = authorize(principal, action, id, feed);
  if (!decision.allowed) throw forbidden(decision.code, decision.reason);
}

/** What a write is about; `run` fills in what it learns (a push learns its id and version from the nuspec). */
export interface AuditNote {
  action: AuditAction;
  /** The feed acted on; the request's feed when not given. */
  feed?: string | undefined;
  packageId?: string | undefined;
  version?: string | undefined;
  detail?: Record<string, unknown> | undefined;
}

// Failures that identify nobody and change nothing: an anonymous request, a feed without keys, a client over
// the limit. Recording them would let anyone fill the audit log.
const notAudited = new Set(['api_key_missing', 'push_disabled', 'too_many_failed_authentications']);

/**
 * Runs a write and appends its audit record: 'success', or the error code the client got. With `onlyFailures`
 * (an onRequest check whose success the handler records) only a refusal is recorded. An audit log that cannot
 * be written is logged; the write has happened and answering 5xx would make the client retry it.
 */
export async function audited<T>(
  services: HttpServices,
  request: FastifyRequest,
  note: AuditNote,
  run: (note: AuditNote) => Promise<T>,
  options: { onlyFailures?: boolean } = {},
): Promise<T> {
  let outcome = 'success';
  try {
    return await run(note);
  } catch (error) {
    outcome = isNuggetError(error) ? error.code : 'internal_error';
    throw error;
  } finally {
    if (!notAudited.has(outcome) && !(options.onlyFailures && outcome === 'success')) {
      const principal = principalOf(request);
      try {
        await services.audit.append({
          feed: note.feed ?? maybeFeedOf(request)?.feed.name,
          at: services.clock.now().toISOString(),
          actor: principal?.name ?? 'unknown key',
          keyId: principal?.keyId,
          action: note.action,
          packageId: note.packageId,
          version: note.version,
          source: clientAddress(request),
          outcome,
          detail: note.detail,
        });
      } catch (error) {
        request.log.error({ err: error, audit: note, outcome }, 'could not write the audit log');
      }
    }
  }
}
