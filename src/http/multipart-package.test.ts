import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { MultipartPackagePart, multipartBoundary } from './multipart-package.ts';
import { seededRandom } from '../storage/contracts/seeded-random.ts';

const tooLarge = () => Object.assign(new Error('too large'), { kind: 'TooLarge', code: 'package_too_large' });

/** Runs `body` through the parser in chunks of `chunkSize` bytes; resolves with the package bytes. */
async function packageOf(body: Buffer, boundary: string, chunkSize = body.length || 1): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunkSize) chunks.push(body.subarray(i, i + chunkSize));
  return packageOfChunks(chunks, boundary);
}

async function packageOfChunks(chunks: readonly Buffer[], boundary: string): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    new MultipartPackagePart(boundary, { maxBytes: 1024 * 1024, tooLarge }),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out);
}

const b = (text: string) => Buffer.from(text, 'latin1');
// Bytes that look like framing: CR, LF, dashes and the start of the boundary, as a zip may hold by chance. It ends
// as a zip does (the end-of-central-directory record's comment length, 0): a package whose last byte is CR before
// an LF-framed delimiter is ambiguous (read as CRLF framing), so random last bytes failed 1 run in 256.
const nupkg = Buffer.concat([
  b('PK\x03\x04'),
  randomBytes(3000),
  b('\r\n--bou\n--\r\n-'),
  randomBytes(500),
  b('PK\x05\x06\x00\x00'),
]);
const boundary = 'bound-1234';
const fileHeaders = (eol: string) =>
  `Content-Type: application/octet-stream${eol}` +
  `Content-Disposition: form-data; name=package; filename=package.nupkg${eol}${eol}`;

const accepted: { name: string; body: Buffer; expected?: Buffer }[] = [
  {
    name: 'the NuGet client: CRLF everywhere, one part',
    body: Buffer.concat([b(`--${boundary}\r\n${fileHeaders('\r\n')}`), nupkg, b(`\r\n--${boundary}--\r\n`)]),
  },
  {
    name: 'paket on Linux and macOS: a bare LF before the close delimiter and after it',
    body: Buffer.concat([b(`--${boundary}\r\n${fileHeaders('\r\n')}`), nupkg, b(`\n--${boundary}--\n`)]),
  },
  {
    name: 'LF-only line endings throughout the framing',
    body: Buffer.concat([b(`--${boundary}\n${fileHeaders('\n')}`), nupkg, b(`\n--${boundary}--\n`)]),
  },
  {
    name: 'no line end after the close delimiter',
    body: Buffer.concat([b(`--${boundary}\r\n${fileHeaders('\r\n')}`), nupkg, b(`\r\n--${boundary}--`)]),
  },
  {
    name: 'the body ends right after the delimiter that closes the package (no "--")',
    body: Buffer.concat([b(`--${boundary}\r\n${fileHeaders('\r\n')}`), nupkg, b(`\r\n--${boundary}`)]),
  },
  {
    name: 'a preamble and an epilogue',
    body: Buffer.concat([
      b(`This is a preamble.\r\n--${boundary}\r\n${fileHeaders('\r\n')}`),
      nupkg,
      b(`\r\n--${boundary}--\r\nThis is an epilogue, with --${boundary} in it.\r\n`),
    ]),
  },
  {
    name: 'transport padding after the boundary, and a folded header line',
    body: Buffer.concat([
      b(`--${boundary} \t\r\nContent-Disposition: form-data;\r\n name=package; filename=p.nupkg\r\n\r\n`),
      nupkg,
      b(`\r\n--${boundary}--\r\n`),
    ]),
  },
  {
    name: 'text fields before the package, and parts after it',
    body: Buffer.concat([
      b(`--${boundary}\r\nContent-Disposition: form-data; name=comment\r\n\r\nhello\r\n`),
      b(`--${boundary}\r\nContent-Disposition: form-data; name=n\r\nContent-Type: text/plain\r\n\r\n1\r\n`),
      b(`--${boundary}\r\n${fileHeaders('\r\n')}`),
      nupkg,
      b(`\r\n--${boundary}\r\n${fileHeaders('\r\n')}second file\r\n`),
      b(`--${boundary}\r\nContent-Disposition: form-data; name=after\r\n\r\nx\r\n--${boundary}--\r\n`),
    ]),
  },
  {
    name: 'a part with no headers at all is the package (the spec ignores part headers)',
    body: Buffer.concat([b(`--${boundary}\r\n\r\n`), nupkg, b(`\r\n--${boundary}--\r\n`)]),
  },
  {
    name: 'a binary part without a file name is the package',
    body: Buffer.concat([
      b(`--${boundary}\r\nContent-Disposition: form-data; name=package\r\n`),
      b('Content-Type: application/octet-stream\r\n\r\n'),
      nupkg,
      b(`\r\n--${boundary}--\r\n`),
    ]),
  },
  {
    name: 'a package whose last byte is CR keeps it (CRLF framing)',
    body: Buffer.concat([
      b(`--${boundary}\r\n${fileHeaders('\r\n')}`),
      nupkg,
      b(`\r\r\n--${boundary}--\r\n`),
    ]),
    expected: Buffer.concat([nupkg, b('\r')]),
  },
];

