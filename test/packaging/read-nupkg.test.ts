// readNupkg against archives built in code: good packages read back byte for byte, and every
// hostile archive refused with its own code. Why each guard exists: ../../../shared/notes/dependencies.md §4.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isNuggetError } from '../../src/errors.ts';
import { toNormalizedString } from '../../src/nuget/versioning/index.ts';
import { type NupkgLimits, readNupkg } from '../../src/nuget/packaging/read-nupkg.ts';
import {
  buildNupkg,
  buildNuspecXml,
  type NupkgSpec,
  nupkgEntries,
  zipEntries,
} from '../fixtures/build-nupkg.ts';
import {
  buildRawZip,
  localRecordOf,
  minimalNuspec,
  type RawZipEntry,
  unicodePathExtra,
} from '../fixtures/raw-zip.ts';

let directory: string;
let counter = 0;
before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'nugget-read-nupkg-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function fileOf(bytes: Uint8Array): Promise<string> {
  counter += 1;
  const path = join(directory, `package-${counter}.nupkg`);
  await writeFile(path, bytes);
  return path;
}

// A real PNG header, so the icon is what nuget.org would accept.
const pngBytes = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3,
]);

describe('readNupkg reads good packages', () => {
  test('id, version, entries, nuspec bytes, unsigned', async () => {
    const spec: NupkgSpec = {
      id: 'Contoso.Good',
      version: '1.0.0-beta.1',
      tags: ['a', 'b'],
      dependencyGroups: [
        { targetFramework: 'net8.0', dependencies: [{ id: 'Newtonsoft.Json', range: '[13.0.3, )' }] },
      ],
    };
    const nupkg = await readNupkg(await fileOf(await buildNupkg(spec)));
    assert.equal(nupkg.nuspec.id, 'Contoso.Good');
    assert.equal(toNormalizedString(nupkg.nuspec.version), '1.0.0-beta.1');
    assert.equal(nupkg.nuspecName, 'Contoso.Good.nuspec');
    assert.equal(nupkg.nuspecBytes.toString('utf8'), buildNuspecXml(spec));
    assert.deepEqual(
      nupkg.entries.map((entry) => entry.name),
      ['_rels/.rels', 'Contoso.Good.nuspec', 'lib/netstandard2.0/Contoso.Good.dll', '[Content_Types].xml'],
    );
    assert.ok(nupkg.entries.every((entry) => entry.uncompressedSize > 0 && entry.compressedSize > 0));
    assert.equal(nupkg.isSigned, false);
    assert.equal(nupkg.readme, undefined);
    assert.deepEqual(nupkg.nuspec.tags, ['a', 'b']);
  });

  test('readme, icon and license file read back byte-identical', async () => {
    const readme = '# Contoso\n\nÜnïcödé readme.\n';
    const license = 'Permission is hereby granted...\n';
    const nupkg = await readNupkg(
      await fileOf(
        await buildNupkg({
          id: 'Contoso.Embedded',
          version: '2.0.0',
          readme: { path: 'docs\\README.md', content: readme },
          icon: { path: 'images/icon.png', bytes: pngBytes },
          licenseFile: { path: 'LICENSE.txt', content: license },
        }),
      ),
    );
    assert.equal(nupkg.nuspec.readme, 'docs\\README.md');
    assert.deepEqual(nupkg.readme, { path: 'docs/README.md', bytes: Buffer.from(readme, 'utf8') });
    assert.deepEqual(nupkg.icon, { path: 'images/icon.png', bytes: Buffer.from(pngBytes) });
    assert.deepEqual(nupkg.licenseFile, { path: 'LICENSE.txt', bytes: Buffer.from(license, 'utf8') });
  });

  test('a license expression reads no file', async () => {
    const nupkg = await readNupkg(
      await fileOf(await buildNupkg({ id: 'Contoso.Mit', version: '1.0.0', licenseExpression: 'MIT' })),
    );
    assert.deepEqual(nupkg.nuspec.license, { type: 'expression', value: 'MIT' });
    assert.equal(nupkg.licenseFile, undefined);
  });

  test('an embedded path written "./x" or "/x" names the entry "x"; percent-encoded entry names match', async () => {
    const spec: NupkgSpec = { id: 'Contoso.Paths', version: '1.0.0' };
    const nuspec = buildNuspecXml(spec).replace(
      '</metadata>',
      '<readme>./my readme.md</readme><icon>/icon.png</icon></metadata>',
    );
    const entries = [
      ...nupkgEntries({ ...spec, nuspecXml: nuspec }),
      { name: 'my%20readme.md', content: 'hello' },
      { name: 'icon.png', content: pngBytes },
    ];
    const nupkg = await readNupkg(await fileOf(await zipEntries(entries)));
    assert.equal(nupkg.readme?.path, 'my%20readme.md');
    assert.equal(nupkg.readme?.bytes.toString(), 'hello');
    assert.equal(nupkg.icon?.path, 'icon.png');
  });

  test('a root .signature.p7s marks the package signed', async () => {
    const entries = [
      ...nupkgEntries({ id: 'Contoso.Signed', version: '1.0.0' }),
      { name: '.signature.p7s', content: 'sig' },
    ];
    assert.equal((await readNupkg(await fileOf(await zipEntries(entries)))).isSigned, true);
  });

  test('a nuspec stored (not deflated) and placed last still reads', async () => {
    const entries = nupkgEntries({ id: 'Contoso.Stored', version: '1.0.0' });
    const [nuspec, ...rest] = [entries[1]!, entries[0]!, ...entries.slice(2)];
    const nupkg = await readNupkg(await fileOf(await zipEntries([...rest, { ...nuspec, compress: false }])));
    assert.equal(nupkg.nuspec.id, 'Contoso.Stored');
  });
});

