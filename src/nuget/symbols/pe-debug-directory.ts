// Reads what a debugger needs from a PE file (a .dll or .exe): the COFF timestamp and SizeOfImage (the PE's own
// symbol-server key) and the debug directory's CodeView entries, which name the PDB by GUID, age and path.
// Layout: the PE/COFF specification (https://learn.microsoft.com/windows/win32/debug/pe-format, "Debug
// Directory") and its .NET addendum (https://github.com/dotnet/runtime/blob/main/docs/design/specs/PE-COFF.md):
// a CodeView entry with MinorVersion 0x504D ('PM') and MajorVersion >= 0x0100 points at a Portable PDB.
import { invalidInput, type NuggetError } from '../../errors.ts';

/** One CodeView (type 2, 'RSDS') debug directory entry. */
export interface CodeViewEntry {
  /** The PDB's GUID as .NET's Guid.ToString("N") prints it: 32 lower-case hex digits, .NET byte order. */
  readonly guid: string;
  readonly age: number;
  /** The PDB path the compiler wrote (UTF-8), e.g. '/src/Contoso/obj/Release/net8.0/Contoso.pdb'. */
  readonly pdbPath: string;
  /** The entry's TimeDateStamp; for a Portable PDB it equals the stamp in the PDB id. */
  readonly stamp: number;
  /** Points at a Portable PDB (version 0x504D of the entry), not a Windows PDB. */
  readonly isPortable: boolean;
}

export interface PeDebugInfo {
  /** COFF header TimeDateStamp. */
  readonly timestamp: number;
  /** Optional header SizeOfImage. */
  readonly sizeOfImage: number;
  readonly codeView: readonly CodeViewEntry[];
  /** Has an Embedded Portable PDB entry (type 17): the symbols travel inside the assembly itself. */
  readonly hasEmbeddedPortablePdb: boolean;
}

const debugTypeCodeView = 2;
const debugTypeEmbeddedPortablePdb = 17;
const debugEntrySize = 28;
const sectionHeaderSize = 40;
/** Real images have a handful of entries; a directory claiming thousands is corrupt or hostile. */
const maxDebugEntries = 64;
const portableCodeViewMinor = 0x504d;

/** A GUID's 16 bytes as .NET's Guid.ToString("N"): the first three fields are little-endian integers. */
export function formatGuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`a GUID is 16 bytes, not ${bytes.length}`);
  const hex = (indexes: number[]) =>
    indexes.map((i) => (bytes[i] as number).toString(16).padStart(2, '0')).join('');
  return hex([3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]);
}

/**
 * Reads the debug information of a PE image. `name` names the file in messages. Throws InvalidInput:
 * pe_not_pe (no MZ / PE signature), pe_truncated (a header or the debug directory lies past the end),
 * pe_bad_optional_header (neither PE32 nor PE32+).
 */
