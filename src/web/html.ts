// HTML built with a tagged template that escapes every value it is given (docs/decisions/0015-webui-web-ui-rendering.md):
// a value becomes markup only when it is an `Html` made by this module, by `html` itself or by `trustedHtml`,
// which only the readme sanitizer's output may pass through. Attribute values must be quoted in the templates.

const escapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

const needsEscape = /[&<>"']/;

export const escapeHtml = (text: string): string =>
  needsEscape.test(text) ? text.replace(/[&<>"']/g, (c) => escapes[c] ?? c) : text;

/** Markup that is safe to put in a page as it is. */
export class Html {
  readonly markup: string;
  constructor(markup: string) {
    this.markup = markup;
  }
  toString(): string {
    return this.markup;
  }
}

/** What a template accepts: markup as it is, text and numbers escaped, nothing for false, null and undefined. */
export type HtmlPart = Html | string | number | boolean | null | undefined | readonly HtmlPart[];

function render(part: HtmlPart): string {
  if (typeof part === 'string') return escapeHtml(part);
  if (part instanceof Html) return part.markup;
  if (part === null || part === undefined || typeof part === 'boolean') return '';
  if (typeof part === 'number') return String(part);
  let out = '';
  for (const item of part) out += render(item);
  return out;
}

// The static parts of each template, once per call site (a tagged template's strings array is the same object on
// every call), with the indentation the source formatting puts between tags removed: a page of 5,000 versions
// would otherwise be half spaces. No template has a multi-line <pre> of its own text, where that would matter.
const compacted = new WeakMap<TemplateStringsArray, readonly string[]>();

function staticParts(strings: TemplateStringsArray): readonly string[] {
  let parts = compacted.get(strings);
  if (!parts) {
    parts = strings.map((part) => part.replace(/\n\s+/g, '\n'));
    compacted.set(strings, parts);
  }
  return parts;
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlPart[]): Html {
  const parts = staticParts(strings);
  let out = parts[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (parts[i + 1] ?? '');
  return new Html(out);
}

/** Markup that a sanitizer has already made safe (readme.ts): nothing else may use it. */
export const trustedHtml = (markup: string): Html => new Html(markup);
