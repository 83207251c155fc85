// Hostile input, one place for all of it: every case is built in code, sent over HTTP, and must get a 4xx (never a
// 5xx: the NuGet client retries those, ../../../shared/notes/client-behaviour.md §3.1) whose JSON message says what
// is wrong in words a person can act on. Afterwards NOTHING may be left of it: no blob, no temporary file, no
// package, catalog, search or symbol row; and the server must still answer. Other test files check many of these
// refusals one by one; this suite is the one that checks "no trace" for all of them.
// The zip and XML attacks follow ../../../shared/notes/dependencies.md sections 4 and 5.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  buildNupkg,
  buildNuspecXml,
  nupkgEntries,
  type NupkgSpec,
  zipEntries,
} from '../fixtures/build-nupkg.ts';
import { buildPe, buildPortablePdb } from '../fixtures/build-symbols.ts';
import {
  buildRawZip,
  localRecordOf,
  minimalNuspec,
  type RawZipEntry,
  unicodePathExtra,
} from '../fixtures/raw-zip.ts';
import {
  multipartBody,
  parseJson,
  type Response,
  startFeed,
  type TestFeed,
  testApiKey,
} from './feed-fixture.ts';

/** Small enough that the size cases stay quick; large enough for every other case (the biggest is ~600 KB). */
const maxPackageSize = 2 * 1024 * 1024;

/** What a case's answer is reduced to: inject() and raw-socket answers alike. */
interface Answer {
  readonly what: string;
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string;
}

interface HostileCase {
  readonly name: string;
  /** The status (or statuses) allowed; every one is a 4xx. */
  readonly status: number | readonly number[];
  /** What the JSON error message must say, so that a person knows what to fix. */
  readonly message: RegExp;
  /** The error code the answer must carry, where one is fixed. */
  readonly code?: string;
  send(feed: TestFeed): Promise<Answer | Answer[]>;
}

const fromInject = (what: string, response: Response): Answer => ({
  what,
  statusCode: response.statusCode,
  contentType: String(response.headers['content-type'] ?? ''),
  body: (response.headers['content-encoding'] === 'gzip'
    ? Buffer.from(JSON.stringify(parseJson(response)))
    : response.rawPayload
  ).toString('utf8'),
});

const key = { 'x-nuget-apikey': testApiKey };

// ------------------------------------------------------------------------------------------------------------
// Building blocks.

const push = async (feed: TestFeed, body: Buffer | Promise<Buffer>, raw = false): Promise<Answer> =>
  fromInject('PUT /v3/package', await feed.push(await body, { raw }));

/** A hand-made zip: a valid root nuspec plus the given entries (names and sizes yazl would refuse). */
const rawNupkg = (entries: RawZipEntry[], id = 'Hostile.Raw'): Buffer =>
  buildRawZip([{ name: `${id}.nuspec`, data: minimalNuspec(id) }, ...entries]);

/** A nupkg whose nuspec is `nuspec` (bytes or text) and otherwise as `dotnet pack` lays it out. */
const withNuspec = (nuspec: string | Buffer, id = 'Hostile.Xml'): Promise<Buffer> =>
  zipEntries(
    nupkgEntries({ id, version: '1.0.0' }).map((entry) =>
      entry.name === `${id}.nuspec` ? { ...entry, content: nuspec } : entry,
    ),
  );

/** A nuspec in which `metadata` replaces the standard <metadata> children. */
const nuspecWithMetadata = (metadata: string): string =>
  `<?xml version="1.0" encoding="utf-8"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">` +
  `<metadata>${metadata}</metadata></package>`;

const standardMetadata = (id: string, version: string) =>
  `<id>${id}</id><version>${version}</version><authors>a</authors><description>d</description>`;

const nupkgWith = (spec: NupkgSpec, nameAs?: string): Promise<Buffer> =>
  buildNupkg({ ...spec, ...(nameAs ? { nuspecName: nameAs } : {}) });

/** The nupkg of `id` with a real PE image whose CodeView entry names `guid`, so symbol pushes can be checked. */
const nupkgWithAssembly = (id: string, version: string, guid: string): Promise<Buffer> =>
  zipEntries(
    nupkgEntries({ id, version }).map((entry) =>
      entry.name === `lib/netstandard2.0/${id}.dll`
        ? { ...entry, content: buildPe({ codeView: [{ guid, stamp: 7 }] }) }
        : entry,
    ),
  );

/** A .snupkg as `dotnet pack` writes it: a SymbolsPackage type, PDBs beside where the DLLs are. */
function buildSnupkg(id: string, version: string, files: { path: string; content: Buffer }[], type = true) {
  const types = type ? '<packageTypes><packageType name="SymbolsPackage" /></packageTypes>' : '';
  return zipEntries([
    { name: '_rels/.rels', content: '<Relationships />' },
    {
      name: `${id}.nuspec`,
      content: nuspecWithMetadata(
        `<id>${id}</id><version>${version}</version><description>s</description>${types}`,
      ),
    },
    ...files.map((file) => ({ name: file.path, content: file.content })),
    { name: '[Content_Types].xml', content: '<Types />' },
  ]);
}

const pushSymbols = async (feed: TestFeed, snupkg: Buffer | Promise<Buffer>): Promise<Answer> =>
  fromInject('PUT /v3/symbol-package', await feed.pushSymbols(await snupkg));

