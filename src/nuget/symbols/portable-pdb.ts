// Reads the id of a Portable PDB: the metadata root ('BSJB') and, in its #Pdb stream, the 20-byte PDB id
// (a GUID and a 4-byte stamp) that the assembly's CodeView entry repeats.
// Spec: https://github.com/dotnet/runtime/blob/main/docs/design/specs/PortablePdb-Metadata.md ("#Pdb stream")
// and ECMA-335 II.24.2.1 (metadata root). NuGet symbol packages carry Portable PDBs only
// (../../../../shared/spec/reference/Symbol-Packages-snupkg.md, "symbol package constraints").
import { invalidInput } from '../../errors.ts';
import { formatGuid } from './pe-debug-directory.ts';

export interface PortablePdbId {
  /** 32 lower-case hex digits, as Guid.ToString("N") prints it. */
  readonly guid: string;
  readonly stamp: number;
}

const metadataSignature = 0x424a5342; // 'BSJB'
/** Windows (MSF) PDBs start 'Microsoft C/C++ MSF 7.00' (older ones 'Microsoft C/C++ program database'). */
const windowsPdbPrefix = 'Microsoft C/C++ ';

/** Whether the bytes are a Windows (native, MSF) PDB rather than a Portable PDB. */
export function isWindowsPdb(bytes: Uint8Array): boolean {
  return (
    bytes.length >= windowsPdbPrefix.length &&
    Buffer.from(bytes.buffer, bytes.byteOffset, windowsPdbPrefix.length).toString('latin1') ===
      windowsPdbPrefix
  );
}

/**
 * The PDB id of a Portable PDB. `name` names the file in messages. Throws InvalidInput: pdb_windows (a Windows
 * PDB), pdb_not_portable (no 'BSJB' metadata root), pdb_truncated, pdb_no_pdb_stream.
 */
export function readPortablePdbId(bytes: Uint8Array, name = 'the PDB'): PortablePdbId {
  if (isWindowsPdb(bytes)) {
    throw invalidInput(
      'pdb_windows',
      `${name} is a Windows PDB; symbol packages (.snupkg) take Portable PDBs only. Build with ` +
        '<DebugType>portable</DebugType>, or ship native symbols in a legacy .symbols.nupkg elsewhere',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || view.getUint32(0, true) !== metadataSignature) {
    throw invalidInput(
      'pdb_not_portable',
      `${name} is not a Portable PDB: it does not start with the metadata signature 'BSJB'`,
    );
  }
  const truncated = () =>
    invalidInput('pdb_truncated', `${name} is not a complete Portable PDB: its metadata header is cut short`);
  if (bytes.length < 16) throw truncated();
  const versionLength = view.getUint32(12, true);
  const streamCountAt = 16 + versionLength + 2;
  if (versionLength > 255 || streamCountAt + 2 > bytes.length) throw truncated();
  const streamCount = view.getUint16(streamCountAt, true);
  let at = streamCountAt + 2;
  for (let i = 0; i < streamCount; i++) {
    if (at + 8 > bytes.length) throw truncated();
    const offset = view.getUint32(at, true);
    const size = view.getUint32(at + 4, true);
    const nameStart = at + 8;
    // Stream names are NUL-terminated ASCII of at most 32 characters, padded to a 4-byte boundary.
    const nameEnd = bytes.subarray(nameStart, nameStart + 32).indexOf(0);
    if (nameEnd === -1) throw truncated();
    const streamName = Buffer.from(bytes.buffer, bytes.byteOffset + nameStart, nameEnd).toString('latin1');
    at = nameStart + ((nameEnd + 4) & ~3);
    if (streamName !== '#Pdb') continue;
    if (size < 20 || offset + 20 > bytes.length) throw truncated();
    return {
      guid: formatGuid(bytes.subarray(offset, offset + 16)),
      stamp: view.getUint32(offset + 16, true),
    };
  }
  throw invalidInput(
    'pdb_no_pdb_stream',
    `${name} has metadata but no #Pdb stream, so it is not a Portable PDB (is it an assembly renamed .pdb?)`,
  );
}
