// Which zip entry names a NuGet client can extract. Restore writes every entry of a package (but a few
// packaging files) to <global packages folder>/<lower id>/<lower version>/<entry path>, with the path
// percent-decoded (NuGet.Packaging PackageArchiveReader.CopyFiles: Uri.UnescapeDataString, then
// Path.Combine and File.Create). NuGet checks no characters itself: the file system of the machine that
// restores decides. A package is refused here when its name fails on any client OS, or would be written
// under another name on one of them (Windows drops trailing dots and spaces, treats '\' as a separator
// and device names as devices). Windows naming rules:
// https://learn.microsoft.com/windows/win32/fileio/naming-a-file. Linux NAME_MAX is 255 bytes, macOS
// PATH_MAX 1024 bytes.

export interface EntryNameProblem {
  readonly code: string;
  /** Completes "the package has an entry ...", e.g. "whose path climbs out of the package with '..'". */
  readonly reason: string;
}

/** The longest file or folder name every client file system takes: 255 UTF-8 bytes (ext4, APFS). */
export const maxEntrySegmentBytes = 255;
/** macOS PATH_MAX (1024, with the terminating NUL): the longest path a client can open. */
export const maxExtractedPathBytes = 1023;

// Bytes of one UTF-8 sequence by its lead byte; the second byte's range where it is narrower than
// 0x80-0xBF (no overlong forms, no surrogates, nothing past U+10FFFF), as .NET's UTF-8 decoder checks.
function utf8SequenceLength(bytes: readonly number[], at: number): number {
  const lead = bytes[at] as number;
  const [length, low, high] =
    lead >= 0xc2 && lead <= 0xdf
      ? [2, 0x80, 0xbf]
      : lead === 0xe0
        ? [3, 0xa0, 0xbf]
        : lead === 0xed
          ? [3, 0x80, 0x9f]
          : lead >= 0xe1 && lead <= 0xef
            ? [3, 0x80, 0xbf]
            : lead === 0xf0
              ? [4, 0x90, 0xbf]
              : lead === 0xf4
                ? [4, 0x80, 0x8f]
                : lead >= 0xf1 && lead <= 0xf3
                  ? [4, 0x80, 0xbf]
                  : [0, 0, 0];
  if (length === 0 || at + length > bytes.length) return 0;
  const second = bytes[at + 1] as number;
  if (second < low || second > high) return 0;
  for (let index = at + 2; index < at + length; index++) {
    const next = bytes[index] as number;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}

/**
 * NuGet's Uri.UnescapeDataString: every %XX is decoded; bytes that form valid UTF-8 become characters and
 * any other byte stays as its %XX text ('%2e%2e' is '..', '%C3%2F' is '%C3/').
 */
export function unescapeEntryName(name: string): string {
  if (!name.includes('%')) return name;
  return name.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const escapes = run.match(/%[0-9a-fA-F]{2}/g) as string[];
    const bytes = escapes.map((escape) => Number.parseInt(escape.slice(1), 16));
    let decoded = '';
    for (let at = 0; at < bytes.length;) {
      const byte = bytes[at] as number;
      if (byte < 0x80) {
        decoded += String.fromCharCode(byte);
        at += 1;
        continue;
      }
      const length = utf8SequenceLength(bytes, at);
      if (length === 0) {
        decoded += escapes[at];
        at += 1;
        continue;
      }
      decoded += Buffer.from(bytes.slice(at, at + length)).toString('utf8');
      at += length;
    }
    return decoded;
  });
}

/** C0 control characters (U+0000-U+001F): no Windows file name may hold one, nor NUL any file name. */
const isControl = (character: string): boolean => character.charCodeAt(0) < 0x20;

/** A name as a person can read it in a message: control characters (and DEL) written as \uXXXX. */
export const printableEntryName = (name: string): string =>
  [...name]
    .map((character) =>
      isControl(character) || character === '\u007f'
        ? `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`
        : character,
    )
    .join('');

const describeCharacter = (character: string): string =>
  isControl(character)
    ? `the control character U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`
    : `'${character}'`;

/** The first character no Windows file name may hold: a control character or one of <>:"|?*. */
const firstInvalidCharacter = (path: string): string | undefined =>
  [...path].find((character) => isControl(character) || '<>:"|?*'.includes(character));

// Device names Windows opens instead of a file, with or without an extension ('NUL.txt' is NUL too).
const deviceName = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;

/** Why a client cannot extract the entry at `path` (percent-decoded), or undefined when every client can. */
export function entryNameProblem(path: string): EntryNameProblem | undefined {
  if (path.includes('\\')) {
    return {
      code: 'nupkg_entry_name_backslash',
      reason:
        "with a backslash in its name (Windows reads it as a folder separator); zip entry names must use '/'",
    };
  }
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) {
    return { code: 'nupkg_entry_name_absolute', reason: 'with an absolute path' };
  }
  const segments = path.split('/');
  if (entryCollisionKey(path) === '') {
    // NuGet refuses an entry that resolves to the package folder itself (ValidatePackageEntry).
    return {
      code: 'nupkg_entry_name_empty',
      reason: 'whose path is empty: it names the package folder itself',
    };
  }
  if (segments.includes('..')) {
    return {
      code: 'nupkg_entry_name_traversal',
      reason: "whose path climbs out of the package with '..'",
    };
  }
  const invalid = firstInvalidCharacter(path);
  if (invalid !== undefined) {
    return {
      code: 'nupkg_entry_name_invalid_character',
      reason: `whose name has ${describeCharacter(invalid)}, which no Windows client can write in a file name`,
    };
  }
  // A folder entry ends with '/': its last segment is empty. Elsewhere '.' and empty segments collapse
  // when the client builds the path, and the collision check sees them collapsed too.
  for (const [index, segment] of segments.entries()) {
    const isLast = index === segments.length - 1;
    if (segment === '' || (segment === '.' && !isLast)) continue;
    if (/[. ]$/.test(segment)) {
      return {
        code: 'nupkg_entry_name_trailing_dot_or_space',
        reason: `whose name '${segment}' ends with a dot or a space, which Windows drops (the file would be written under another name)`,
      };
    }
    if (deviceName.test(segment.split('.')[0]?.trimEnd() ?? '')) {
      return {
        code: 'nupkg_entry_name_reserved',
        reason: `named '${segment}', a device name on Windows (CON, PRN, AUX, NUL, COM0-9, LPT0-9), where it cannot be a file`,
      };
    }
    const bytes = Buffer.byteLength(segment, 'utf8');
    if (bytes > maxEntrySegmentBytes) {
      return {
        code: 'nupkg_entry_name_too_long',
        reason: `with a file or folder name of ${bytes} bytes; file systems allow at most ${maxEntrySegmentBytes}`,
      };
    }
  }
  return undefined;
}

/**
 * The name under which a client's file system sees the entry: '.' and empty segments collapsed, case folded
 * (Windows and macOS ignore case) and Unicode composed (macOS ignores the difference between composed and
 * decomposed forms). Two entries with one key collide when extracted.
 */
export function entryCollisionKey(path: string): string {
  const segments = path.split('/');
  const last = segments.pop() ?? '';
  const folders = segments.filter((segment) => segment !== '' && segment !== '.');
  return [...folders, last].join('/').normalize('NFC').toLowerCase();
}
