// Text a hostile or unlucky client may put in a search query or any other URL parameter, for property-style tests
// that must never see a server fault: every control character, every quote form, the FTS5 and tsquery syntax,
// SQL and LIKE metacharacters, odd Unicode (lone surrogates, bidi overrides, combining marks) and very long runs.
// The generator is seeded, so a failure names a seed and an index that reproduce it exactly.
// FTS5 syntax: https://www.sqlite.org/fts5.html#full_text_query_syntax;
// tsquery syntax: https://www.postgresql.org/docs/15/datatype-textsearch.html#DATATYPE-TSQUERY
import { seededRandom } from './seeded-random.ts';

/** C0 controls, DEL and the C1 controls: what a URL may carry percent-encoded. */
export const controlCharacters: readonly string[] = [
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
  '\u007f',
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i)),
];

const quotes = [
  '"',
  "'",
  '""',
  '"""',
  '\\"',
  "\\'",
  '`',
  '\u201c',
  '\u201d',
  '\u2018',
  '\u2019',
  '\u00ab',
  '\u00bb',
  '\u201e',
];

/** FTS5 query syntax: operators, column filters, NEAR groups, prefix and initial-token markers. */
const fts5Syntax = [
  'NEAR(',
  'NEAR/2',
  ' AND ',
  ' OR ',
  ' NOT ',
  'AND',
  'OR',
  'NOT',
  '*',
  '^',
  ':',
  '{id title}:',
  '{',
  '}',
  '-',
  '+',
  '(',
  ')',
  ',',
  'id : ',
  'rowid:',
];

/** tsquery syntax: operators, phrase distances, prefix and weight markers, escapes. */
const tsquerySyntax = [
  '&',
  '|',
  '!',
  '<->',
  '<2>',
  '<',
  '>',
  ':*',
  ':A',
  ':*AB',
  '\\',
  "'\\''",
  '!!',
  '&&',
  '||',
];

/** SQL, LIKE and escaping metacharacters. */
const sqlSyntax = [
  "'; DROP TABLE package_versions; --",
  '%',
  '_',
  '\\%',
  '\\_',
  ';',
  '--',
  '/*',
  '*/',
  '$1',
  '?',
  '@p',
];

/** The field syntax of `q` (parse-search-query.ts), known and unknown names. */
const fieldSyntax = [
  'id:',
  'packageid:',
  'version:',
  'tags:',
  'tag:',
  'author:',
  'owners:',
  'title:',
  'x:',
  'ID:',
  'c#:',
];

const unicode = [
  '\u00e9',
  '\u00df',
  '\u0130',
  '\ufb01',
  '\u{1f600}',
  '\ud800',
  '\udfff',
  '\udc00\ud800',
  '\u200b',
  '\u202e',
  '\ufeff',
  '\u0301',
  '\uffff',
  '\ufffd',
  '\u4e2d\u6587',
  '\u0928\u093f',
  '\u00a0',
  '\u3000',
  '\u2028',
];

const words = ['json', 'Fuzz', 'Target', 'fuzz.target', 'and', 'near', 'not', 'or', '1.0.0', 'Dependency'];

const whitespace = [' ', ' ', ' ', '\t', '  '];

const long = [
  'a'.repeat(300),
  '"'.repeat(120),
  '('.repeat(120),
  ')'.repeat(120),
  'a '.repeat(150),
  '*'.repeat(100),
  'x:'.repeat(100),
  'NEAR('.repeat(60),
  '\u0000'.repeat(50),
  '\u{1f600}'.repeat(100),
];

/** Every piece, grouped so that each group is drawn as often as the others. */
const groups: readonly (readonly string[])[] = [
  controlCharacters,
  quotes,
  fts5Syntax,
  tsquerySyntax,
  sqlSyntax,
  fieldSyntax,
  unicode,
  words,
  whitespace,
  long,
];

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;

/**
 * `count` hostile texts: first the fixed cases (each control character and quote form alone, inside a word,
 * a phrase and a field value), then seeded combinations of 1 to 8 pieces, each at most `maxLength` long.
 */
export function hostileTexts(options: { seed: number; count: number; maxLength: number }): string[] {
  const fixed: string[] = [];
  for (const c of [...controlCharacters, ...quotes]) {
    fixed.push(
      c,
      `a${c}b`,
      `"a${c}b"`,
      `id:a${c}`,
      `tags:"x${c}y"`,
      `packageid:${c}`,
      `version:1.0${c}`,
      `${c}json`,
    );
  }
  for (const piece of [...fts5Syntax, ...tsquerySyntax, ...sqlSyntax, ...fieldSyntax, ...unicode, ...long]) {
    fixed.push(piece, `json ${piece}`, `${piece}json`, `"${piece}"`);
  }
  const random = seededRandom(options.seed);
  const generated: string[] = [];
  while (generated.length < options.count) {
    let text = '';
    const pieces = 1 + Math.floor(random() * 8);
    for (let i = 0; i < pieces; i++) text += pick(random, pick(random, groups));
    generated.push(text.slice(0, options.maxLength));
  }
  return [...fixed.map((text) => text.slice(0, options.maxLength)), ...generated];
}

/**
 * Printable noise with no letter, digit or space: put around a word, it must not stop the word from being found
 * (`"(Fuzz.Target)*"` still finds Fuzz.Target).
 */
export function printableNoise(random: () => number): string {
  const marks = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', '\u201c', '\u201d', '\u00ab', '\u00bb'];
  let noise = '';
  const length = Math.floor(random() * 4);
  for (let i = 0; i < length; i++) noise += pick(random, marks);
  return noise;
}
