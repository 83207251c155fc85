// Errors as pages: the same kinds and statuses as the API's (http/error-handler.ts maps them once), shown as a
// page with what to do; 401 says how to sign in and names nothing of what the reader may not see.
import type { FastifyError, FastifyInstance } from 'fastify';
import { describeError } from '../http/error-handler.ts';
import { html } from './html.ts';
import { layout, type PageContext } from './layout.ts';
import { pageUrls } from './page-urls.ts';

const titles: Readonly<Record<number, string>> = {
  400: 'That request is not right',
  401: 'Sign in to see this',
  403: 'Not for this account',
  404: 'Not found',
  429: 'Too many attempts',
};

export function installWebErrorPages(
  scope: FastifyInstance,
  contextOf: (path: string) => Omit<PageContext, 'path'>,
): void {
  const send = (
    reply: Parameters<Parameters<FastifyInstance['setErrorHandler']>[0]>[2],
    path: string,
    status: number,
    message: string,
  ) => {
    const title = titles[status] ?? (status >= 500 ? 'The server could not show this page' : 'Not shown');
    const context = { ...contextOf(path), path };
    const main = html`<section class="error-page">
      <h1>${title}</h1>
      <p>${message}</p>
      ${status === 401 ? html`<p><a class="button" href="${pageUrls.signIn(path)}">Sign in</a></p>` : ''}
      <p><a href="/">Back to the packages</a></p>
    </section>`;
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(layout(context, { title, main }).markup);
  };
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, message } = describeError(error, request, reply);
    return send(reply, request.url.split('?')[0] ?? '/', status, message);
  });
}