const putMultipart = async (feed: TestFeed, contentType: string, body: Buffer): Promise<Answer> =>
  fromInject(
    `PUT /v3/package (${contentType})`,
    await feed.request('PUT', '/v3/package', { headers: { ...key, 'content-type': contentType }, body }),
  );

/** Each path sent byte for byte over a socket: inject() would resolve `..` and `%2e%2e` first. */
async function rawGets(feed: TestFeed, method: string, paths: readonly string[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  // The deprecation API gets a valid body, so that only the id and version in its path are hostile.
  const body = method === 'PUT' ? Buffer.from('{"reasons":["Legacy"]}') : undefined;
  const headers = body ? { ...key, 'content-type': 'application/json' } : key;
  for (const path of paths) {
    const response = await feed.rawRequest(method, path, { headers, ...(body ? { body } : {}) });
    answers.push({
      what: `${method} ${path}`,
      statusCode: response.statusCode,
      contentType: String(response.headers['content-type'] ?? ''),
      body: response.body.toString('utf8'),
    });
  }
  return answers;
}

/** Hostile path segments: dot segments, encoded slashes and backslashes, double encoding, NUL. */
const traversals = [
  '..',
  '%2e%2e',
  '.%2E',
  '%2f',
  '%2F..%2F..%2Fnugget.db',
  '..%2f..%2fnugget.db',
  '..%5c..%5cnugget.db',
  '%252e%252e%252fnugget.db',
  'hostile.base%2f1.0.0',
  'a%00b',
];

const traversalPaths = (template: string): string[] =>
  traversals.map((segment) => template.replaceAll('X', segment));

/** A 404/400 for a path with a hostile id or version names what was not found or what is wrong with it. */
const notFoundMessage =
  /There is no|has no (file|registration page|symbol file)|Nothing is served at|not a valid|is not|must|numeric parts?\b|holds a control character/;

const query = async (feed: TestFeed, url: string): Promise<Answer> =>
  fromInject(`GET ${url}`, await feed.get(url));

// ------------------------------------------------------------------------------------------------------------
// The cases.

const cases: HostileCase[] = [
  // Not a package at all.
  {
    name: 'not a zip (text)',
    status: 400,
    message: /not a valid zip archive/,
    send: (feed) => push(feed, Buffer.from('this is not a zip file, only some text')),
  },
  {
    name: 'not a zip (a PNG named .nupkg)',
    status: 400,
    message: /not a valid zip archive/,
    send: (feed) => push(feed, Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(500)])),
  },
  {
    name: 'truncated zip (the first 200 bytes)',
    status: 400,
    message: /truncated/,
    send: async (feed) =>
      push(feed, (await buildNupkg({ id: 'Hostile.Cut', version: '1.0.0' })).subarray(0, 200)),
  },
  {
    name: 'truncated zip (the end of its central directory cut off)',
    status: 400,
    message: /truncated|not a valid zip/,
    send: async (feed) =>
      push(feed, (await buildNupkg({ id: 'Hostile.Cut', version: '1.0.0' })).subarray(0, -10)),
  },
  {
    name: 'empty body (multipart file part of 0 bytes)',
    status: 400,
    message: /empty \(0 bytes\)/,
    send: (feed) => push(feed, Buffer.alloc(0)),
  },
  {
    name: 'empty body (raw application/octet-stream)',
    status: 400,
    message: /empty \(0 bytes\)/,
    send: (feed) => push(feed, Buffer.alloc(0), true),
  },
  {
    name: 'multipart without a file part',
    status: 400,
    message: /no file part.*send the \.nupkg/,
    send: (feed) =>
      putMultipart(
        feed,
        'multipart/form-data; boundary="b"',
        Buffer.from('--b\r\nContent-Disposition: form-data; name=comment\r\n\r\nhello\r\n--b--\r\n'),
      ),
  },
  {
    name: 'multipart with no parts at all',
    status: 400,
    message: /file part|multipart/,
    send: (feed) => putMultipart(feed, 'multipart/form-data; boundary="b"', Buffer.from('--b--\r\n')),
  },
  {
    name: 'multipart cut off inside the file part',
    status: 400,
    message: /multipart|could not be read|truncated|not a valid zip/,
    send: async (feed) =>
      putMultipart(
        feed,
        'multipart/form-data; boundary="b"',
        multipartBody(await buildNupkg({ id: 'Hostile.Cut', version: '1.0.0' }), 'b').subarray(0, 400),
      ),
  },
  {
    name: 'a push body that is JSON, not a package',
    status: [400, 415],
    message: /multipart\/form-data/,
    send: (feed) => putMultipart(feed, 'application/json', Buffer.from('{"package": "no"}')),
  },

  // Zip bombs and other archive tricks.
  {
    name: 'zip bomb by ratio (2 MB of zeros in 2 KB)',
    status: 400,
    message: /inflates \d+ times its compressed size.*zip bomb/,
    send: (feed) => push(feed, rawNupkg([{ name: 'bomb.bin', data: Buffer.alloc(2 * 1024 * 1024) }])),
  },
  {
    name: 'zip bomb by declared size (two entries declaring 3.75 GB each)',
    status: 413,
    message: /declares more than \d+ bytes once extracted/,
    send: (feed) =>
      push(
        feed,
        rawNupkg(
          ['a.bin', 'b.bin'].map((name) => ({
            name,
            data: 'x',
            method: 0,
            declaredUncompressedSize: 0xf0000000,
            declaredCompressedSize: 0xf0000000,
          })),
        ),
      ),
  },
  {
    name: 'huge entry count (the directory claims 65,535 entries)',
    status: 413,
    message: /65535 entries; at most 65534 are allowed/,
    send: (feed) =>
      push(
        feed,
        buildRawZip([{ name: 'Hostile.Many.nuspec', data: minimalNuspec('Hostile.Many') }], {
          declaredEntryCount: 65_535,
        }),
      ),
  },
  {
    name: "an entry named '../../evil.txt'",
    status: 400,
    message: /climbs out of the package with '\.\.'/,
    send: (feed) => push(feed, rawNupkg([{ name: '../../evil.txt', data: 'x' }])),
  },
  {
    name: "an entry named '%2e%2e/evil.txt' (dots percent-encoded, as NuGet decodes them)",
    status: 400,
    message: /climbs out of the package/,
    send: (feed) => push(feed, rawNupkg([{ name: 'lib/%2e%2e/%2e%2e/evil.txt', data: 'x' }])),
  },
  {
    name: "an absolute entry name '/etc/cron.d/evil'",
    status: 400,
    message: /absolute path/,
    send: (feed) => push(feed, rawNupkg([{ name: '/etc/cron.d/evil', data: 'x' }])),
  },
  {
    name: "a drive-letter entry name 'C:/Windows/evil.dll'",
    status: 400,
    message: /absolute path/,
    send: (feed) => push(feed, rawNupkg([{ name: 'C:/Windows/evil.dll', data: 'x' }])),
  },
  {
    name: 'an entry name with backslashes',
    status: 400,
    message: /backslash.*must use '\/'/,
    send: (feed) => push(feed, rawNupkg([{ name: 'lib\\..\\..\\evil.dll', data: 'x' }])),
  },
  {
    name: 'two entries whose names differ only in case',
    status: 400,
    message: /two entries with the same name/,
    send: (feed) =>
      push(
        feed,
        rawNupkg([
          { name: 'lib/a.txt', data: 'x' },
          { name: 'LIB/A.TXT', data: 'y' },
        ]),
      ),
  },
  {
    name: 'an encrypted entry',
    status: 400,
    message: /encrypted/,
    send: (feed) => push(feed, rawNupkg([{ name: 'secret.bin', data: 'x', flags: 0x0801 }])),
  },
  {
    name: 'an entry compressed with an unsupported method (LZMA)',
    status: 400,
    message: /compression method 14; only stored \(0\) and deflate \(8\)/,
    send: (feed) => push(feed, rawNupkg([{ name: 'lzma.bin', data: 'x', method: 14 }])),
  },
  {
    name: 'a nuspec whose CRC-32 is wrong',
    status: 400,
    message: /checksum.*does not match/,
    send: (feed) =>
      push(
        feed,
        buildRawZip([{ name: 'Hostile.Crc.nuspec', data: minimalNuspec('Hostile.Crc'), crc32: 1234 }]),
      ),
  },
  {
    name: 'a nuspec that lies about its size',
    status: 400,
    message: /does not match its declared size|corrupt/,
    send: (feed) =>
      push(
        feed,
        buildRawZip([
          { name: 'Hostile.Lie.nuspec', data: minimalNuspec('Hostile.Lie'), declaredUncompressedSize: 3 },
        ]),
      ),
  },

  // Where the nuspec is, and how many.
  {
    name: 'two nuspecs at the root',
    status: 400,
    message: /2 \.nuspec files at its root.*exactly one/,
    send: (feed) => push(feed, rawNupkg([{ name: 'second.nuspec', data: minimalNuspec('Hostile.Second') }])),
  },
  {
    name: 'the nuspec not at the root',
    status: 400,
    message: /is in a folder; it must be at the root/,
    send: (feed) =>
      push(feed, buildRawZip([{ name: 'content/Hostile.Deep.nuspec', data: minimalNuspec('Hostile.Deep') }])),
  },
  {
    name: 'no nuspec at all',
    status: 400,
    message: /no \.nuspec file at its root/,
    send: async (feed) => push(feed, zipEntries([{ name: 'lib/netstandard2.0/a.dll', content: 'x' }])),
  },

  // XML attacks on the nuspec.
  {
    name: 'DOCTYPE with an external entity (XXE)',
    status: 400,
    message: /<!DOCTYPE> declaration.*DTDs are not allowed/,
    send: (feed) =>
      push(
        feed,
        withNuspec(
          '<?xml version="1.0"?><!DOCTYPE package [<!ENTITY x SYSTEM "file:///etc/passwd">]>' +
            nuspecWithMetadata(
              '<id>Hostile.Xml</id><version>1.0.0</version><authors>a</authors><description>&x;</description>',
            ).replace(/^<\?xml[^>]*\?>/, ''),
        ),
      ),
  },
  {
    name: 'billion laughs (nested entity expansion)',
    status: 400,
    message: /<!DOCTYPE> declaration/,
    send: (feed) => {
      const entities = ['<!ENTITY l0 "ha">'];
      for (let i = 1; i <= 9; i++) entities.push(`<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`);
      return push(
        feed,
        withNuspec(
          `<?xml version="1.0"?><!DOCTYPE package [${entities.join('')}]>` +
            nuspecWithMetadata(
              '<id>Hostile.Xml</id><version>1.0.0</version><authors>a</authors><description>&l9;</description>',
            ).replace(/^<\?xml[^>]*\?>/, ''),
        ),
      );
    },
  },
  {
    name: 'deep nesting (5,000 levels)',
    status: 400,
    message: /nests elements deeper than 32 levels/,
    send: (feed) =>
      push(
        feed,
        withNuspec(
          nuspecWithMetadata(
            `${standardMetadata('Hostile.Xml', '1.0.0')}<tags>${'<x>'.repeat(5000)}${'</x>'.repeat(5000)}</tags>`,
          ),
        ),
      ),
  },
  {
    name: 'invalid UTF-8 in the nuspec',
    status: 400,
    message: /not valid UTF-8 text; save it as UTF-8/,
    send: (feed) =>
      push(
        feed,
        withNuspec(
          Buffer.concat([
            Buffer.from(
              nuspecWithMetadata(standardMetadata('Hostile.Xml', '1.0.0')).replace(
                '<description>d',
                '<description>',
              ),
            ),
            Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
          ]),
        ),
      ),
  },
  {
    name: 'oversized nuspec (1.2 MB)',
    status: 400,
    message: /nuspec.*is too large: \d+ bytes > 1048576 bytes/,
    send: (feed) =>
      push(
        feed,
        withNuspec(
          nuspecWithMetadata(
            `${standardMetadata('Hostile.Xml', '1.0.0')}<releaseNotes>${randomBytes(600 * 1024).toString('hex')}</releaseNotes>`,
          ),
        ),
      ),
  },
  {
    name: 'malformed XML (unclosed elements)',
    status: 400,
    message: /not well-formed XML/,
    send: (feed) => push(feed, withNuspec('<package><metadata><id>Hostile.Xml</id>')),
  },

  // The nuspec's own rules.
  {
    name: 'missing <id>',
    status: 400,
    message: /<id>/,
    send: (feed) =>
      push(
        feed,
        withNuspec(
          nuspecWithMetadata('<version>1.0.0</version><authors>a</authors><description>d</description>'),
        ),
      ),
  },
  {
    name: 'missing <version>',
    status: 400,
    message: /<version>/,
    send: (feed) =>
      push(
        feed,
        withNuspec(
          nuspecWithMetadata('<id>Hostile.Xml</id><authors>a</authors><description>d</description>'),
        ),
      ),
  },
  {
    name: 'bad id characters',
    status: 400,
    message: /\bid\b/i,
    send: (feed) =>
      push(feed, withNuspec(nuspecWithMetadata(standardMetadata('Bad Id!&lt;script&gt;', '1.0.0')))),
  },
  {
    name: "an id that is a path ('../../etc')",
    status: 400,
    message: /\bid\b/i,
    send: (feed) => push(feed, withNuspec(nuspecWithMetadata(standardMetadata('../../etc', '1.0.0')))),
  },
  {
    name: 'an id of 101 characters',
    status: 400,
    message: /100 characters/,
    send: (feed) => push(feed, nupkgWith({ id: `A${'b'.repeat(100)}`, version: '1.0.0' }, 'long.nuspec')),
  },
  {
    name: "a version that is no version ('one.two')",
    status: 400,
    message: /version/i,
    send: (feed) => push(feed, nupkgWith({ id: 'Hostile.Version', version: 'one.two' })),
  },
  {
    name: "a version range as the package version ('[1.0,2.0)')",
    status: 400,
    message: /version/i,
    send: (feed) => push(feed, nupkgWith({ id: 'Hostile.Version', version: '[1.0,2.0)' })),
  },
  {
    name: 'a version with five parts and a leading zero label',
    status: 400,
    message: /version/i,
    send: (feed) => push(feed, nupkgWith({ id: 'Hostile.Version', version: '1.2.3.4.5-01' })),
  },
  {
    name: "a dependency with a bad version range ('[2.0,1.0]')",
    status: 400,
    message: /range|version/i,
    send: (feed) =>
      push(
        feed,
        nupkgWith({
          id: 'Hostile.Range',
          version: '1.0.0',
          dependencyGroups: [{ dependencies: [{ id: 'Other', range: '[2.0,1.0]' }] }],
        }),
      ),
  },
  {
    name: "a dependency range that is not a range ('banana')",
    status: 400,
    message: /range|version/i,
    send: (feed) =>
      push(
        feed,
        nupkgWith({
          id: 'Hostile.Range',
          version: '1.0.0',
          dependencyGroups: [{ dependencies: [{ id: 'Other', range: 'banana' }] }],
        }),
      ),
  },
  {
    name: 'a readme named in the nuspec but missing',
    status: 400,
    message: /names readme 'docs\/README.md' but the package has no such file/,
    send: (feed) =>
      push(
        feed,
        withNuspec(
          buildNuspecXml({
            id: 'Hostile.Xml',
            version: '1.0.0',
            readme: { path: 'docs/README.md', content: '' },
          }),
        ),
      ),
  },
  {
    name: 'an icon named in the nuspec but missing',
    status: 400,
    message: /names icon 'icon.png' but the package has no such file/,
    send: (feed) =>
      push(
        feed,
        withNuspec(
          buildNuspecXml({
            id: 'Hostile.Xml',
            version: '1.0.0',
            icon: { path: 'icon.png', bytes: new Uint8Array() },
          }),
        ),
      ),
  },
  {
    name: 'a license file named in the nuspec but missing',
    status: 400,
    message: /names license file 'LICENSE.txt' but the package has no such file/,
    send: (feed) =>
      push(
        feed,
        withNuspec(
          buildNuspecXml({
            id: 'Hostile.Xml',
            version: '1.0.0',
            licenseFile: { path: 'LICENSE.txt', content: '' },
          }),
        ),
      ),
  },

  // Size limit.
  {
    name: 'a package over the size limit (multipart, chunked)',
    status: 413,
    message: /larger than this feed's limit of 2 MB \(--max-package-size\)/,
    send: (feed) =>
      push(
        feed,
        nupkgWith({
          id: 'Hostile.Big',
          version: '1.0.0',
          files: [{ path: 'noise.bin', content: randomBytes(3 * 1024 * 1024) }],
        }),
      ),
  },
  {
    name: 'a Content-Length over the size limit (raw body, refused before it is read)',
    status: 413,
    message: /larger than this feed's limit/,
    send: async (feed) => {
      const response = await feed.rawRequest('PUT', '/v3/package', {
        headers: {
          ...key,
          'content-type': 'application/octet-stream',
          'content-length': String(64 * 1024 * 1024),
        },
        body: Buffer.alloc(0),
      });
      return {
        what: 'PUT /v3/package with Content-Length 64 MB',
        statusCode: response.statusCode,
        contentType: String(response.headers['content-type'] ?? ''),
        body: response.body.toString('utf8'),
      };
    },
  },

  // Entry names no client can extract (or extracts under another name on some OS): every restore would fail.
  ...(
    [
      ['a NUL in an entry name', 'lib/net8.0/a\u0000b.dll', 'nupkg_entry_name_invalid_character', /U\+0000/],
      ['a newline in an entry name', 'content/a\nb.txt', 'nupkg_entry_name_invalid_character', /U\+000A/],
      [
        'a percent-encoded NUL in an entry name',
        'lib/a%00.dll',
        'nupkg_entry_name_invalid_character',
        /U\+0000/,
      ],
      ["'<' in an entry name", 'content/<b>.txt', 'nupkg_entry_name_invalid_character', /'<'/],
      [
        "a ':' (an NTFS stream) in an entry name",
        'lib/a.dll:hidden',
        'nupkg_entry_name_invalid_character',
        /':'/,
      ],
      [
        'a trailing dot in an entry name',
        'lib/net8.0/a.dll.',
        'nupkg_entry_name_trailing_dot_or_space',
        /dot/,
      ],
      [
        'a Windows device name as an entry name',
        'content/aux.txt',
        'nupkg_entry_name_reserved',
        /device name/,
      ],
      ['an entry name of 300 bytes', `lib/${'x'.repeat(296)}.dll`, 'nupkg_entry_name_too_long', /300 bytes/],
    ] as const
  ).map(([name, entryName, code, detail]): HostileCase => ({
    name,
    status: 400,
    code,
    message: new RegExp(`the package has an entry .*${detail.source}.*: '`),
    send: (feed) => push(feed, rawNupkg([{ name: entryName, data: 'x' }])),
  })),
  {
    name: 'an entry name that is not UTF-8 but not flagged so (readers decode it differently)',
    status: 400,
    code: 'nupkg_entry_name_encoding',
    message: /not ASCII and not marked as UTF-8/,
    send: (feed) =>
      push(
        feed,
        rawNupkg([{ name: 'x', rawName: Buffer.from('lib/\x8e.dll', 'latin1'), flags: 0, data: 'x' }]),
      ),
  },
  {
    name: 'an Info-ZIP Unicode Path field that names a second nuspec',
    status: 400,
    code: 'nupkg_entry_name_encoding',
    message: /Unicode Path field names it 'Other\.nuspec'/,
    send: (feed) =>
      push(
        feed,
        rawNupkg([
          { name: 'lib/a.dll', data: 'x', centralExtra: unicodePathExtra('lib/a.dll', 'Other.nuspec') },
        ]),
      ),
  },
  {
    name: 'a file where another entry needs a folder',
    status: 400,
    code: 'nupkg_entry_path_conflict',
    message: /a file 'lib\/net8\.0' where entry 'lib\/net8\.0\/a\.dll' needs a folder/,
    send: (feed) =>
      push(
        feed,
        rawNupkg([
          { name: 'lib/net8.0', data: 'x' },
          { name: 'lib/net8.0/a.dll', data: 'y' },
        ]),
      ),
  },

  // Archives whose two directories disagree, or with bytes no record accounts for.
  {
    name: "a local header that names '../../evil.dll' for a harmless central name",
    status: 400,
    code: 'nupkg_local_header_mismatch',
    message: /local header of entry 'lib\/a\.dll' gives another name \('\.\.\/\.\.\/evil\.dll'\)/,
    send: (feed) =>
      push(feed, rawNupkg([{ name: 'lib/a.dll', data: 'x', local: { name: '../../evil.dll' } }])),
  },
  {
    name: 'a local header with another compression method',
    status: 400,
    code: 'nupkg_local_header_mismatch',
    message: /another compression method/,
    send: (feed) => push(feed, rawNupkg([{ name: 'lib/a.dll', data: 'x', local: { method: 0 } }])),
  },
  {
    name: 'an entry hidden in the data of another (overlapping entries)',
    status: 400,
    code: 'nupkg_overlapping_entries',
    message: /overlaps entry 'lib\/outer\.bin'/,
    send: (feed) => {
      const nuspec: RawZipEntry = { name: 'Hostile.Raw.nuspec', data: minimalNuspec('Hostile.Raw') };
      const inner: RawZipEntry = { name: 'lib/inner.bin', method: 0, data: 'x'.repeat(1000) };
      const outerName = 'lib/outer.bin';
      return push(
        feed,
        buildRawZip([
          nuspec,
          { name: outerName, method: 0, data: localRecordOf(inner) },
          { ...inner, localOffset: localRecordOf(nuspec).length + 30 + outerName.length },
        ]),
      );
    },
  },
  {
    name: 'a symbolic link entry',
    status: 400,
    code: 'nupkg_entry_not_a_file',
    message: /is a symbolic link; packages may hold only files and folders/,
    send: (feed) =>
      push(
        feed,
        rawNupkg([{ name: 'lib/link', data: '/etc/shadow', madeBy: 3, externalAttributes: 0o120777 << 16 }]),
      ),
  },
  {
    name: 'bytes before the first local header (a polyglot)',
    status: 400,
    code: 'nupkg_unexpected_bytes',
    message: /at its start belong to no entry/,
    send: (feed) =>
      push(
        feed,
        buildRawZip([
          {
            name: 'Hostile.Raw.nuspec',
            data: minimalNuspec('Hostile.Raw'),
            before: Buffer.from('<html>hi</html>'),
          },
        ]),
      ),
  },
  {
    name: 'an archive comment that hides another archive',
    status: 400,
    code: 'nupkg_archive_comment',
    message: /comment holds zip records/,
    send: (feed) =>
      push(
        feed,
        buildRawZip([{ name: 'Hostile.Raw.nuspec', data: minimalNuspec('Hostile.Raw') }], {
          comment: buildRawZip([{ name: 'Other.nuspec', data: minimalNuspec('Other') }]).subarray(0, -22),
        }),
      ),
  },
  {
    name: 'a zip64 end record that disagrees with the end record',
    status: 400,
    code: 'nupkg_end_record_mismatch',
    message: /describe different archives/,
    send: (feed) =>
      push(
        feed,
        buildRawZip(
          [
            { name: 'Hostile.Raw.nuspec', data: minimalNuspec('Hostile.Raw') },
            { name: 'lib/a.dll', data: 'x' },
          ],
          { zip64End: { entryCount: 1 } },
        ),
      ),
  },

  // Nuspec fields the client parses strictly: restore or `dotnet add package` would fail.
  ...(
    [
      [
        "a minClientVersion that is not a version ('latest')",
        nuspecWithMetadata(standardMetadata('Hostile.Xml', '1.0.0')).replace(
          '<metadata>',
          '<metadata minClientVersion="latest">',
        ),
        'nuspec_invalid_min_client_version',
        /minClientVersion="latest"> is not a version/,
      ],
      [
        'two <id> elements',
        nuspecWithMetadata(`${standardMetadata('Hostile.Xml', '1.0.0')}<id>Other.Id</id>`),
        'nuspec_duplicate_element',
        /more than one <id>/,
      ],
      [
        'two <version> elements',
        nuspecWithMetadata(`${standardMetadata('Hostile.Xml', '1.0.0')}<version>9.0.0</version>`),
        'nuspec_duplicate_element',
        /more than one <version>/,
      ],
      [
        'a version of 500 characters (a file name too long for any disk)',
        nuspecWithMetadata(standardMetadata('Hostile.Xml', `1.0.0-${'a'.repeat(494)}`)),
        'nuspec_invalid_version',
        /500 characters long; versions may have at most 64/,
      ],
      [
        'a dependency group whose targetFramework NuGet cannot parse',
        nuspecWithMetadata(
          `${standardMetadata('Hostile.Xml', '1.0.0')}<dependencies><group targetFramework=".NETFramework,Version=vNext">` +
            '<dependency id="A" version="1.0.0" /></group></dependencies>',
        ),
        'nuspec_invalid_target_framework',
        /targetFramework '\.NETFramework,Version=vNext' that NuGet cannot parse/,
      ],
      [
        'a package type version that is not a System.Version',
        nuspecWithMetadata(
          `${standardMetadata('Hostile.Xml', '1.0.0')}<packageTypes><packageType name="Dependency" version="1.0.0-beta" /></packageTypes>`,
        ),
        'nuspec_invalid_package_type',
        /version that is not like 1\.0/,
      ],
      [
        "contentFiles copyToOutput='yes'",
        nuspecWithMetadata(
          `${standardMetadata('Hostile.Xml', '1.0.0')}<contentFiles><files include="any/any/a.txt" copyToOutput="yes" /></contentFiles>`,
        ),
        'nuspec_invalid_content_files',
        /copyToOutput="yes"> must be true or false/,
      ],
      [
        "developmentDependency 'yes'",
        nuspecWithMetadata(
          `${standardMetadata('Hostile.Xml', '1.0.0')}<developmentDependency>yes</developmentDependency>`,
        ),
        'nuspec_invalid_boolean',
        /<developmentDependency> is 'yes'; it must be true or false/,
      ],
      [
        'an id with white space around it',
        nuspecWithMetadata(standardMetadata(' Hostile.Xml ', '1.0.0')),
        'nuspec_invalid_id',
        /white space around it/,
      ],
    ] as const
  ).map(([name, nuspec, code, message]): HostileCase => ({
    name,
    status: 400,
    code,
    message,
    send: (feed) => push(feed, withNuspec(nuspec)),
  })),

  // Symbol packages.
  {
    name: 'a snupkg without its nupkg',
    status: 404,
    message: /no package Hostile\.Lonely 1\.0\.0 on this feed.*push the \.nupkg first/,
    send: (feed) =>
      pushSymbols(
        feed,
        buildSnupkg('Hostile.Lonely', '1.0.0', [
          {
            path: 'lib/netstandard2.0/Hostile.Lonely.pdb',
            content: buildPortablePdb({ guid: 'aa'.repeat(16) }),
          },
        ]),
      ),
  },
  {
    name: 'a snupkg with the id of another package whose assemblies its PDBs do not match',
    status: 400,
    message: /is not the PDB of 'lib\/netstandard2.0\/Hostile.Base.dll'.*same build/,
    send: (feed) =>
      pushSymbols(
        feed,
        buildSnupkg('Hostile.Base', '1.0.0', [
          {
            path: 'lib/netstandard2.0/Hostile.Base.pdb',
            content: buildPortablePdb({ guid: 'bb'.repeat(16), stamp: 7 }),
          },
        ]),
      ),
  },
  {
    name: 'a snupkg whose PDB names an assembly the nupkg does not have',
    status: 400,
    message: /has no assembly beside it/,
    send: (feed) =>
      pushSymbols(
        feed,
        buildSnupkg('Hostile.Base', '1.0.0', [
          {
            path: 'lib/netstandard2.0/Someone.Else.pdb',
            content: buildPortablePdb({ guid: baseGuid, stamp: 7 }),
          },
        ]),
      ),
  },
  {
    name: 'a snupkg that is not a symbol package (no SymbolsPackage type)',
    status: 400,
    message: /is not a symbol package/,
    send: (feed) => pushSymbols(feed, buildSnupkg('Hostile.Base', '1.0.0', [], false)),
  },
  {
    name: 'a snupkg that is not a zip',
    status: 400,
    message: /not a valid zip archive/,
    send: (feed) => pushSymbols(feed, Buffer.from('symbols? no')),
  },

  // Path traversal and encoded slashes in every URL with an id or a version.
  ...(
    [
      ['GET', '/v3/flatcontainer/X/index.json'],
      ['GET', '/v3/flatcontainer/X/1.0.0/X.1.0.0.nupkg'],
      ['GET', '/v3/flatcontainer/hostile.base/X/hostile.base.X.nupkg'],
      ['GET', '/v3/flatcontainer/hostile.base/1.0.0/X'],
      ['GET', '/v3/flatcontainer/hostile.base/X/hostile.base.nuspec'],
      ['GET', '/v3/registration/X/index.json'],
      ['GET', '/v3/registration-gz-semver2/hostile.base/X.json'],
      ['GET', '/v3/registration-gz-semver2/hostile.base/page/X/X.json'],
      ['GET', '/v3/catalog/data/X/X.json'],
      ['GET', '/v3/symbols/X/X/X'],
      ['DELETE', '/v3/package/X/1.0.0'],
      ['DELETE', '/v3/package/hostile.base/X'],
      ['POST', '/v3/package/X/1.0.0'],
      ['PUT', '/v3/admin/deprecations/X/X'],
    ] as const
  ).map(([method, template]): HostileCase => ({
    name: `path traversal and encoded slashes: ${method} ${template}`,
    status: [400, 404, 405],
    message: notFoundMessage,
    send: (feed) => rawGets(feed, method, traversalPaths(template)),
  })),

  // Absurd query strings.
  {
    name: 'skip far beyond the limit',
    status: 400,
    message: /'skip' must be a whole number from 0 to 3000, not '99999999999'/,
    send: (feed) => query(feed, '/v3/search?skip=99999999999'),
  },
  {
    name: 'take far beyond the limit',
    status: 400,
    message: /'take' must be a whole number from 0 to 1000/,
    send: (feed) => query(feed, '/v3/search?take=1000000'),
  },
  {
    name: 'a negative take on autocomplete',
    status: 400,
    message: /'take' must be a whole number/,
    send: (feed) => query(feed, '/v3/autocomplete?take=-5'),
  },
  {
    name: 'skip that is not a number',
    status: 400,
    message: /'skip' must be a whole number/,
    send: (feed) => query(feed, '/v3/search?skip=1e9'),
  },
  {
    name: 'q of 100,000 characters',
    status: 400,
    message: /'q' is longer than 1000 characters/,
    send: (feed) => query(feed, `/v3/search?q=${'a'.repeat(100_000)}`),
  },
  {
    name: 'prerelease that is not true or false',
    status: 400,
    message: /'prerelease' must be true or false/,
    send: (feed) => query(feed, '/v3/search?prerelease=maybe'),
  },

  // Wrong methods.
  {
    name: 'wrong methods on read-only resources and on the push endpoint',
    status: [404, 405],
    message: /Nothing is served at|not allowed|Method/,
    send: async (feed) => {
      const answers: Answer[] = [];
      for (const [method, url] of [
        ['PUT', '/v3/index.json'],
        ['DELETE', '/v3/index.json'],
        ['POST', '/v3/search'],
        ['GET', '/v3/package'],
        ['PATCH', '/v3/package'],
        ['DELETE', '/v3/package'],
        ['PUT', '/v3/package/Hostile.Base/1.0.0'],
        ['PUT', '/v3/flatcontainer/hostile.base/index.json'],
        ['DELETE', '/v3/flatcontainer/hostile.base/1.0.0/hostile.base.1.0.0.nupkg'],
        ['POST', '/v3/registration/hostile.base/index.json'],
        ['DELETE', '/v3/catalog/index.json'],
        ['GET', '/v3/symbol-package'],
      ] as const) {
        answers.push(fromInject(`${method} ${url}`, await feed.request(method, url, { headers: key })));
      }
      return answers;
    },
  },
];

