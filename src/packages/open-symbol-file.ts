// The symbol server's one question (SSQP): the file `{file}/{key}/{file}`, matched case-insensitively.
// https://github.com/dotnet/symstore/blob/main/docs/specs/Simple_Symbol_Query_Protocol.md
import { notFound } from '../errors.ts';
import { isSymbolKey } from '../nuget/symbols/index.ts';
import type { BlobStore, StoredBlob, SymbolFile, SymbolStore } from './ports.ts';

export async function openSymbolFile(
  deps: { symbols: SymbolStore; blobs: BlobStore },
  query: { fileName: string; symbolKey: string; fileName2?: string },
): Promise<{ file: SymbolFile; blob: StoredBlob }> {
  const missing = () =>
    notFound(
      'symbol_not_found',
      `This feed has no symbol file ${query.fileName} with key ${query.symbolKey}.`,
    );
  const fileName = query.fileName.toLowerCase();
  if (query.fileName2 !== undefined && query.fileName2.toLowerCase() !== fileName) throw missing();
  if (!isSymbolKey(query.symbolKey)) throw missing();
  const file = await deps.symbols.findFile(fileName, query.symbolKey.toLowerCase());
  if (!file) throw missing();
  const blob = await deps.blobs.open(file.blobKey);
  if (!blob) throw missing();
  return { file, blob };
}
