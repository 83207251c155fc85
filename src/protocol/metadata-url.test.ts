// metadataUrl: what a document may print for a nuspec URL, as a table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metadataUrl } from './metadata-url.ts';

const rows: [string | undefined, string | undefined][] = [
  ['https://example.com/icon.png', 'https://example.com/icon.png'],
  ['http://example.com', 'http://example.com/'],
  ['  https://example.com/a b  ', 'https://example.com/a%20b'],
  ['https://user@example.com:8443/x?y=1#z', 'https://user@example.com:8443/x?y=1#z'],
  ['https://bücher.example/', 'https://xn--bcher-kva.example/'],
  [undefined, undefined],
  ['', undefined],
  ['icon.png', undefined],
  ['//example.com/icon.png', undefined],
  ['file:///etc/passwd', undefined],
  ['javascript:alert(1)', undefined],
  ['JAVASCRIPT:alert(1)', undefined],
  ['data:text/html,<script>', undefined],
  ['ftp://example.com/', undefined],
  ['http://', undefined],
  ['https://exa mple.com/', undefined],
  ['https://example.com:70000/', undefined],
];

for (const [value, printed] of rows) {
  test(`${JSON.stringify(value)} -> ${JSON.stringify(printed)}`, () => {
    assert.equal(metadataUrl(value), printed);
  });
}
