import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildPe, buildPortablePdb, buildWindowsPdb } from '../../../test/fixtures/build-symbols.ts';
import { isNuggetError } from '../../errors.ts';
import { isWindowsPdb, readPortablePdbId } from './portable-pdb.ts';

const guid = '0123456789abcdef0123456789abcdef';

describe('readPortablePdbId', () => {
  test('reads the GUID and stamp of the #Pdb stream (after another stream)', () => {
    assert.deepEqual(readPortablePdbId(buildPortablePdb({ guid, stamp: 0x8d2f2d90, padding: 4096 })), {
      guid,
      stamp: 0x8d2f2d90,
    });
  });

  const refusals: [string, Uint8Array, string][] = [
    ['a Windows (MSF 7.00) PDB', buildWindowsPdb(), 'pdb_windows'],
    ['a PE file renamed .pdb', buildPe({ codeView: [{ guid }] }), 'pdb_not_portable'],
    ['an empty file', Buffer.alloc(0), 'pdb_not_portable'],
    ['metadata without a #Pdb stream', buildPortablePdb({ guid, noPdbStream: true }), 'pdb_no_pdb_stream'],
    ['cut off in the stream headers', buildPortablePdb({ guid }).subarray(0, 40), 'pdb_truncated'],
  ];
  for (const [name, bytes, code] of refusals) {
    test(`${name} -> ${code}`, () => {
      assert.throws(
        () => readPortablePdbId(bytes, 'lib/net8.0/X.pdb'),
        (error) => isNuggetError(error) && error.code === code && error.message.includes('lib/net8.0/X.pdb'),
      );
    });
  }

  test('isWindowsPdb tells the two formats apart', () => {
    assert.equal(isWindowsPdb(buildWindowsPdb()), true);
    assert.equal(isWindowsPdb(buildPortablePdb({ guid })), false);
  });
});