interface Hostile {
  name: string;
  bytes: () => Promise<Uint8Array> | Uint8Array;
  code: string;
  kind?: string;
  message: RegExp;
  limits?: Partial<NupkgLimits>;
}

const nuspecEntry = (extra: Partial<RawZipEntry> = {}): RawZipEntry => ({
  name: 'Hostile.Package.nuspec',
  data: minimalNuspec(),
  ...extra,
});

const goodPackage = () => buildNupkg({ id: 'Contoso.Victim', version: '1.0.0' });

const missingEmbedded = (metadata: string) =>
  zipEntries(
    nupkgEntries({
      id: 'Contoso.Missing',
      version: '1.0.0',
      nuspecXml: buildNuspecXml({ id: 'Contoso.Missing', version: '1.0.0' }).replace(
        '</metadata>',
        `${metadata}</metadata>`,
      ),
    }),
  );

const hostile: Hostile[] = [
  { name: 'empty file', bytes: () => new Uint8Array(), code: 'nupkg_empty', message: /empty/ },
  {
    name: 'not a zip',
    bytes: () => Buffer.from('<html>this is not a package</html>'),
    code: 'nupkg_not_zip',
    message: /^the package is not a valid zip archive: /,
  },
  {
    name: 'truncated to half',
    bytes: async () => {
      const good = await goodPackage();
      return good.subarray(0, Math.floor(good.length / 2));
    },
    code: 'nupkg_truncated',
    message: /truncated/,
  },
  {
    name: 'truncated by the last bytes of the directory',
    bytes: async () => {
      const good = await goodPackage();
      return good.subarray(0, good.length - 10);
    },
    code: 'nupkg_truncated',
    message: /truncated/,
  },
  {
    name: 'zip bomb by ratio: 32 MiB of zeros',
    bytes: () => buildRawZip([nuspecEntry(), { name: 'lib/bomb.dll', data: Buffer.alloc(32 * 1024 * 1024) }]),
    code: 'nupkg_compression_ratio',
    message: /'lib\/bomb\.dll' inflates \d+ times its compressed size \(more than 100\)/,
  },
  {
    name: 'zip bomb by ratio: many small entries, each under the floor',
    bytes: () =>
      buildRawZip([
        nuspecEntry(),
        ...Array.from({ length: 40 }, (_, index) => ({
          name: `lib/part${index}.dll`,
          data: Buffer.alloc(512 * 1024),
        })),
      ]),
    code: 'nupkg_compression_ratio',
    message: /^the package inflates \d+ times/,
  },
  {
    name: 'zip bomb by declared size: two stored entries declaring 3 GiB each',
    bytes: () =>
      buildRawZip([
        nuspecEntry(),
        {
          name: 'a.bin',
          method: 0,
          data: 'x',
          declaredUncompressedSize: 3 * 2 ** 30,
          declaredCompressedSize: 3 * 2 ** 30,
        },
        {
          name: 'b.bin',
          method: 0,
          data: 'x',
          declaredUncompressedSize: 3 * 2 ** 30,
          declaredCompressedSize: 3 * 2 ** 30,
        },
      ]),
    code: 'nupkg_uncompressed_too_large',
    kind: 'TooLarge',
    message: /more than 4294967296 bytes once extracted/,
  },
  {
    name: 'declared size over a configured limit',
    bytes: goodPackage,
    limits: { maxUncompressedBytes: 100 },
    code: 'nupkg_uncompressed_too_large',
    kind: 'TooLarge',
    message: /more than 100 bytes/,
  },
  {
    name: 'lying sizes: the nuspec inflates past what it declares',
    bytes: () => buildRawZip([nuspecEntry({ declaredUncompressedSize: 40 })]),
    code: 'nupkg_entry_size_mismatch',
    message: /does not match its declared size/,
  },
  {
    name: 'lying sizes: the nuspec inflates to less than it declares',
    bytes: () => buildRawZip([nuspecEntry({ declaredUncompressedSize: 5000 })]),
    code: 'nupkg_entry_size_mismatch',
    message: /does not match its declared size/,
  },
  {
    name: 'huge entry count claimed by the directory (refused before reading entries)',
    bytes: () => buildRawZip([nuspecEntry()], { declaredEntryCount: 65_535 }),
    code: 'nupkg_too_many_entries',
    kind: 'TooLarge',
    message: /65535 entries; at most 65534/,
  },
  {
    name: 'more entries than a configured limit',
    bytes: goodPackage,
    limits: { maxEntries: 3 },
    code: 'nupkg_too_many_entries',
    kind: 'TooLarge',
    message: /4 entries; at most 3/,
  },
  {
    name: "'..' entry name",
    bytes: () => buildRawZip([nuspecEntry(), { name: '../../evil.dll', data: 'x' }]),
    code: 'nupkg_entry_name_traversal',
    message: /climbs out of the package with '\.\.': '\.\.\/\.\.\/evil\.dll'/,
  },
  {
    name: "percent-encoded '..' entry name",
    bytes: () => buildRawZip([nuspecEntry(), { name: 'lib/%2e%2e/%2e%2e/%2e%2e/evil.dll', data: 'x' }]),
    code: 'nupkg_entry_name_traversal',
    message: /climbs out/,
  },
  {
    name: 'absolute entry name',
    bytes: () => buildRawZip([nuspecEntry(), { name: '/etc/cron.d/evil', data: 'x' }]),
    code: 'nupkg_entry_name_absolute',
    message: /absolute path: '\/etc\/cron\.d\/evil'/,
  },
  {
    name: 'drive-letter entry name',
    bytes: () => buildRawZip([nuspecEntry(), { name: 'C:/Windows/evil.dll', data: 'x' }]),
    code: 'nupkg_entry_name_absolute',
    message: /absolute path/,
  },
  {
    name: 'backslash traversal entry name',
    bytes: () => buildRawZip([nuspecEntry(), { name: '..\\..\\evil.dll', data: 'x' }]),
    code: 'nupkg_entry_name_backslash',
    message: /backslash .*must use '\/'/,
  },
  {
    name: 'encrypted entry flag',
    bytes: () => buildRawZip([nuspecEntry(), { name: 'lib/secret.dll', data: 'x', flags: 0x0801 }]),
    code: 'nupkg_encrypted_entry',
    message: /encrypted entry 'lib\/secret\.dll'/,
  },
  {
    name: 'strong encryption flag',
    bytes: () => buildRawZip([nuspecEntry(), { name: 'lib/secret.dll', data: 'x', flags: 0x0841 }]),
    code: 'nupkg_encrypted_entry',
    message: /encrypted/,
  },
  {
    name: 'unsupported compression method (bzip2)',
    bytes: () => buildRawZip([nuspecEntry(), { name: 'lib/a.dll', data: 'x', method: 12 }]),
    code: 'nupkg_unsupported_compression',
    message: /compression method 12/,
  },
  {
    name: 'two nuspecs at the root',
    bytes: () => buildRawZip([nuspecEntry(), nuspecEntry({ name: 'Other.nuspec' })]),
    code: 'nupkg_multiple_nuspecs',
    message: /2 \.nuspec files at its root \('Hostile\.Package\.nuspec', 'Other\.nuspec'\)/,
  },
  {
    name: 'the same entry twice',
    bytes: () =>
      buildRawZip([nuspecEntry(), { name: 'lib/a.dll', data: 'x' }, { name: 'lib/a.dll', data: 'y' }]),
    code: 'nupkg_duplicate_entry',
    message: /two entries with the same name/,
  },
  {
    name: 'entries differing only in case',
    bytes: () =>
      buildRawZip([nuspecEntry(), { name: 'lib/A.dll', data: 'x' }, { name: 'lib/a.dll', data: 'y' }]),
    code: 'nupkg_duplicate_entry',
    message: /'lib\/A\.dll' and 'lib\/a\.dll'/,
  },
  {
    name: 'nuspec only in a subfolder',
    bytes: () => buildRawZip([nuspecEntry({ name: 'content/Hostile.Package.nuspec' })]),
    code: 'nupkg_nuspec_not_at_root',
    message: /'content\/Hostile\.Package\.nuspec' is in a folder/,
  },
  {
    name: 'no nuspec at all',
    bytes: () => buildRawZip([{ name: 'lib/a.dll', data: 'x' }]),
    code: 'nupkg_missing_nuspec',
    message: /no \.nuspec/,
  },
  {
    name: 'a valid zip with a broken nuspec',
    bytes: () => buildRawZip([nuspecEntry({ data: '<package><metadata><id>x</id>' })]),
    code: 'nuspec_malformed',
    message: /not well-formed/,
  },
  {
    name: 'a nuspec declaring more than 1 MiB',
    bytes: () => buildRawZip([nuspecEntry({ method: 0, data: minimalNuspec() + ' '.repeat(1024 * 1024) })]),
    code: 'nuspec_too_large',

    message: /nuspec 'Hostile\.Package\.nuspec' is too large/,
  },
  {
    name: 'corrupt deflate data',
    bytes: () =>
      buildRawZip([nuspecEntry({ rawCompressedData: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]) })]),
    code: 'nupkg_corrupt_entry',
    message: /cannot be inflated/,
  },
  {
    name: 'CRC-32 mismatch',
    bytes: () => buildRawZip([nuspecEntry({ crc32: 0x12345678 })]),
    code: 'nupkg_crc_mismatch',
    message: /checksum of 'Hostile\.Package\.nuspec' does not match/,
  },
  {
    name: 'readme named but missing',
    bytes: () => missingEmbedded('<readme>docs/README.md</readme>'),
    code: 'nupkg_missing_readme',
    message: /^nuspec names readme 'docs\/README\.md' but the package has no such file$/,
  },
  {
    name: 'readme named with a different case',
    bytes: async () =>
      zipEntries([
        ...nupkgEntries({
          id: 'Contoso.Case',
          version: '1.0.0',
          nuspecXml: buildNuspecXml({ id: 'Contoso.Case', version: '1.0.0' }).replace(
            '</metadata>',
            '<readme>readme.md</readme></metadata>',
          ),
        }),
        { name: 'README.md', content: '# hi' },
      ]),
    code: 'nupkg_missing_readme',
    message: /it has 'README\.md', which differs in case/,
  },
  {
    name: 'icon named but missing',
    bytes: () => missingEmbedded('<icon>images\\icon.png</icon>'),
    code: 'nupkg_missing_icon',
    message: /^nuspec names icon 'images\\icon\.png' but the package has no such file$/,
  },
  {
    name: 'license file named but missing',
    bytes: () => missingEmbedded('<license type="file">LICENSE.txt</license>'),
    code: 'nupkg_missing_license',
    message: /^nuspec names license file 'LICENSE\.txt' but the package has no such file$/,
  },
  {
    name: 'embedded file over the limit',
    bytes: () =>
      buildNupkg({
        id: 'Contoso.BigReadme',
        version: '1.0.0',
        readme: { path: 'README.md', content: 'x'.repeat(2000) },
      }),
    limits: { maxEmbeddedFileBytes: 1000 },
    code: 'nupkg_embedded_file_too_large',
    kind: 'TooLarge',
    message: /readme 'README\.md' is too large: 2000 bytes > 1000 bytes/,
  },
];

