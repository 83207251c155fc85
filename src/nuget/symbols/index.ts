export type { CodeViewEntry, PeDebugInfo } from './pe-debug-directory.ts';
export { formatGuid, readPeDebugInfo } from './pe-debug-directory.ts';
export type { PortablePdbId } from './portable-pdb.ts';
export { isWindowsPdb, readPortablePdbId } from './portable-pdb.ts';
export { isSymbolKey, peSymbolKey, portablePdbSymbolKey } from './symbol-key.ts';
export {
  allowedSymbolPackageExtensions,
  assemblyPathsFor,
  symbolFileNameOf,
  symbolFilesOf,
} from './symbol-package-entries.ts';
export type { SymbolsNuspec } from './symbols-nuspec.ts';
export { parseSymbolsNuspec, symbolsPackageType } from './symbols-nuspec.ts';
