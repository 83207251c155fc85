// Package id rules, as NuGet's PackageIdValidator applies them when a package is packed or pushed:
// the id must match ^\w+([_.-]\w+)*$ (.NET regex, so \w is Unicode: letters, non-spacing marks,
// decimal digits and connector punctuation such as '_') and be at most 100 characters long.
// https://learn.microsoft.com/nuget/reference/nuspec#id (../../../../shared/spec/reference/nuspec.md)
import { invalidInput } from '../../errors.ts';

export const maxPackageIdLength = 100;

// One UTF-16 code unit at a time, like .NET: a character outside the Basic Multilingual Plane is a
// surrogate pair there, and a lone surrogate is not a word character, so NuGet refuses it too.
const wordCharacter = /^[\p{L}\p{Mn}\p{Nd}\p{Pc}]$/u;

const describe = (character: string): string =>
  character.length === 1 && /[\p{L}\p{N}\p{P}\p{S}]/u.test(character)
    ? `'${character}'`
    : `U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** The reason `id` is not a valid package id, or undefined when it is valid. */
export function packageIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'the package id is empty';
  if (id.length > maxPackageIdLength) {
    return `the package id is too long: ${id.length} > ${maxPackageIdLength} characters`;
  }
  for (let index = 0; index < id.length; index++) {
    const character = id[index] as string;
    if (wordCharacter.test(character)) continue;
    if (character !== '.' && character !== '-') {
      return (
        `the package id '${id}' has a character that is not allowed: ${describe(character)} at index ${index} ` +
        `(allowed: letters, digits, '_', '.' and '-')`
      );
    }
    if (index === 0 || index === id.length - 1) {
      return `the package id '${id}' must start and end with a letter, digit or '_', not '${character}'`;
    }
    const next = id[index + 1] as string;
    if (!wordCharacter.test(next)) {
      return (
        `the package id '${id}' has '${character}${next}' at index ${index}: ` +
        `'.' and '-' must each sit between letters, digits or '_'`
      );
    }
  }
  return undefined;
}

export function isValidPackageId(id: string): boolean {
  return packageIdProblem(id) === undefined;
}

/** Throws NuggetError InvalidInput 'invalid_package_id' saying what is wrong with `id`. */
export function validatePackageId(id: string): void {
  const problem = packageIdProblem(id);
  if (problem !== undefined) throw invalidInput('invalid_package_id', problem);
}

/**
 * The lower id used in V3 URLs and as the unique key: .NET's ToLowerInvariant, which maps each
 * character on its own (simple case mapping). JavaScript's toLowerCase applies context rules
 * (a final 'Σ' becomes 'ς') and multi-character mappings ('İ' becomes 'i̇'), so map code point by code
 * point and keep one character for one.
 */
export function toLowerId(id: string): string {
  // The ASCII fast path: no character below 0x80 lower-cases differently in .NET and JavaScript.
  if (!/[^\p{ASCII}]/u.test(id)) return id.toLowerCase();
  let lower = '';
  for (const character of id) {
    const mapped = character.toLowerCase();
    lower += [...mapped].length === 1 ? mapped : character === '\u0130' ? 'i' : character;
  }
  return lower;
}