/** A package of the minimal nuspec and one more entry. */
const withEntry = (entry: RawZipEntry): Buffer => buildRawZip([nuspecEntry(), entry]);

// Entry names no client can extract, or extracts under another name on some OS (entry-name.ts).
const unextractable: Hostile[] = [
  ...['lib/a\u0000b.dll', 'lib/a\u0007b.dll', 'lib/line\nbreak.dll', 'lib/a%00b.dll'].map(
    (name): Hostile => ({
      name: `control character in ${JSON.stringify(name)}`,
      bytes: () => withEntry({ name, data: 'x' }),
      code: 'nupkg_entry_name_invalid_character',
      message:
        /has the control character U\+00(00|07|0A), which no Windows client can write in a file name: 'lib\//,
    }),
  ),
  ...[...'<>:"|?*'].map((character): Hostile => ({
    name: `'${character}' in an entry name`,
    bytes: () => withEntry({ name: `content/a${character}b.txt`, data: 'x' }),
    code: 'nupkg_entry_name_invalid_character',
    message: new RegExp(`has '\\${character}', which no Windows client can write`),
  })),
  ...['lib/a.dll.', 'lib/a.dll ', 'lib /a.dll', 'lib./a.dll', 'lib/.', 'lib/...'].map((name): Hostile => ({
    name: `trailing dot or space in ${JSON.stringify(name)}`,
    bytes: () => withEntry({ name, data: 'x' }),
    code: 'nupkg_entry_name_trailing_dot_or_space',
    message: /ends with a dot or a space, which Windows drops/,
  })),
  ...['lib/CON', 'content/aux.txt', 'lib/com1.dll', 'NUL/a.dll', 'lib/LPT²', 'lib/con .txt'].map(
    (name): Hostile => ({
      name: `Windows device name in ${JSON.stringify(name)}`,
      bytes: () => withEntry({ name, data: 'x' }),
      code: 'nupkg_entry_name_reserved',
      message: /a device name on Windows/,
    }),
  ),
  {
    name: 'a file name of 256 bytes',
    bytes: () => withEntry({ name: `lib/${'a'.repeat(252)}.dll`, data: 'x' }),
    code: 'nupkg_entry_name_too_long',
    message: /a file or folder name of 256 bytes; file systems allow at most 255/,
  },
  {
    name: 'a file name of 128 characters and 256 UTF-8 bytes',
    bytes: () => withEntry({ name: `lib/${'é'.repeat(128)}`, data: 'x' }),
    code: 'nupkg_entry_name_too_long',
    message: /256 bytes/,
  },
  {
    name: 'a path longer than macOS can open once extracted',
    bytes: () => withEntry({ name: `${`${'d'.repeat(200)}/`.repeat(5)}x.dll`, data: 'x' }),
    code: 'nupkg_entry_name_too_long',
    message: /extracted to '\/hostile\.package\/1\.0\.0\/', takes 1033 bytes; clients open at most 1023/,
  },
  {
    name: 'a percent-encoded backslash',
    bytes: () => withEntry({ name: 'lib%5C..%5Cevil.dll', data: 'x' }),
    code: 'nupkg_entry_name_backslash',
    message: /backslash.*must use '\/': 'lib%5C\.\.%5Cevil\.dll'/,
  },
  {
    name: "'%C3%2F' decodes to '%C3/' as NuGet decodes it, so '..' follows a slash",
    bytes: () => withEntry({ name: 'lib/%C3%2F..%2Fevil.dll', data: 'x' }),
    code: 'nupkg_entry_name_traversal',
    message: /climbs out of the package/,
  },
  ...['', './', './/'].map((name): Hostile => ({
    name: `an entry named ${JSON.stringify(name)} (the package folder itself)`,
    bytes: () => withEntry({ name, data: '' }),
    code: 'nupkg_entry_name_empty',
    message: /whose path is empty/,
  })),
  {
    name: 'a name that is not ASCII and not flagged UTF-8 (CP437 for yauzl, UTF-8 for .NET)',
    bytes: () =>
      withEntry({ name: 'lib/é.dll', rawName: Buffer.from('lib/\x82.dll', 'latin1'), flags: 0, data: 'x' }),
    code: 'nupkg_entry_name_encoding',
    message: /not ASCII and not marked as UTF-8/,
  },
  {
    name: 'a name flagged UTF-8 that is not UTF-8',
    bytes: () =>
      withEntry({ name: 'lib/x.dll', rawName: Buffer.from([0x6c, 0x69, 0x62, 0x2f, 0xff]), data: 'x' }),
    code: 'nupkg_entry_name_encoding',
    message: /is not valid UTF-8/,
  },
  {
    name: 'a Unicode Path field naming another path than the header (unzip and 7-Zip use it, NuGet does not)',
    bytes: () =>
      withEntry({
        name: 'lib/a.dll',
        centralExtra: unicodePathExtra('lib/a.dll', 'Other.nuspec'),
        data: 'x',
      }),
    code: 'nupkg_entry_name_encoding',
    message: /named 'lib\/a\.dll' whose Unicode Path field names it 'Other\.nuspec'/,
  },
  {
    name: 'two names that differ only in Unicode composition (one file on macOS)',
    bytes: () =>
      buildRawZip([
        nuspecEntry(),
        { name: 'lib/caf\u00e9.dll', data: 'x' },
        { name: 'lib/cafe\u0301.dll', data: 'y' },
      ]),
    code: 'nupkg_duplicate_entry',
    message: /two entries with the same name/,
  },
  {
    name: "two names that differ only by a '.' segment",
    bytes: () =>
      buildRawZip([nuspecEntry(), { name: 'lib/a.dll', data: 'x' }, { name: 'lib/./A.dll', data: 'y' }]),
    code: 'nupkg_duplicate_entry',
    message: /'lib\/a\.dll' and 'lib\/\.\/A\.dll'/,
  },
  {
    name: 'a file where another entry needs a folder',
    bytes: () =>
      buildRawZip([nuspecEntry(), { name: 'lib/a', data: 'x' }, { name: 'lib/a/b.dll', data: 'y' }]),
    code: 'nupkg_entry_path_conflict',
    message: /a file 'lib\/a' where entry 'lib\/a\/b\.dll' needs a folder of that name/,
  },
  {
    name: 'a file where another entry needs a folder, in another case and order',
    bytes: () =>
      buildRawZip([nuspecEntry(), { name: 'lib/a/b.dll', data: 'y' }, { name: 'LIB/A', data: 'x' }]),
    code: 'nupkg_entry_path_conflict',
    message: /a file 'LIB\/A' where entry 'lib\/a\/b\.dll' needs a folder/,
  },
  {
    name: 'a symbolic link',
    bytes: () =>
      withEntry({ name: 'lib/link.dll', data: '/etc/passwd', madeBy: 3, externalAttributes: 0o120777 << 16 }),
    code: 'nupkg_entry_not_a_file',
    message: /'lib\/link\.dll' is a symbolic link; packages may hold only files and folders/,
  },
  ...[
    ['a FIFO', 0o010644],
    ['a character device', 0o020644],
    ['a block device', 0o060644],
    ['a socket', 0o140644],
  ].map(([what, mode]): Hostile => ({
    name: `${what as string} (made on macOS)`,
    bytes: () =>
      withEntry({ name: 'lib/special', data: '', madeBy: 19, externalAttributes: (mode as number) << 16 }),
    code: 'nupkg_entry_not_a_file',
    message: /is a special file \(Unix file type 0o\d+\)/,
  })),
  {
    name: "a Unix folder whose name does not end with '/'",
    bytes: () => withEntry({ name: 'lib/folder', data: '', madeBy: 3, externalAttributes: 0o040755 << 16 }),
    code: 'nupkg_entry_not_a_file',
    message: /is a folder whose name does not end with '\/'/,
  },
  {
    name: 'a folder entry holding data',
    bytes: () => withEntry({ name: 'lib/', data: 'hidden' }),
    code: 'nupkg_folder_entry_with_data',
    message: /'lib\/' is a folder but holds 6 bytes of data/,
  },
];

