import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildPe, guidBytes } from '../../../test/fixtures/build-symbols.ts';
import { isNuggetError } from '../../errors.ts';
import { formatGuid, readPeDebugInfo } from './pe-debug-directory.ts';

const guid = 'b9208c44772f4921971e087ba35d31d9';

describe('formatGuid: Guid.ToString("N") of 16 bytes', () => {
  const rows: [string, number[], string][] = [
    // Data1, Data2 and Data3 are little-endian integers; the last eight bytes print in order.
    [
      'little-endian first three fields',
      [0x44, 0x8c, 0x20, 0xb9, 0x2f, 0x77, 0x21, 0x49, 0x97, 0x1e, 0x08, 0x7b, 0xa3, 0x5d, 0x31, 0xd9],
      guid,
    ],
    ['all zero', new Array(16).fill(0), '0'.repeat(32)],
  ];
  for (const [name, bytes, expected] of rows) {
    test(`${name} -> ${expected}`, () => assert.equal(formatGuid(Uint8Array.from(bytes)), expected));
  }
  test('round-trips with the fixture builder', () => assert.equal(formatGuid(guidBytes(guid)), guid));
});

describe('readPeDebugInfo', () => {
  const rows: { name: string; pe: Buffer; codeView: { guid: string; portable: boolean; stamp: number }[] }[] =
    [
      {
        name: 'PE32 with one Portable PDB CodeView entry',
        pe: buildPe({ codeView: [{ guid, stamp: 0x8d2f2d90 }] }),
        codeView: [{ guid, portable: true, stamp: 0x8d2f2d90 }],
      },
      {
        name: 'PE32+ (64-bit optional header) reads the same',
        pe: buildPe({ pe32Plus: true, codeView: [{ guid, stamp: 5 }] }),
        codeView: [{ guid, portable: true, stamp: 5 }],
      },
      {
        name: 'a Windows PDB entry (version 0.0) is not portable',
        pe: buildPe({ codeView: [{ guid, portable: false }] }),
        codeView: [{ guid, portable: false, stamp: 0 }],
      },
      {
        name: 'two CodeView entries are both read',
        pe: buildPe({
          codeView: [
            { guid, portable: false },
            { guid: 'f'.repeat(32), stamp: 1 },
          ],
        }),
        codeView: [
          { guid, portable: false, stamp: 0 },
          { guid: 'f'.repeat(32), portable: true, stamp: 1 },
        ],
      },
      { name: 'no debug directory', pe: buildPe({ noDebugDirectory: true }), codeView: [] },
    ];
  for (const row of rows) {
    test(row.name, () => {
      const info = readPeDebugInfo(row.pe);
      assert.deepEqual(
        info.codeView.map((cv) => ({ guid: cv.guid, portable: cv.isPortable, stamp: cv.stamp })),
        row.codeView,
      );
    });
  }

  test('timestamp, SizeOfImage, age, PDB path and the embedded-PDB entry', () => {
    const info = readPeDebugInfo(
      buildPe({
        timestamp: 0xdf8364e8,
        sizeOfImage: 0x8000,
        embeddedPdb: true,
        codeView: [{ guid, age: 3, pdbPath: '/src/obj/Release/net10.0/Contoso.Core.pdb' }],
      }),
    );
    assert.equal(info.timestamp, 0xdf8364e8);
    assert.equal(info.sizeOfImage, 0x8000);
    assert.equal(info.hasEmbeddedPortablePdb, true);
    assert.equal(info.codeView[0]?.age, 3);
    assert.equal(info.codeView[0]?.pdbPath, '/src/obj/Release/net10.0/Contoso.Core.pdb');
  });

  const refusals: [string, Uint8Array, string][] = [
    ['text renamed .dll', Buffer.from('placeholder assembly, not a PE file at all.'.repeat(3)), 'pe_not_pe'],
    ['MZ without a PE signature', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]), 'pe_not_pe'],
    ['cut off inside the section', buildPe({ codeView: [{ guid }] }).subarray(0, 0x210), 'pe_truncated'],
    [
      'an unknown optional header magic',
      (() => {
        const pe = buildPe({ codeView: [{ guid }] });
        pe.writeUInt16LE(0x107, 0x80 + 24);
        return pe;
      })(),
      'pe_bad_optional_header',
    ],
  ];
  for (const [name, bytes, code] of refusals) {
    test(`${name} -> ${code}`, () => {
      assert.throws(
        () => readPeDebugInfo(bytes, 'lib/net8.0/X.dll'),
        (error) => isNuggetError(error) && error.code === code && error.message.includes('lib/net8.0/X.dll'),
      );
    });
  }
});