export function readPeDebugInfo(bytes: Uint8Array, name = 'the file'): PeDebugInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const truncated = (what: string): NuggetError =>
    invalidInput(
      'pe_truncated',
      `${name} is not a complete PE file: its ${what} lies past the end of the file`,
    );
  const need = (offset: number, length: number, what: string) => {
    if (offset < 0 || offset + length > bytes.length) throw truncated(what);
  };

  if (bytes.length < 64 || bytes[0] !== 0x4d || bytes[1] !== 0x5a) {
    throw invalidInput('pe_not_pe', `${name} is not a PE file (a .dll or .exe): it does not start with 'MZ'`);
  }
  const peOffset = view.getUint32(0x3c, true);
  need(peOffset, 24, 'PE header');
  if (view.getUint32(peOffset, true) !== 0x00004550) {
    throw invalidInput('pe_not_pe', `${name} is not a PE file (a .dll or .exe): it has no 'PE' signature`);
  }
  const coff = peOffset + 4;
  const sectionCount = view.getUint16(coff + 2, true);
  const timestamp = view.getUint32(coff + 4, true);
  const optionalHeaderSize = view.getUint16(coff + 16, true);
  const optional = coff + 20;
  need(optional, 2, 'optional header');
  const magic = view.getUint16(optional, true);
  if (magic !== 0x10b && magic !== 0x20b) {
    throw invalidInput(
      'pe_bad_optional_header',
      `${name} has an optional header with magic 0x${magic.toString(16)}; only PE32 (0x10b) and PE32+ (0x20b) are known`,
    );
  }
  // PE32+ drops BaseOfData and widens four fields to 64 bits: the data directories start 16 bytes later.
  const directoryCountAt = optional + (magic === 0x20b ? 108 : 92);
  need(optional, Math.max(60, directoryCountAt + 4 - optional), 'optional header');
  const sizeOfImage = view.getUint32(optional + 56, true);
  const directoryCount = view.getUint32(directoryCountAt, true);

  const sectionsAt = optional + optionalHeaderSize;
  need(sectionsAt, sectionCount * sectionHeaderSize, 'section table');
  const toOffset = (rva: number): number | undefined => {
    for (let i = 0; i < sectionCount; i++) {
      const at = sectionsAt + i * sectionHeaderSize;
      const virtualSize = view.getUint32(at + 8, true);
      const virtualAddress = view.getUint32(at + 12, true);
      const rawSize = view.getUint32(at + 16, true);
      const rawPointer = view.getUint32(at + 20, true);
      if (rva >= virtualAddress && rva < virtualAddress + Math.max(virtualSize, rawSize)) {
        return rva - virtualAddress + rawPointer;
      }
    }
    return undefined;
  };

  const info = { timestamp, sizeOfImage, codeView: [] as CodeViewEntry[], hasEmbeddedPortablePdb: false };
  const debugIndex = 6;
  if (directoryCount <= debugIndex) return info;
  const debugDirectoryAt = directoryCountAt + 4 + debugIndex * 8;
  need(debugDirectoryAt, 8, 'data directory table');
  const debugRva = view.getUint32(debugDirectoryAt, true);
  const debugSize = view.getUint32(debugDirectoryAt + 4, true);
  if (debugRva === 0 || debugSize === 0) return info;
  const debugAt = toOffset(debugRva);
  if (debugAt === undefined) throw truncated('debug directory');
  const entryCount = Math.min(Math.floor(debugSize / debugEntrySize), maxDebugEntries);
  need(debugAt, entryCount * debugEntrySize, 'debug directory');

  for (let i = 0; i < entryCount; i++) {
    const at = debugAt + i * debugEntrySize;
    const type = view.getUint32(at + 12, true);
    if (type === debugTypeEmbeddedPortablePdb) info.hasEmbeddedPortablePdb = true;
    if (type !== debugTypeCodeView) continue;
    const stamp = view.getUint32(at + 4, true);
    const major = view.getUint16(at + 8, true);
    const minor = view.getUint16(at + 10, true);
    const dataSize = view.getUint32(at + 16, true);
    const dataRva = view.getUint32(at + 20, true);
    const dataPointer = view.getUint32(at + 24, true);
    const dataAt = dataPointer !== 0 ? dataPointer : toOffset(dataRva);
    if (dataAt === undefined) throw truncated('CodeView data');
    need(dataAt, dataSize, 'CodeView data');
    // 'RSDS' + GUID + age + at least the path's terminating NUL; older NB10 records carry no GUID: skip them.
    if (dataSize < 25 || view.getUint32(dataAt, true) !== 0x53445352) continue;
    const pathBytes = bytes.subarray(dataAt + 24, dataAt + dataSize);
    const nul = pathBytes.indexOf(0);
    info.codeView.push({
      guid: formatGuid(bytes.subarray(dataAt + 4, dataAt + 20)),
      age: view.getUint32(dataAt + 20, true),
      pdbPath: new TextDecoder().decode(nul === -1 ? pathBytes : pathBytes.subarray(0, nul)),
      stamp,
      isPortable: minor === portableCodeViewMinor && major >= 0x0100,
    });
  }
  return info;
}
