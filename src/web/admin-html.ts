// The frame of the sign-in and admin pages: the web UI's layout (layout.ts), with the reader the session stands
// for, so the header, the feed switcher and the navigation are those of every other page. No inline script or
// style: the Content-Security-Policy of every HTML answer forbids them (src/http/security-headers.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SignedIn } from '../auth/web-sessions.ts';
import type { HttpServices } from '../http/http-services.ts';
import { type Html, html } from './html.ts';
import { layout, type NavItem } from './layout.ts';
import { mayRead, type Reader } from './reader.ts';
import type { StaticAssets } from './static-assets.ts';
import { csrfField } from './web-session-request.ts';

/** The hidden field every state-changing form of a session carries. */
export const csrfInput = (signedIn: SignedIn): Html =>
  html`<input type="hidden" name="${csrfField}" value="${signedIn.csrfToken}" />`;

export interface AdminPages {
  /** Answers a whole page; `no-store`, as every answer of these pages (web-admin.ts). */
  send(
    request: FastifyRequest,
    reply: FastifyReply,
    page: { title: string; signedIn: SignedIn | undefined; body: Html; status?: number },
  ): Promise<FastifyReply>;
}

export function adminPages(
  services: HttpServices,
  assets: StaticAssets,
  nav: (reader: Reader) => readonly NavItem[],
): AdminPages {
  return {
    async send(request, reply, { title, signedIn, body, status = 200 }) {
      const reader: Reader = { principal: signedIn?.principal };
      const feeds = (await services.feeds.list()).filter((feed) => mayRead(reader, feed)).map((f) => f.name);
      const main = html`<section class="admin-page">
        <h1>${title}</h1>
        ${body}
      </section>`;
      return reply
        .code(status)
        .type('text/html; charset=utf-8')
        .send(layout({ assets, reader, feeds, path: request.url, nav: nav(reader) }, { title, main }).markup);
    },
  };
}
