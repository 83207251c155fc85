// Keys of the Simple Symbol Query Protocol (SSQP): a symbol server serves `{file}/{key}/{file}`, keys compared
// in lower case. https://github.com/dotnet/symstore/blob/main/docs/specs/SSQP_Key_Conventions.md
import type { PortablePdbId } from './portable-pdb.ts';

/** A Portable PDB: its GUID (Guid.ToString("N")) followed by 'ffffffff' where a Windows PDB has its age. */
export function portablePdbSymbolKey(id: Pick<PortablePdbId, 'guid'>): string {
  return `${id.guid.toLowerCase()}ffffffff`;
}

/** A PE image: its COFF TimeDateStamp as 8 hex digits, then SizeOfImage in hex without leading zeros. */
export function peSymbolKey(pe: { timestamp: number; sizeOfImage: number }): string {
  return `${pe.timestamp.toString(16).padStart(8, '0')}${pe.sizeOfImage.toString(16)}`;
}

/** Keys are hex digits only (the SSQP key conventions); anything else can never be found. */
export const isSymbolKey = (key: string): boolean => /^[0-9a-f]{1,64}$/i.test(key);