/** Where the data of the second entry of withEntry() starts: after the nuspec's record and its own header. */
const secondDataOffset = (name: string): number => localRecordOf(nuspecEntry()).length + 30 + name.length;
const inner: RawZipEntry = { name: 'lib/inner.bin', method: 0, data: 'inner payload' };

// Archives whose two directories disagree, or that hold bytes no record accounts for (zip-layout.ts).
const ambiguous: Hostile[] = [
  {
    name: "a local header naming '../../evil.dll' for a central 'lib/a.dll'",
    bytes: () => withEntry({ name: 'lib/a.dll', data: 'x', local: { name: '../../evil.dll' } }),
    code: 'nupkg_local_header_mismatch',
    message: /local header of entry 'lib\/a\.dll' gives another name \('\.\.\/\.\.\/evil\.dll'\)/,
  },
  {
    name: 'a local header with another compression method',
    bytes: () => withEntry({ name: 'lib/a.dll', data: 'x', method: 8, local: { method: 0 } }),
    code: 'nupkg_local_header_mismatch',
    message: /another compression method \(0\) than the central directory \(8\)/,
  },
  {
    name: 'a local header that says encrypted',
    bytes: () => withEntry({ name: 'lib/a.dll', data: 'x', local: { flags: 0x0801 } }),
    code: 'nupkg_local_header_mismatch',
    message: /another flags \(0x801\) than the central directory \(0x800\)/,
  },
  {
    name: 'a local header with another CRC-32',
    bytes: () => withEntry({ name: 'lib/a.dll', data: 'x', local: { crc32: 7 } }),
    code: 'nupkg_local_header_mismatch',
    message: /another CRC-32/,
  },
  {
    name: 'a local header with another uncompressed size',
    bytes: () => withEntry({ name: 'lib/a.dll', data: 'x', local: { uncompressedSize: 5000 } }),
    code: 'nupkg_local_header_mismatch',
    message: /another uncompressed size \(5000\) than the central directory \(1\)/,
  },
  {
    name: 'a local header with another compressed size',
    bytes: () => withEntry({ name: 'lib/a.dll', data: 'x', method: 0, local: { compressedSize: 0 } }),
    code: 'nupkg_local_header_mismatch',
    message: /another compressed size/,
  },
  {
    name: 'a data descriptor that disagrees with the central directory',
    bytes: () =>
      withEntry({ name: 'lib/a.dll', data: 'xyz', dataDescriptor: { signature: true, uncompressedSize: 9 } }),
    code: 'nupkg_local_header_mismatch',
    message: /data descriptor after entry 'lib\/a\.dll' does not give the CRC-32 and sizes/,
  },
  {
    name: 'the central directory pointing at no local header',
    bytes: () => buildRawZip([nuspecEntry(), { name: 'lib/a.dll', data: 'x', localOffset: 3 }]),
    code: 'nupkg_local_header_mismatch',
    message: /puts entry 'lib\/a\.dll' at offset 3, where there is no local header/,
  },
  {
    name: 'an entry hidden inside the data of another (overlapping entries)',
    bytes: () =>
      buildRawZip([
        nuspecEntry(),
        { name: 'lib/outer.bin', method: 0, data: localRecordOf(inner) },
        { ...inner, localOffset: secondDataOffset('lib/outer.bin') },
      ]),
    code: 'nupkg_overlapping_entries',
    message:
      /entry 'lib\/inner\.bin' \(bytes \d+ to \d+\) overlaps entry 'lib\/outer\.bin'.*must not share bytes/,
  },
  {
    name: 'a compressed size that runs into the central directory',
    bytes: () =>
      withEntry({
        name: 'lib/a.dll',
        method: 0,
        data: 'x',
        declaredCompressedSize: 40,
        declaredUncompressedSize: 40,
      }),
    code: 'nupkg_overlapping_entries',
    message: /the central directory .*overlaps entry 'lib\/a\.dll'/,
  },
  {
    name: 'a compressed size past the end of the file',
    bytes: () =>
      withEntry({
        name: 'lib/a.dll',
        method: 0,
        data: 'x',
        declaredCompressedSize: 100_000,
        declaredUncompressedSize: 100_000,
      }),
    code: 'nupkg_truncated',
    message: /entry 'lib\/a\.dll' runs to byte \d+, past the end of the file/,
  },
  {
    name: 'bytes before the first local header',
    bytes: () => buildRawZip([{ ...nuspecEntry(), before: Buffer.from('MZ this is not a zip record') }]),
    code: 'nupkg_unexpected_bytes',
    message: /bytes 0 to 27 at its start belong to no entry/,
  },
  {
    name: 'bytes between two entries',
    bytes: () => withEntry({ name: 'lib/a.dll', data: 'x', before: Buffer.from('hidden') }),
    code: 'nupkg_unexpected_bytes',
    message: /after entry 'Hostile\.Package\.nuspec' belong to no entry/,
  },
  {
    name: 'a whole archive between the last entry and the central directory',
    bytes: () =>
      buildRawZip([nuspecEntry()], {
        beforeCentralDirectory: buildRawZip([{ name: 'Other.nuspec', data: minimalNuspec('Other') }]),
      }),
    code: 'nupkg_unexpected_bytes',
    message: /belong to no entry/,
  },
  {
    name: 'an archive comment holding zip records',
    bytes: () =>
      buildRawZip([nuspecEntry()], {
        comment: Buffer.concat([Buffer.from('look: '), localRecordOf({ name: 'Other.nuspec', data: 'x' })]),
      }),
    code: 'nupkg_archive_comment',
    message: /comment holds zip records/,
  },
  {
    name: 'a zip64 end record that counts other entries than the end record',
    bytes: () => withEntry({ name: 'lib/a.dll', data: 'x' }),
    code: 'nupkg_end_record_mismatch',
    message: /zip64 end record \(1 entries.*and its end record \(2 entries/,
  },
  {
    name: 'a zip64 end record whose central directory size is not that of its records',
    bytes: () =>
      buildRawZip([nuspecEntry()], { zip64End: { maskEndRecord: true, centralDirectorySize: 500 } }),
    code: 'nupkg_end_record_mismatch',
    message: /central directory is 500 bytes long but its 1 records take \d+/,
  },
];
// The zip64 case above needs its option: kept out of withEntry so the row reads like the others.
const zip64Row = ambiguous.find((row) => row.name.startsWith('a zip64 end record that counts'));
if (zip64Row) {
  zip64Row.bytes = () =>
    buildRawZip([nuspecEntry(), { name: 'lib/a.dll', data: 'x' }], { zip64End: { entryCount: 1 } });
}
hostile.push(...unextractable, ...ambiguous);

describe('readNupkg reads archives that are unusual but unambiguous', () => {
  const readsAs = async (bytes: Buffer, names: string[]) => {
    // From the file, and from the bytes a push kept in memory (the same checks): the same answer.
    const path = await fileOf(bytes);
    for (const nupkg of [await readNupkg(path), await readNupkg(path, undefined, bytes)]) {
      assert.deepEqual(
        nupkg.entries.map((entry) => entry.name),
        names,
      );
      assert.equal(nupkg.nuspec.id, 'Hostile.Package');
    }
  };

  test('data descriptors, with and without their signature', async () => {
    await readsAs(
      buildRawZip([
        nuspecEntry({ dataDescriptor: { signature: true } }),
        { name: 'lib/a.dll', data: 'a', dataDescriptor: { signature: false } },
        { name: 'lib/b.dll', data: 'b', method: 0, dataDescriptor: { signature: true } },
      ]),
      ['Hostile.Package.nuspec', 'lib/a.dll', 'lib/b.dll'],
    );
  });

  test('zip64 sizes in extra fields, and a zip64 end record the end record defers to', async () => {
    await readsAs(
      buildRawZip([nuspecEntry({ zip64: true }), { name: 'lib/a.dll', data: 'a', zip64: true }], {
        zip64End: { maskEndRecord: true },
      }),
      ['Hostile.Package.nuspec', 'lib/a.dll'],
    );
  });

  test('a zip64 end record that agrees with an end record that does not defer to it', async () => {
    await readsAs(buildRawZip([nuspecEntry()], { zip64End: {} }), ['Hostile.Package.nuspec']);
  });

  test('Unix modes of regular files and folders, a comment, percent-encoded and dotted names', async () => {
    await readsAs(
      buildRawZip(
        [
          nuspecEntry({ madeBy: 3, externalAttributes: 0o100644 << 16 }),
          { name: 'lib/', data: '', madeBy: 3, externalAttributes: 0o040755 << 16 },
          { name: 'lib/net8.0/My%20Library.dll', data: 'x', madeBy: 19, externalAttributes: 0o100755 << 16 },
          { name: 'content/./readme.txt', data: 'x' },
          { name: 'content/a.b.c.txt', data: 'x' },
          { name: 'content/console.txt', data: 'x' },
        ],
        { comment: 'packed by hand' },
      ),
      [
        'Hostile.Package.nuspec',
        'lib/',
        'lib/net8.0/My%20Library.dll',
        'content/./readme.txt',
        'content/a.b.c.txt',
        'content/console.txt',
      ],
    );
  });
});

describe('readNupkg refuses hostile archives, each with its own code', () => {
  for (const item of hostile) {
    test(`${item.name} -> ${item.code}`, async () => {
      const bytes = Buffer.from(await item.bytes());
      const path = await fileOf(bytes);
      // Read from the file, and from the bytes a small push keeps in memory while it is received.
      for (const inMemory of [undefined, bytes]) {
        await assert.rejects(readNupkg(path, item.limits, inMemory), (error: unknown) => {
          assert.ok(isNuggetError(error), `expected a NuggetError, got ${String(error)}`);
          assert.equal(error.code, item.code, `${inMemory ? 'in memory' : 'file'}: ${error.message}`);
          assert.equal(error.kind, item.kind ?? 'InvalidInput');
          assert.match(error.message, item.message);
          return true;
        });
      }
    });
  }

  test('a missing file is not the package’s fault: ENOENT passes through', async () => {
    await assert.rejects(readNupkg(join(directory, 'does-not-exist.nupkg')), { code: 'ENOENT' });
  });

  test('no file descriptor is left open, whatever the outcome', async () => {
    const openFds = async () => (await readdir('/proc/self/fd')).length;
    const good = await fileOf(await goodPackage());
    const paths = [good, ...(await Promise.all(hostile.map(async (item) => fileOf(await item.bytes()))))];
    const before = await openFds();
    for (let round = 0; round < 3; round++) {
      for (const [index, path] of paths.entries()) {
        await readNupkg(path, index === 0 ? undefined : hostile[index - 1]?.limits).catch(() => undefined);
      }
    }
    assert.equal(await openFds(), before);
  });
});