describe('MultipartPackagePart: the framings real clients send', () => {
  for (const row of accepted) {
    test(row.name, async () => {
      for (const chunkSize of [1, 2, 3, 7, 64, 4096, row.body.length]) {
        const got = await packageOf(row.body, boundary, chunkSize);
        assert.ok(got.equals(row.expected ?? nupkg), `chunks of ${chunkSize}: ${got.length} bytes`);
      }
    });
  }
});

describe('MultipartPackagePart: large chunks, a delimiter across two of them', () => {
  // Inside the package the parser reads each chunk where it lies and holds back only what may start a delimiter;
  // whatever it held back is the package's unless the next chunk completes a delimiter with it.
  const big = Buffer.concat([b('PK\x03\x04'), randomBytes(200_000)]);
  const head = b(`--${boundary}\r\n${fileHeaders('\r\n')}`);
  const close = b(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, big, close]);
  const closeAt = head.length + big.length;

  /** The package read from `whole` cut at each of `cuts` (ascending offsets). */
  const cutAt = (whole: Buffer, cuts: readonly number[]): Promise<Buffer> =>
    packageOfChunks(
      [...cuts, whole.length].map((end, i) => whole.subarray(i === 0 ? 0 : cuts[i - 1], end)),
      boundary,
    );

  test('the closing delimiter (and the CR before it) cut at every byte', async () => {
    for (let cut = closeAt - 20; cut <= closeAt + close.length; cut++) {
      const got = await cutAt(body, [65_536, cut]);
      assert.ok(got.equals(big), `cut at ${cut - closeAt} from the delimiter: ${got.length} bytes`);
    }
  });

  test('package bytes that begin a delimiter but do not finish it, cut at every byte, are the package', async () => {
    // The package holds "\r\n--<boundary>" minus its last character, then other bytes, then more package.
    const lookalike = b(`\r\n--${boundary.slice(0, -1)}X`);
    const tricky = Buffer.concat([big.subarray(0, 100_000), lookalike, big.subarray(100_000)]);
    const whole = Buffer.concat([head, tricky, close]);
    const at = head.length + 100_000;
    for (let cut = at - 2; cut <= at + lookalike.length + 1; cut++) {
      const got = await cutAt(whole, [30_000, cut, cut + 70_000]);
      assert.ok(got.equals(tricky), `cut at ${cut - at} into the look-alike: ${got.length} bytes`);
    }
  });

  test('a chunk shorter than the delimiter after a long one', async () => {
    for (let cut = closeAt - 14; cut <= closeAt + 2; cut++) {
      const got = await cutAt(body, [cut, cut + 3, cut + 5]);
      assert.ok(got.equals(big), `cut at ${cut - closeAt}: ${got.length} bytes`);
    }
  });
});

const refused: { name: string; body: Buffer; code: string; message?: RegExp }[] = [
  {
    name: 'cut off inside the package (no delimiter after it)',
    body: Buffer.concat([b(`--${boundary}\r\n${fileHeaders('\r\n')}`), nupkg.subarray(0, 1000)]),
    code: 'push_body_incomplete',
    message: /cut off/,
  },
  {
    name: 'cut off inside the part headers',
    body: b(`--${boundary}\r\nContent-Disposition: form-data; name=package; filen`),
    code: 'push_body_incomplete',
  },
  {
    name: 'no delimiter with the declared boundary',
    body: Buffer.concat([b(`--other\r\n${fileHeaders('\r\n')}`), nupkg, b('\r\n--other--\r\n')]),
    code: 'push_malformed_multipart',
    message: /boundary/,
  },
  { name: 'no parts at all', body: b(`--${boundary}--\r\n`), code: 'push_no_file' },
  {
    name: 'only text fields',
    body: b(
      `--${boundary}\r\nContent-Disposition: form-data; name=comment\r\n\r\nhello\r\n--${boundary}--\r\n`,
    ),
    code: 'push_no_file',
    message: /no file part/,
  },
  {
    name: 'a header line that is not "Name: value"',
    body: Buffer.concat([b(`--${boundary}\r\nnot a header\r\n\r\n`), nupkg, b(`\r\n--${boundary}--\r\n`)]),
    code: 'push_malformed_multipart',
    message: /Name: value/,
  },
  {
    name: 'part headers longer than 16 KB',
    body: b(`--${boundary}\r\nX-Long: ${'a'.repeat(20_000)}\r\n\r\nx\r\n--${boundary}--\r\n`),
    code: 'push_malformed_multipart',
    message: /16 KB/,
  },
  {
    name: 'a delimiter line with more after the boundary',
    body: Buffer.concat([b(`--${boundary}xyz\r\n${fileHeaders('\r\n')}`), nupkg, b(`\r\n--${boundary}--`)]),
    code: 'push_malformed_multipart',
    message: /other characters/,
  },
  {
    name: 'more than 100 parts',
    body: b(`--${boundary}\r\nContent-Disposition: form-data; name=f\r\n\r\nx\r\n`.repeat(101)),
    code: 'push_malformed_multipart',
    message: /more than 100 parts/,
  },
];

