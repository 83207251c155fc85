// Signing in to the web UI and out again (docs/web-ui.md): with an API key (checked by authenticate(), as every
// API request is) or through the configured OpenID Connect provider (sso-client.ts). Failed key sign-ins count
// against the client's address like failed API requests (security.md, "Rate limiting of failed authentication").
import type { FastifyInstance } from 'fastify';
import { signInWithKey, signInWithSso, signOut } from '../auth/web-sessions.ts';
import { baseUrlOf } from '../http/base-url.ts';
import type { HttpServices } from '../http/http-services.ts';
import { refuseWhileOverLimit } from '../http/request-auth.ts';
import { NuggetError } from '../errors.ts';
import { type AdminPages, csrfInput } from './admin-html.ts';
import { html } from './html.ts';
import type { PendingSignIn, SsoClient } from './sso-client.ts';
import {
  clearCookie,
  csrfField,
  localPath,
  readCookie,
  requireCsrfToken,
  requireSignInFormToken,
  sessionDeps,
  setCookie,
  signedInOf,
  signInFormToken,
} from './web-session-request.ts';

/** Forms post url-encoded fields (request-guards.ts refuses any other body unread). */
export const formBody = { requestBody: { mediaTypes: ['application/x-www-form-urlencoded'] } };

type Form = Record<string, string | string[] | undefined>;
const field = (body: unknown, name: string): string | undefined => {
  const value = (body as Form | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};

/** How long the browser may take at the provider before its sign-in is forgotten. */
const pendingSeconds = 600;

export function signInRoutes(
  app: FastifyInstance,
  services: HttpServices,
  sso: SsoClient | undefined,
  pages: AdminPages,
): void {
  const sessionSeconds = Math.floor(services.webSignIn.lifetimeMs / 1000);

  app.get<{ Querystring: { next?: string } }>('/ui/sign-in', async (request, reply) => {
    const next = localPath(request.query.next);
    const token = signInFormToken(request, reply, services);
    const signedIn = await signedInOf(request, services);
    const body = html` ${signedIn ? html`<p>You are signed in as <strong>${signedIn.name}</strong>. Signing in again replaces that.</p>` : ''}
      <form method="post" action="/ui/sign-in" class="sign-in">
        <input type="hidden" name="${csrfField}" value="${token}" />
        <input type="hidden" name="next" value="${next}" />
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in with the key</button>
      </form>
      <p>
        A key is made with <code>nugget apikey create</code>; what it may do here is what it may do with the
        API.
      </p>
      ${
        sso
          ? html`<p>
              <a class="sso" href="/ui/sign-in/sso?next=${encodeURIComponent(next)}"
                >Sign in with single sign-on</a
              >
            </p>`
          : ''
      }`;
    return pages.send(request, reply, { title: 'Sign in', signedIn, body });
  });

  app.post('/ui/sign-in', { config: formBody }, async (request, reply) => {
    requireSignInFormToken(request, services, field(request.body, csrfField));
    const { address, now } = refuseWhileOverLimit(request, reply, services);
    let token: string;
    try {
      ({ token } = await signInWithKey(sessionDeps(services), field(request.body, 'key') ?? ''));
    } catch (error) {
      if (error instanceof NuggetError && error.kind === 'Forbidden')
        services.authFailures.recordFailure(address, now);
      throw error;
    }
    const old = await signedInOf(request, services);
    if (old) await signOut(sessionDeps(services), old.sessionId);
    setCookie(request, reply, services, 'session', token, { maxAgeSeconds: sessionSeconds });
    return reply.redirect(localPath(field(request.body, 'next')), 303);
  });

  // Signing out changes something, so it is a form (with the session's token); this page holds it.
  app.get('/ui/sign-out', async (request, reply) => {
    const signedIn = await signedInOf(request, services);
    if (!signedIn) return reply.redirect('/ui/sign-in', 303);
    const body = html`<form method="post" action="/ui/sign-out" class="sign-out">
      ${csrfInput(signedIn)}
      <p>Signed in as <strong>${signedIn.name}</strong> until ${signedIn.expires}.</p>
      <button type="submit">Sign out</button>
    </form>`;
    return pages.send(request, reply, { title: 'Sign out', signedIn, body });
  });

  app.post('/ui/sign-out', { config: formBody }, async (request, reply) => {
    const signedIn = await signedInOf(request, services);
    if (signedIn) {
      requireCsrfToken(request, services, signedIn, field(request.body, csrfField));
      await signOut(sessionDeps(services), signedIn.sessionId);
    }
    clearCookie(request, reply, services, 'session');
    return reply.redirect('/ui/sign-in', 303);
  });

  if (!sso) return;
  const callbackUrl = (request: Parameters<typeof baseUrlOf>[0]) =>
    `${baseUrlOf(request, services.options)}/ui/sign-in/sso/callback`;

  app.get<{ Querystring: { next?: string } }>('/ui/sign-in/sso', async (request, reply) => {
    const { url, pending } = await sso.start(callbackUrl(request), localPath(request.query.next));
    // SameSite=Lax: the provider sends the browser back with a top-level GET, which carries Lax cookies.
    setCookie(request, reply, services, 'sso', Buffer.from(JSON.stringify(pending)).toString('base64url'), {
      maxAgeSeconds: pendingSeconds,
    });
    return reply.redirect(url, 302);
  });

  app.get('/ui/sign-in/sso/callback', async (request, reply) => {
    const kept = readCookie(request, services, 'sso');
    clearCookie(request, reply, services, 'sso');
    let pending: PendingSignIn | undefined;
    try {
      pending = kept
        ? (JSON.parse(Buffer.from(kept, 'base64url').toString('utf8')) as PendingSignIn)
        : undefined;
    } catch {
      pending = undefined;
    }
    if (!pending || typeof pending.state !== 'string' || typeof pending.codeVerifier !== 'string') {
      throw new NuggetError(
        'Forbidden',
        'sso_sign_in_expired',
        'This sign-in was not started here, or took longer than 10 minutes: start it again from the sign-in page.',
      );
    }
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const identity = await sso.finish(new URL(`${callbackUrl(request)}${query}`), pending);
    const { token } = await signInWithSso(sessionDeps(services), identity);
    setCookie(request, reply, services, 'session', token, { maxAgeSeconds: sessionSeconds });
    return reply.redirect(localPath(pending.next), 303);
  });
}
