// Entry names a NuGet client can extract, as table tests: each row reads like the rule it checks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { entryCollisionKey, entryNameProblem, printableEntryName, unescapeEntryName } from './entry-name.ts';

describe('unescapeEntryName decodes as Uri.UnescapeDataString does', () => {
  const rows: [string, string][] = [
    ['lib/net8.0/a.dll', 'lib/net8.0/a.dll'],
    ['My%20Library.dll', 'My Library.dll'],
    ['%2e%2e/x', '../x'],
    ['caf%C3%A9', 'café'],
    ['%F0%9F%98%80', '😀'],
    // An invalid UTF-8 byte stays escaped; what follows it is still decoded.
    ['%C3%2F', '%C3/'],
    ['%FF%41', '%FFA'],
    // Overlong forms and surrogates are not UTF-8.
    ['%C0%AF', '%C0%AF'],
    ['%ED%A0%80', '%ED%A0%80'],
    ['%E2%82', '%E2%82'],
    // '%' without two hex digits is left alone.
    ['100%', '100%'],
    ['%zz%4', '%zz%4'],
    ['%00', '\u0000'],
  ];
  for (const [name, expected] of rows) {
    test(`${JSON.stringify(name)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(unescapeEntryName(name), expected);
    });
  }
});

describe('entryNameProblem: what a client cannot extract', () => {
  const rows: [string, string | undefined][] = [
    ['lib/net8.0/Contoso.dll', undefined],
    ['lib/', undefined],
    ['content/./a.txt', undefined],
    ['content//a.txt', undefined],
    ['.signature.p7s', undefined],
    ['[Content_Types].xml', undefined],
    ['content/console.txt', undefined],
    ['content/COM10.txt', undefined],
    ['content/a\u007fb.txt', undefined],
    [`lib/${'a'.repeat(255)}`, undefined],
    ['lib\\a.dll', 'nupkg_entry_name_backslash'],
    ['/etc/passwd', 'nupkg_entry_name_absolute'],
    ['C:/evil.dll', 'nupkg_entry_name_absolute'],
    ['', 'nupkg_entry_name_empty'],
    ['./', 'nupkg_entry_name_empty'],
    ['../evil.dll', 'nupkg_entry_name_traversal'],
    ['lib/../../evil.dll', 'nupkg_entry_name_traversal'],
    ['lib/a\u0000.dll', 'nupkg_entry_name_invalid_character'],
    ['lib/a\u001f.dll', 'nupkg_entry_name_invalid_character'],
    ['lib/a:b.dll', 'nupkg_entry_name_invalid_character'],
    ['lib/a?.dll', 'nupkg_entry_name_invalid_character'],
    ['lib/a.dll.', 'nupkg_entry_name_trailing_dot_or_space'],
    ['lib/a.dll ', 'nupkg_entry_name_trailing_dot_or_space'],
    ['lib./a.dll', 'nupkg_entry_name_trailing_dot_or_space'],
    ['lib/.', 'nupkg_entry_name_trailing_dot_or_space'],
    ['CON', 'nupkg_entry_name_reserved'],
    ['lib/prn.xml', 'nupkg_entry_name_reserved'],
    ['lib/Com0.dll', 'nupkg_entry_name_reserved'],
    ['lib/lpt9', 'nupkg_entry_name_reserved'],
    ['lib/COM³.txt', 'nupkg_entry_name_reserved'],
    [`lib/${'a'.repeat(256)}`, 'nupkg_entry_name_too_long'],
    [`${'ü'.repeat(128)}/a.dll`, 'nupkg_entry_name_too_long'],
  ];
  for (const [path, code] of rows) {
    test(`${JSON.stringify(path.length > 40 ? `${path.slice(0, 40)}…` : path)} -> ${code ?? 'extractable'}`, () => {
      assert.equal(entryNameProblem(path)?.code, code);
    });
  }
});

describe('entryCollisionKey: one key for names one file system sees as one file', () => {
  const same: [string, string][] = [
    ['lib/A.dll', 'lib/a.dll'],
    ['lib/./a.dll', 'lib/a.dll'],
    ['lib//a.dll', 'lib/a.dll'],
    ['lib/caf\u00e9', 'lib/cafe\u0301'],
  ];
  for (const [a, b] of same) {
    test(`${JSON.stringify(a)} collides with ${JSON.stringify(b)}`, () => {
      assert.equal(entryCollisionKey(a), entryCollisionKey(b));
    });
  }
  test('a folder entry keeps its trailing slash', () => {
    assert.equal(entryCollisionKey('lib/'), 'lib/');
    assert.notEqual(entryCollisionKey('lib/'), entryCollisionKey('lib'));
  });
});

test('printableEntryName shows control characters', () => {
  assert.equal(printableEntryName('a\u0000b\nc'), 'a\\u0000b\\u000ac');
});