describe('MultipartPackagePart: bodies it refuses', () => {
  for (const row of refused) {
    test(`${row.name} -> ${row.code}`, async () => {
      for (const chunkSize of [1, 5, row.body.length]) {
        await assert.rejects(packageOf(row.body, boundary, chunkSize), (error: Error & { code?: string }) => {
          assert.equal(error.code, row.code, `chunks of ${chunkSize}: ${error.message}`);
          if (row.message) assert.match(error.message, row.message);
          return true;
        });
      }
    });
  }

  test('a body over maxBytes fails with the given error, however it is framed', async () => {
    const body = Buffer.concat([b(`preamble ${'p'.repeat(2000)}\r\n--${boundary}\r\n`), nupkg]);
    const parser = new MultipartPackagePart(boundary, { maxBytes: 1000, tooLarge });
    await assert.rejects(
      pipeline(Readable.from([body]), parser, new Writable({ write: (_c, _e, cb) => cb() })),
      /too large/,
    );
  });
});

describe('multipartBoundary', () => {
  const rows: [string | undefined, string | undefined][] = [
    ['multipart/form-data; boundary="3f1b-a"', '3f1b-a'],
    [
      'multipart/form-data; boundary=---------------------------8df4feecebe9cec',
      '-'.repeat(27) + '8df4feecebe9cec',
    ],
    ['Multipart/Form-Data;boundary=abc; charset=utf-8', 'abc'],
    ['multipart/form-data; charset=utf-8; boundary="with space"', 'with space'],
    ['application/octet-stream', undefined],
    [undefined, undefined],
    ['multipart/mixed; boundary=x', undefined],
  ];
  for (const [header, expected] of rows) {
    test(`${JSON.stringify(header)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(multipartBoundary(header), expected);
    });
  }
  for (const header of [
    'multipart/form-data',
    'multipart/form-data; boundary=""',
    `multipart/form-data; boundary=${'x'.repeat(201)}`,
  ]) {
    test(`${JSON.stringify(header.slice(0, 60))} -> 400 push_malformed_multipart`, () => {
      assert.throws(() => multipartBoundary(header), { code: 'push_malformed_multipart' });
    });
  }
});

describe('MultipartPackagePart: every framing, cut anywhere', () => {
  // The reader takes a chunk longer than the delimiter where it lies and joins a shorter one to what it held back,
  // so the cuts that matter mix both: random cuts, the pieces either a few bytes (shorter than the delimiter, as
  // long, one more) or long, over every framing above and every refusal. Seeded: a failure names its seed.
  const delimiterLength = `\n--${boundary}`.length;
  const pieceSizes = [
    1,
    2,
    delimiterLength - 1,
    delimiterLength,
    delimiterLength + 1,
    delimiterLength + 2,
    300,
  ];

  function randomCuts(body: Buffer, seed: number): Buffer[] {
    const random = seededRandom(seed);
    const pieces: Buffer[] = [];
    for (let at = 0; at < body.length;) {
      const size = pieceSizes[Math.floor(random() * pieceSizes.length)] ?? 1;
      pieces.push(body.subarray(at, at + size));
      at += size;
    }
    return pieces;
  }

  test('the framings real clients send give the package, whatever the cuts', async () => {
    for (const row of accepted) {
      for (let seed = 1; seed <= 150; seed++) {
        const got = await packageOfChunks(randomCuts(row.body, seed), boundary);
        assert.ok(got.equals(row.expected ?? nupkg), `${row.name}, seed ${seed}: ${got.length} bytes`);
      }
    }
  });

  test('the bodies it refuses are refused with the same code, whatever the cuts', async () => {
    for (const row of refused) {
      for (let seed = 1; seed <= 40; seed++) {
        await assert.rejects(
          packageOfChunks(randomCuts(row.body, seed), boundary),
          (error: Error & { code?: string }) => {
            assert.equal(error.code, row.code, `${row.name}, seed ${seed}: ${error.message}`);
            return true;
          },
        );
      }
    }
  });
});