// ------------------------------------------------------------------------------------------------------------

/** The GUID in Hostile.Base's assembly (see before()): a PDB of this GUID matches it. */
const baseGuid = 'cc'.repeat(16);

interface Trace {
  blobs: string[];
  tmp: string[];
  rows: Record<string, number>;
}

async function traceOf(feed: TestFeed): Promise<Trace> {
  const db = feed.nugget.db;
  const rows: Record<string, number> = {};
  for (const table of [
    'package_versions',
    'catalog_entries',
    'search_documents',
    'symbol_packages',
    'symbol_files',
  ] as const) {
    const row = await db.selectFrom(table).select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    rows[table] = Number(row.n);
  }
  return { blobs: (await feed.filesUnder('blobs')).sort(), tmp: (await feed.filesUnder('tmp')).sort(), rows };
}

function assertHumanError(
  answer: Answer,
  status: number | readonly number[],
  message: RegExp,
  code?: string,
): void {
  const allowed = typeof status === 'number' ? [status] : status;
  const shown = `${answer.what.slice(0, 120)}: ${answer.statusCode} ${answer.body.slice(0, 300)}`;
  assert.ok(answer.statusCode >= 400 && answer.statusCode < 500, `not a 4xx: ${shown}`);
  assert.ok(allowed.includes(answer.statusCode), `expected ${allowed.join(' or ')}: ${shown}`);
  assert.match(answer.contentType, /^application\/json/, `not JSON: ${shown}`);
  const error = JSON.parse(answer.body).error as { code?: unknown; message?: unknown };
  assert.equal(typeof error?.code, 'string', shown);
  if (code !== undefined) assert.equal(error.code, code, shown);
  assert.equal(typeof error?.message, 'string', shown);
  assert.match(error.message as string, message, shown);
  // A sentence, not a code or a stack trace.
  assert.match(error.message as string, /^[\w'<.(-].{15,}/s, shown);
  assert.doesNotMatch(error.message as string, /\n\s+at /, `a stack trace: ${shown}`);
}

describe('hostile input: 4xx with a message a person understands, and no trace left', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ maxPackageSize });
    const base = await push(feed, nupkgWithAssembly('Hostile.Base', '1.0.0', baseGuid));
    assert.equal(base.statusCode, 201, base.body);
  });
  after(() => feed.close());

  test('at least 40 cases', () => {
    assert.ok(cases.length >= 40, `${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'case names are unique');
  });

  for (const item of cases) {
    test(item.name, async () => {
      const before = await traceOf(feed);
      const sent = await item.send(feed);
      for (const answer of Array.isArray(sent) ? sent : [sent])
        assertHumanError(answer, item.status, item.message, item.code);
      assert.deepEqual(await traceOf(feed), before, 'the request left something behind');
      const index = await feed.rawRequest('GET', '/v3/index.json');
      assert.equal(index.statusCode, 200, 'the server still serves its index');
    });
  }

  test('Hostile.Base survived every hostile DELETE and is served as it was pushed', async () => {
    const leaf = await feed.json('/v3/registration/hostile.base/1.0.0.json');
    assert.equal(leaf['listed'], true);
    const download = await feed.get('/v3/flatcontainer/hostile.base/1.0.0/hostile.base.1.0.0.nupkg');
    assert.equal(download.statusCode, 200);
  });

  test('50 concurrent pushes of one id and version: exactly one 201, 49 409, one row, one blob prefix', async () => {
    const before = await traceOf(feed);
    const nupkg = await buildNupkg({ id: 'Hostile.Race', version: '1.0.0' });
    const answers = await Promise.all(Array.from({ length: 50 }, () => push(feed, nupkg)));
    const statuses = answers.map((answer) => answer.statusCode);
    assert.equal(statuses.filter((status) => status === 201).length, 1, statuses.join(' '));
    assert.equal(statuses.filter((status) => status === 409).length, 49, statuses.join(' '));
    for (const answer of answers.filter((a) => a.statusCode === 409)) {
      assertHumanError(answer, 409, /Hostile\.Race 1\.0\.0 already exists on this feed.*--skip-duplicate/);
    }
    const after = await traceOf(feed);
    assert.equal(after.rows['package_versions'], (before.rows['package_versions'] ?? 0) + 1);
    assert.equal(after.rows['catalog_entries'], (before.rows['catalog_entries'] ?? 0) + 1);
    const newBlobs = after.blobs.filter((blob) => !before.blobs.includes(blob));
    const prefixes = new Set(newBlobs.map((blob) => blob.split('/').slice(0, 4).join('/')));
    assert.equal(prefixes.size, 1, [...prefixes].join('\n'));
    assert.ok([...prefixes][0]?.startsWith('packages/hostile.race/1.0.0/'), [...prefixes].join('\n'));
    assert.equal(newBlobs.filter((blob) => blob.endsWith('.nupkg')).length, 1, newBlobs.join('\n'));
    assert.deepEqual(after.tmp, []);
  });
});
