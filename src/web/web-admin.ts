// The web UI's sign-in and admin pages (docs/web-ui.md), in their own Fastify scope: cookies and form bodies are
// parsed only here, never on the NuGet API's paths; every answer is `no-store` (pages hold CSRF tokens, and a
// new key's secret); errors are pages that say what to do, and an anonymous visitor of a page that needs a
// sign-in is sent to the sign-in page.
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { describeError } from '../http/error-handler.ts';
import type { HttpServices } from '../http/http-services.ts';
import type { Principal } from '../auth/authorize.ts';
import { adminPages } from './admin-html.ts';
import { html } from './html.ts';
import type { NavItem } from './layout.ts';
import type { PrincipalSource, Reader } from './reader.ts';
import { loadStaticAssets } from './static-assets.ts';
import { adminRoutes } from './admin-routes.ts';
import { signInRoutes } from './sign-in-routes.ts';
import { SsoClient } from './sso-client.ts';
import { sessionPrincipalSource, signedInOf, toSignIn } from './web-session-request.ts';

/** Principals made by sessions (not by an API key header): their readers get a way to sign out. */
const sessionPrincipals = new WeakSet<Principal>();

/** Whether a principal may do more than read somewhere: the admin pages have something for it. */
const mayAdminister = (principal: Principal): boolean =>
  [principal, ...(principal.alsoGrants ?? [])].some((grant) =>
    grant.scopes.some((scope) => scope !== 'read'),
  );

/** What the reading pages need from sign-in: who a session stands for, and the links to the admin pages. */
export interface WebSignInHooks {
  readonly principalSources: readonly PrincipalSource[];
  readonly nav: (reader: Reader) => readonly NavItem[];
}

export async function webAdminRoutes(app: FastifyInstance, services: HttpServices): Promise<WebSignInHooks> {
  const sso = services.webSignIn.sso ? new SsoClient(services.webSignIn.sso) : undefined;
  const fromSession = sessionPrincipalSource(services);
  const hooks: WebSignInHooks = {
    principalSources: [
      async (request) => {
        const principal = await fromSession(request);
        if (principal) sessionPrincipals.add(principal);
        return principal;
      },
    ],
    nav: (reader) => {
      const principal = reader.principal;
      if (!principal) return [];
      return [
        ...(mayAdminister(principal) ? [{ label: 'Admin', href: '/ui/admin' }] : []),
        ...(sessionPrincipals.has(principal) ? [{ label: 'Sign out', href: '/ui/sign-out' }] : []),
      ];
    },
  };
  const pages = adminPages(services, await loadStaticAssets(), hooks.nav);
  await app.register(async (ui) => {
    await ui.register(fastifyCookie);
    await ui.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
    // Uploads are streamed to the publish use case as they arrive (admin-routes.ts).
    ui.addContentTypeParser('multipart/form-data', (_request, payload, done) => done(null, payload));
    ui.addHook('onSend', (_request, reply, payload, done) => {
      reply.header('cache-control', 'no-store');
      done(null, payload);
    });
    // Sessions' principals get the sign-out link in the layout of these pages too.
    ui.addHook('onRequest', async (request) => {
      const signedIn = await signedInOf(request, services);
      if (signedIn) sessionPrincipals.add(signedIn.principal);
    });
    ui.setErrorHandler(async (error, request, reply) => {
      const { status, code, message } = describeError(error as Error, request, reply);
      if (status === 401) return toSignIn(request, reply);
      const signedIn = await signedInOf(request, services).catch(() => undefined);
      return pages.send(request, reply, {
        title: status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'That did not work',
        signedIn,
        status,
        body: html`<p class="error" data-code="${code}">${message}</p>
          <p><a href="/ui/admin">Back to the admin pages</a></p>`,
      });
    });
    signInRoutes(ui, services, sso, pages);
    adminRoutes(ui, services, pages);
  });
  return hooks;
}
