// Rows from the SSQP key conventions: https://github.com/dotnet/symstore/blob/main/docs/specs/SSQP_Key_Conventions.md
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSymbolKey, peSymbolKey, portablePdbSymbolKey } from './symbol-key.ts';

describe('SSQP keys', () => {
  test("portable PDB: '<guid N>' + 'ffffffff', lower case", () => {
    assert.equal(
      portablePdbSymbolKey({ guid: 'B9208C44772F4921971E087BA35D31D9' }),
      'b9208c44772f4921971e087ba35d31d9ffffffff',
    );
  });

  const peRows: [number, number, string][] = [
    [0xdf8364e8, 0x8000, 'df8364e88000'],
    // The timestamp keeps its leading zeros (8 digits); SizeOfImage has none.
    [0x0000abcd, 0x00012000, '0000abcd12000'],
  ];
  for (const [timestamp, sizeOfImage, key] of peRows) {
    test(`PE: timestamp ${timestamp.toString(16)} size ${sizeOfImage.toString(16)} -> ${key}`, () =>
      assert.equal(peSymbolKey({ timestamp, sizeOfImage }), key));
  }

  const keyRows: [string, boolean][] = [
    ['b9208c44772f4921971e087ba35d31d9ffffffff', true],
    ['B9208C44772F4921971E087BA35D31D9FFFFFFFF', true],
    ['..', false],
    ['', false],
    ['zz', false],
  ];
  for (const [key, valid] of keyRows) {
    test(`isSymbolKey('${key}') -> ${valid}`, () => assert.equal(isSymbolKey(key), valid));
  }
});
