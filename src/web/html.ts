// HTML built with a tagged template that escapes every value it is given (docs/decisions/0013-webui-web-ui-rendering.md):
// a value becomes markup only when it is an `Html` made by this module, by `html` itself or by `trustedHtml`,
// which only the readme sanitizer's output may pass through. Attribute values must be quoted in the templates.

const escapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => escapes[c] ?? c);

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

function append(out: string[], part: HtmlPart): void {
  if (part === null || part === undefined || part === false || part === true) return;
  if (part instanceof Html) out.push(part.markup);
  else if (typeof part === 'string') out.push(escapeHtml(part));
  else if (typeof part === 'number') out.push(String(part));
  else for (const item of part) append(out, item);
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlPart[]): Html {
  const out: string[] = [];
  for (let i = 0; i < strings.length; i++) {
    out.push(strings[i] ?? '');
    if (i < values.length) append(out, values[i]);
  }
  return new Html(out.join(''));
}

/** Markup that a sanitizer has already made safe (readme.ts): nothing else may use it. */
export const trustedHtml = (markup: string): Html => new Html(markup);
