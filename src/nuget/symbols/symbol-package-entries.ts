// Which files a symbol package (.snupkg) may hold, and which assembly each PDB stands for.
// ../../../../shared/spec/reference/Symbol-Packages-snupkg.md: "Only the following file extensions are allowed
// in symbol packages: .pdb, .nuspec, .xml, .psmdcp, .rels, .p7s", and a PDB sits where its DLL or EXE sits in
// the .nupkg ("the same folder hierarchy ... instead of DLLs/EXEs, their corresponding PDBs").
import { invalidInput } from '../../errors.ts';

export const allowedSymbolPackageExtensions: readonly string[] = [
  '.pdb',
  '.nuspec',
  '.xml',
  '.psmdcp',
  '.rels',
  '.p7s',
];

const extensionOf = (path: string): string => {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 && !name.startsWith('.') ? '' : name.slice(dot).toLowerCase();
};

/**
 * The PDB entries of a symbol package, given its (percent-decoded) entry paths; folder entries ('x/') are
 * skipped. Throws InvalidInput snupkg_file_not_allowed for any other kind of file, snupkg_no_pdb when there is
 * no PDB at all.
 */
export function symbolFilesOf(entryPaths: readonly string[]): string[] {
  const files = entryPaths.filter((path) => !path.endsWith('/'));
  const refused = files.filter((path) => !allowedSymbolPackageExtensions.includes(extensionOf(path)));
  if (refused.length > 0) {
    const shown = refused.slice(0, 5).map((path) => `'${path}'`);
    if (refused.length > 5) shown.push(`and ${refused.length - 5} more`);
    throw invalidInput(
      'snupkg_file_not_allowed',
      `a symbol package may hold only ${allowedSymbolPackageExtensions.join(', ')} files; this one also has ` +
        `${shown.join(', ')}. Put assemblies and other files in the .nupkg`,
    );
  }
  const pdbs = files.filter((path) => extensionOf(path) === '.pdb');
  if (pdbs.length === 0) {
    throw invalidInput(
      'snupkg_no_pdb',
      'the symbol package holds no .pdb file: pack with -p:DebugType=portable (not embedded or none)',
    );
  }
  return pdbs;
}

/** Where the assembly of a PDB sits in the .nupkg: same folder and name, .dll or .exe. */
export function assemblyPathsFor(pdbPath: string): [string, string] {
  const stem = pdbPath.slice(0, -'.pdb'.length);
  return [`${stem}.dll`, `${stem}.exe`];
}

/** The file name a symbol server knows a PDB by: the last path segment. */
export const symbolFileNameOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
