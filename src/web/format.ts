// Small formatting rules shared by the pages.
import { type Html, html } from './html.ts';

const numbers = new Intl.NumberFormat('en-US');

/** 1234567 -> '1,234,567'. */
export const formatCount = (count: number): string => numbers.format(count);

/**
 * A date readable without JavaScript (UTC, as the server knows it); site.js turns it into the reader's own time
 * zone. `format: 'date'` drops the time of day.
 */
export function timeElement(iso: string, format: 'date' | 'datetime' = 'datetime'): Html {
  const text = format === 'date' ? iso.slice(0, 10) : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${iso}" data-format="${format}">${text}</time>`;
}

/** `text` cut to at most `max` characters at a word boundary, with an ellipsis when cut. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** A comma-separated nuspec list (authors, owners) as names. */
export const namesOf = (list: string | undefined): string[] =>
  (list ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
