// A package's readme as a page shows it: GitHub-flavoured markdown (markdown-it: tables, fenced code, autolinks,
// raw HTML) with code highlighted on the server (highlight.js, classes only), then sanitized (sanitize-html) with
// an allow-list: no script, style, iframe, form, object or event handler, no style attribute, no URL but http(s),
// mailto and fragments. Relative links and images are resolved against the package's repository, where the files
// they name live (docs/decisions/0015-webui-web-ui-rendering.md). A readme is hostile input: whoever may push may
// write it.
//
// The three libraries are loaded on the first readme rendered, not at start: with highlight.js's 190 languages they
// are about a fifth of the server's start-up CPU and a few MB of heap that a feed whose pages nobody opens never needs.
import { createRequire } from 'node:module';
import type { default as MarkdownItClass, MarkdownIt } from 'markdown-it';
import type sanitizeHtml from 'sanitize-html';
import type { PackageMetadata } from '../protocol/package-version.ts';
import { metadataUrl } from '../protocol/metadata-url.ts';
import { escapeHtml, type Html, trustedHtml } from './html.ts';

/**
 * The part of highlight.js used here. Its own type declarations reference the DOM library, which would give the
 * whole server program browser globals, so it is loaded untyped and described by this interface.
 */
interface Highlighter {
  getLanguage(name: string): unknown;
  highlight(code: string, options: { language: string; ignoreIllegals: boolean }): { value: string };
}

interface ReadmeRenderer {
  readonly markdown: MarkdownIt;
  readonly sanitize: typeof sanitizeHtml;
}
let renderer: ReadmeRenderer | undefined;

/** markdown-it with highlight.js, and sanitize-html: loaded once, on first use (synchronous require, CommonJS builds). */
function loadRenderer(): ReadmeRenderer {
  if (renderer) return renderer;
  const load = createRequire(import.meta.url);
  const hljs = load('highlight.js') as Highlighter;
  const markdownIt = load('markdown-it') as typeof MarkdownItClass;
  const markdown = new markdownIt({
    html: true,
    linkify: true,
    highlight(code, language) {
      const name = language.trim().toLowerCase();
      if (name && hljs.getLanguage(name)) {
        const highlighted = hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
        return `<pre><code class="hljs language-${escapeHtml(name)}">${highlighted}</code></pre>`;
      }
      return `<pre><code class="hljs">${escapeHtml(code)}</code></pre>`;
    },
  });
  renderer = { markdown, sanitize: load('sanitize-html') as typeof sanitizeHtml };
  return renderer;
}

/** Where relative links and images of a readme point: the repository's files at the recorded commit or branch. */
export interface ReadmeBase {
  /** For links: a directory URL ending in '/'. */
  readonly links?: string | undefined;
  /** For images: a URL that serves the raw file. */
  readonly images?: string | undefined;
}

const github = /^https:\/\/github\.com\/([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/i;

/** The base of a package's relative readme URLs, from its repository (or project) URL. */
export function readmeBaseOf(metadata: PackageMetadata): ReadmeBase {
  const repository = metadataUrl(metadata.repository?.url) ?? metadataUrl(metadata.projectUrl);
  if (!repository) return {};
  const match = github.exec(repository);
  if (match) {
    const [, owner, repo] = match;
    const ref = encodeURIComponent(metadata.repository?.commit || metadata.repository?.branch || 'HEAD');
    return {
      links: `https://github.com/${owner}/${repo}/blob/${ref}/`,
      images: `https://raw.githubusercontent.com/${owner}/${repo}/${ref}/`,
    };
  }
  const directory = repository.endsWith('/') ? repository : `${repository}/`;
  return { links: directory, images: directory };
}

/** `url` made absolute against `base`; a fragment stays; undefined when it cannot be resolved. */
function resolve(url: string | undefined, base: string | undefined): string | undefined {
  const value = url?.trim();
  if (!value) return undefined;
  if (value.startsWith('#')) return value;
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) return value;
  if (value.startsWith('//') || !base) return undefined;
  try {
    return new URL(value.replace(/^\/+/, ''), base).href;
  } catch {
    return undefined;
  }
}

function sanitizeOptions(base: ReadmeBase, defaults: sanitizeHtml.IDefaults): sanitizeHtml.IOptions {
  return {
    allowedTags: [
      ...defaults.allowedTags.filter((tag) => tag !== 'style'),
      'img',
      'details',
      'summary',
      'del',
      'ins',
      'picture',
    ],
    disallowedTagsMode: 'discard',
    allowedAttributes: {
      a: ['href', 'title', 'rel'],
      img: ['src', 'alt', 'title', 'width', 'height', 'loading'],
      code: ['class'],
      span: ['class'],
      th: ['align', 'colspan', 'rowspan'],
      td: ['align', 'colspan', 'rowspan'],
      p: ['align'],
      div: ['align'],
      h1: ['align'],
      h2: ['align'],
      h3: ['align'],
      ol: ['start'],
      details: ['open'],
    },
    allowedClasses: { code: ['hljs', 'language-*'], span: ['hljs-*'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    transformTags: {
      a(tagName, attribs) {
        const href = resolve(attribs.href, base.links);
        const external = href !== undefined && !href.startsWith('#');
        return {
          tagName,
          attribs: {
            ...(href === undefined ? {} : { href }),
            ...(attribs.title ? { title: attribs.title } : {}),
            ...(external ? { rel: 'nofollow noopener noreferrer ugc' } : {}),
          },
        };
      },
      img(tagName, attribs) {
        const src = resolve(attribs.src, base.images);
        return {
          tagName,
          attribs: {
            ...attribs,
            ...(src === undefined ? { src: '' } : { src }),
            // An image without alt is read out by its file name; an empty alt at least keeps it silent.
            alt: attribs.alt ?? '',
            loading: 'lazy',
          },
        };
      },
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  };
}

/** The readme's markdown as safe HTML for a page. */
export function renderReadme(source: string, base: ReadmeBase): Html {
  const { markdown, sanitize } = loadRenderer();
  return trustedHtml(sanitize(markdown.render(source), sanitizeOptions(base, sanitize.defaults)));
}
