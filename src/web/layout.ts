// The frame of every page: header with the feed switcher and the navigation, the main content, the footer. Light
// and dark follow the reader's system (prefers-color-scheme, in site.css); no inline script or style anywhere
// (the Content-Security-Policy of security-headers.ts forbids both).
import { type Html, html, type HtmlPart } from './html.ts';
import { pageUrls } from './page-urls.ts';
import type { Reader } from './reader.ts';
import type { StaticAssets } from './static-assets.ts';

export interface NavItem {
  readonly label: string;
  readonly href: string;
}

/** What every page of a request knows: the assets, who reads, which feeds they may switch to. */
export interface PageContext {
  readonly assets: StaticAssets;
  readonly reader: Reader;
  /** The feeds the reader may read, by name. */
  readonly feeds: readonly string[];
  /** The feed the page is about, when it is about one. */
  readonly feed?: string | undefined;
  /** The path of the page (for sign-in to come back to). */
  readonly path: string;
  /** More navigation for this reader (the admin pages add theirs). */
  readonly nav?: readonly NavItem[] | undefined;
}

function feedSwitcher(context: PageContext): Html {
  const current = context.feed;
  if (context.feeds.length <= 1 && current !== undefined) {
    return html`<span class="feed-name" title="feed">${current}</span>`;
  }
  return html`<details class="feed-switcher">
    <summary><span class="visually-hidden">Feed: </span>${current ?? 'Feeds'}</summary>
    <ul>
      ${context.feeds.map(
        (name) =>
          html`<li>
            <a href="${pageUrls.feedHome(name)}" ${name === current ? html`aria-current="page"` : ''}
              >${name}</a
            >
          </li>`,
      )}
    </ul>
  </details>`;
}

function account(context: PageContext): Html {
  const principal = context.reader.principal;
  if (principal) return html`<span class="account">Signed in as <strong>${principal.name}</strong></span>`;
  return html`<a class="account" href="${pageUrls.signIn(context.path)}">Sign in</a>`;
}

export function layout(context: PageContext, page: { title: string; main: HtmlPart }): Html {
  const { assets } = context;
  const feed = context.feed;
  const nav: NavItem[] = feed
    ? [
        { label: 'Packages', href: pageUrls.feedHome(feed) },
        { label: 'Getting started', href: pageUrls.gettingStarted(feed) },
      ]
    : [];
  nav.push(...(context.nav ?? []));
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>${page.title} · nugget</title>
        <link rel="icon" href="${assets.url('icon.svg')}" type="image/svg+xml" />
        <link rel="stylesheet" href="${assets.url('site.css')}" />
        <link rel="stylesheet" href="${assets.url('code.css')}" />
        <script src="${assets.url('site.js')}" defer></script>
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="site-header">
          <div class="bar">
            <a class="brand" href="/"
              ><img src="${assets.url('icon.svg')}" alt="" width="24" height="24" />nugget</a
            >
            ${feedSwitcher(context)}
            <nav aria-label="Main">
              <ul>
                ${nav.map((item) => html`<li><a href="${item.href}">${item.label}</a></li>`)}
              </ul>
            </nav>
            ${account(context)}
          </div>
        </header>
        <main id="main">${page.main}</main>
        <footer class="site-footer">
          <p>
            nugget, a NuGet V3
            feed${feed ? html` · <a href="${pageUrls.gettingStarted(feed)}">Use this feed</a>` : ''}
          </p>
        </footer>
      </body>
    </html>`;
}
