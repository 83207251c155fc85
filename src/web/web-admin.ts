// The web UI's sign-in and admin pages (docs/web-ui.md), in their own Fastify scope: cookies and form bodies are
// parsed only here, never on the NuGet API's paths; every answer is `no-store` (pages hold CSRF tokens, and a
// new key's secret); errors are pages that say what to do, and an anonymous visitor of a page that needs a
// sign-in is sent to the sign-in page.
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { describeError } from '../http/error-handler.ts';
import type { HttpServices } from '../http/http-services.ts';
import { adminPage, html } from './admin-html.ts';
import { adminRoutes } from './admin-routes.ts';
import { signInRoutes } from './sign-in-routes.ts';
import { SsoClient } from './sso-client.ts';
import { signedInOf, toSignIn } from './web-session-request.ts';

export async function webAdminRoutes(app: FastifyInstance, services: HttpServices): Promise<void> {
  const sso = services.webSignIn.sso ? new SsoClient(services.webSignIn.sso) : undefined;
  await app.register(async (ui) => {
    await ui.register(fastifyCookie);
    await ui.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
    // Uploads are streamed to the publish use case as they arrive (admin-routes.ts).
    ui.addContentTypeParser('multipart/form-data', (_request, payload, done) => done(null, payload));
    ui.addHook('onSend', (_request, reply, payload, done) => {
      reply.header('cache-control', 'no-store');
      done(null, payload);
    });
    ui.setErrorHandler(async (error, request, reply) => {
      const { status, code, message } = describeError(error as Error, request, reply);
      if (status === 401) return toSignIn(request, reply);
      const signedIn = await signedInOf(request, services).catch(() => undefined);
      return reply
        .code(status)
        .type('text/html; charset=utf-8')
        .send(
          adminPage(
            status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'That did not work',
            signedIn,
            html`<p class="error" data-code="${code}">${message}</p>
              <p><a href="/ui/admin">Back to the admin pages</a></p>`,
          ),
        );
    });
    signInRoutes(ui, services, sso);
    adminRoutes(ui, services);
  });
}
