// Glob patterns on package ids that limit what a key may touch: `*` any run of characters, `?` one character,
// matched case-insensitively against the whole id as package ids are (../shared/spec/reference/nuspec.md, "id").
import { invalidInput } from '../errors.ts';

// A package id is letters, digits, '.', '_' and '-'; a pattern may add the two wildcards.
const patternShape = /^[A-Za-z0-9._*?-]+$/;

function toRegExp(pattern: string): RegExp {
  const source = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char === '.' ? '\\.' : char))
    .join('');
  return new RegExp(`^${source}$`, 'i');
}

export function matchesIdPattern(pattern: string, id: string): boolean {
  return toRegExp(pattern).test(id);
}

export function matchesAnyIdPattern(patterns: readonly string[], id: string): boolean {
  return patterns.some((pattern) => matchesIdPattern(pattern, id));
}

/** 'Contoso.*, Fabrikam.?ore' -> ['Contoso.*', 'Fabrikam.?ore']; empty -> ['*']. */
export function parseIdPatterns(text: string): string[] {
  const patterns = text
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
  if (patterns.length === 0) return ['*'];
  for (const pattern of patterns) {
    if (!patternShape.test(pattern) || pattern.length > 128) {
      throw invalidInput(
        'id_pattern_invalid',
        `'${pattern}' is not a package id pattern: use id characters (letters, digits, '.', '_', '-') ` +
          "with '*' for any run of characters and '?' for one, e.g. Contoso.*",
      );
    }
  }
  return [...new Set(patterns)];
}
