// HTML of the sign-in and admin pages: a tagged template that escapes every value it is given (text and attribute
// values alike), so nothing a person or a package typed can become markup. No inline script or style anywhere:
// the Content-Security-Policy of every HTML answer forbids them (src/http/security-headers.ts).
import type { SignedIn } from '../auth/web-sessions.ts';
import { csrfField } from './web-session-request.ts';

export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => entities[c] ?? c);

type Value = Html | string | number | boolean | undefined | null | readonly Value[];

function render(value: Value): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return (value as readonly Value[]).map(render).join('');
  return escapeHtml(String(value as string | number | boolean));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(text);
}

/** The hidden field every state-changing form of a session carries. */
export const csrfInput = (signedIn: SignedIn): Html =>
  html`<input type="hidden" name="${csrfField}" value="${signedIn.csrfToken}" />`;

/** A whole page: the header says who is signed in and offers signing out. */
export function adminPage(title: string, signedIn: SignedIn | undefined, body: Html): string {
  const who = signedIn
    ? html`<form method="post" action="/ui/sign-out" class="sign-out">
        <span>Signed in as <strong>${signedIn.name}</strong></span> ${csrfInput(signedIn)}
        <button type="submit">Sign out</button>
      </form>`
    : html`<a href="/ui/sign-in">Sign in</a>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · nugget</title>
      </head>
      <body>
        <header>
          <nav aria-label="Site"><a href="/">nugget</a> <a href="/ui/admin">Admin</a></nav>
          ${who}
        </header>
        <main>
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html> `.text;
}
