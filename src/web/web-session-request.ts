// The web UI's session on a request: the cookie (HttpOnly, SameSite=Lax, Secure and `__Host-` over https, where
// https is judged as every URL of the server is, base-url.ts: --public-url, TLS, or a trusted proxy's
// X-Forwarded-Proto), the person it stands for (web-sessions.ts), and the CSRF checks of every form that changes
// something: the request must come from this site (Sec-Fetch-Site / Origin), and carry the session's
// synchronizer token (OWASP CSRF Prevention Cheat Sheet). docs/web-ui.md, decision 0016.
import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type Action, authorize, type Principal } from '../auth/authorize.ts';
import { resumeSession, type SignedIn, type WebSessionDeps } from '../auth/web-sessions.ts';
import { forbidden, NuggetError } from '../errors.ts';
import { baseUrlOf } from '../http/base-url.ts';
import type { HttpServices } from '../http/http-services.ts';

/** The name of the form field (and, for uploads, query parameter) carrying the CSRF token; redact.ts hides it. */
export const csrfField = 'csrf_token';

const secureOf = (request: FastifyRequest, services: HttpServices): boolean =>
  baseUrlOf(request, services.options).startsWith('https:');

/**
 * `__Host-` cookies are sent only over https, for the whole host, and cannot be set by a sibling subdomain; over
 * plain http (a feed on a LAN) the browser refuses that prefix, so the plain name is used.
 */
const cookieName = (request: FastifyRequest, services: HttpServices, name: string): string =>
  secureOf(request, services) ? `__Host-nugget-${name}` : `nugget-${name}`;

export function readCookie(
  request: FastifyRequest,
  services: HttpServices,
  name: string,
): string | undefined {
  // Pages outside the sign-in and admin scope (the reading pages) do not parse cookies for every request.
  const cookies = request.cookies ?? fastifyCookie.parse(request.headers.cookie ?? '');
  return cookies[cookieName(request, services, name)];
}

export function setCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  services: HttpServices,
  name: string,
  value: string,
  options: { maxAgeSeconds: number; sameSite?: 'lax' | 'strict' },
): void {
  reply.setCookie(cookieName(request, services, name), value, {
    httpOnly: true,
    secure: secureOf(request, services),
    sameSite: options.sameSite ?? 'lax',
    path: '/',
    maxAge: options.maxAgeSeconds,
  });
}

export function clearCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  services: HttpServices,
  name: string,
): void {
  reply.clearCookie(cookieName(request, services, name), {
    httpOnly: true,
    secure: secureOf(request, services),
    path: '/',
  });
}

export const sessionDeps = (services: HttpServices): WebSessionDeps => ({
  sessions: services.webSignIn.sessions,
  apiKeys: services.apiKeys,
  clock: services.clock,
  bootstrapKey: services.options.apiKey,
  ssoRules: services.webSignIn.ssoRules,
  lifetimeMs: services.webSignIn.lifetimeMs,
});

const resumed = new WeakMap<FastifyRequest, Promise<SignedIn | undefined>>();

/** The person signed in on this request, if any (looked up once per request). */
export function signedInOf(request: FastifyRequest, services: HttpServices): Promise<SignedIn | undefined> {
  let found = resumed.get(request);
  if (!found) {
    const token = readCookie(request, services, 'session');
    found = token ? resumeSession(sessionDeps(services), token) : Promise.resolve(undefined);
    resumed.set(request, found);
  }
  return found;
}

/**
 * The web UI's principal source (reader.ts) for a signed-in session: the reading pages then show what the
 * session's key or SSO roles may read.
 */
export const sessionPrincipalSource =
  (services: HttpServices) =>
  async (request: FastifyRequest): Promise<Principal | undefined> =>
    (await signedInOf(request, services))?.principal;

/** Where to go after signing in: a path on this site only, never another host (no open redirect). */
export function localPath(next: unknown, fallback = '/ui/admin'): string {
  if (typeof next !== 'string' || !/^\/(?![/\\])[^\s]*$/.test(next)) return fallback;
  return next;
}

/** Answers 303 to the sign-in page, coming back here afterwards. */
export function toSignIn(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.redirect(`/ui/sign-in?next=${encodeURIComponent(localPath(request.url))}`, 303);
}

/** Whether the signed-in person may do `action` (authorize(), as the API decides). */
export const mayDo = (signedIn: SignedIn, action: Action, id?: string, feed?: string): boolean =>
  authorize(signedIn.principal, action, id, feed).allowed;

/** 403 unless a grant of the signed-in person allows `action` (authorize(), as the API decides). */
export function requireGrant(signedIn: SignedIn, action: Action, feed?: string, id?: string): void {
  const decision = authorize(signedIn.principal, action, id, feed);
  if (!decision.allowed) throw forbidden(decision.code, decision.reason);
}

const sameText = (a: string, b: string): boolean => {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * Refuses a state-changing request another site made the browser send: a browser says where a request comes from
 * in Sec-Fetch-Site (every current browser) or Origin; a request that says neither must still carry the token.
 */
export function requireSameSite(request: FastifyRequest, services: HttpServices): void {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    throw forbidden(
      'csrf_cross_site',
      'This form was sent from another site: open the page here and send it again.',
    );
  }
  const origin = request.headers.origin;
  if (
    typeof origin === 'string' &&
    origin !== 'null' &&
    origin !== new URL(baseUrlOf(request, services.options)).origin
  ) {
    throw forbidden(
      'csrf_cross_site',
      'This form was sent from another site: open the page here and send it again.',
    );
  }
}

/** 403 unless `given` is the token of the session's forms (and the request comes from this site). */
export function requireCsrfToken(
  request: FastifyRequest,
  services: HttpServices,
  signedIn: SignedIn,
  given: unknown,
): void {
  requireSameSite(request, services);
  if (typeof given !== 'string' || !sameText(given, signedIn.csrfToken)) {
    throw forbidden(
      'csrf_token_invalid',
      'This form is out of date or was not sent from this site: reload the page and send it again.',
    );
  }
}

/**
 * The sign-in form has no session yet: its token is a random value in a SameSite=Strict cookie that the form must
 * repeat (double submit), so that another site cannot sign a browser in with the other site's key.
 */
export function signInFormToken(
  request: FastifyRequest,
  reply: FastifyReply,
  services: HttpServices,
): string {
  const existing = readCookie(request, services, 'sign-in');
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  setCookie(request, reply, services, 'sign-in', token, { maxAgeSeconds: 3600, sameSite: 'strict' });
  return token;
}

export function requireSignInFormToken(
  request: FastifyRequest,
  services: HttpServices,
  given: unknown,
): void {
  requireSameSite(request, services);
  const expected = readCookie(request, services, 'sign-in');
  if (!expected || typeof given !== 'string' || !sameText(given, expected)) {
    throw forbidden(
      'csrf_token_invalid',
      'The sign-in form is out of date or was not sent from this site: reload the page and sign in again.',
    );
  }
}

export const isForbidden = (error: unknown): error is NuggetError =>
  error instanceof NuggetError && error.kind === 'Forbidden';
