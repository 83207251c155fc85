// The nuspec of a symbol package (.snupkg). `dotnet pack` leaves authors, owners, license and icon out of it
// (../../../../shared/spec/reference/Symbol-Packages-snupkg.md, "Symbol package structure" 5 and 6), so the
// full nuspec rules of ../packaging/nuspec.ts do not apply: only id, version and the package types matter.
import { invalidInput, isNuggetError } from '../../errors.ts';
import { maxNuspecBytes, maxNuspecDepth } from '../packaging/nuspec.ts';
import { packageIdProblem } from '../packaging/package-id.ts';
import { childElements, firstChild, parseXmlTree, textOf } from '../packaging/xml-tree.ts';
import { type NuGetVersion, parseVersion } from '../versioning/index.ts';

export interface SymbolsNuspec {
  readonly id: string;
  readonly version: NuGetVersion;
  /** The names of its <packageType> elements; a symbol package has 'SymbolsPackage'. */
  readonly packageTypes: readonly string[];
}

export const symbolsPackageType = 'SymbolsPackage';

/**
 * Throws InvalidInput with the nuspec_* codes of the XML reader, plus nuspec_not_package,
 * nuspec_missing_metadata, nuspec_missing_element, nuspec_invalid_id, nuspec_invalid_version.
 */
export function parseSymbolsNuspec(xml: string | Uint8Array): SymbolsNuspec {
  const root = parseXmlTree(xml, {
    maxBytes: maxNuspecBytes,
    maxDepth: maxNuspecDepth,
    what: 'nuspec',
    codePrefix: 'nuspec',
  });
  if (root.local !== 'package') {
    throw invalidInput(
      'nuspec_not_package',
      `the nuspec's root element is <${root.local}>; it must be <package>`,
    );
  }
  const metadata = firstChild(root, 'metadata');
  if (metadata === undefined) {
    throw invalidInput('nuspec_missing_metadata', 'nuspec is missing <metadata> under <package>');
  }
  const text = (local: string): string => {
    const element = firstChild(metadata, local);
    const value = element === undefined ? '' : textOf(element).trim();
    if (value === '') {
      throw invalidInput(
        'nuspec_missing_element',
        `nuspec ${element ? 'has an empty' : 'is missing'} <${local}>`,
      );
    }
    return value;
  };
  const id = text('id');
  const idProblem = packageIdProblem(id);
  if (idProblem !== undefined)
    throw invalidInput('nuspec_invalid_id', `nuspec <id> is invalid: ${idProblem}`);
  const versionText = text('version');
  let version: NuGetVersion;
  try {
    version = parseVersion(versionText);
  } catch (error) {
    if (!isNuggetError(error)) throw error;
    throw invalidInput(
      'nuspec_invalid_version',
      `nuspec <version> '${versionText}' is not a valid NuGet version: ${error.message}`,
      { cause: error },
    );
  }
  const types = firstChild(metadata, 'packageTypes');
  const packageTypes = (types ? childElements(types, 'packageType') : [])
    .map((type) => type.attributes.get('name')?.trim() ?? '')
    .filter((name) => name !== '');
  return { id, version, packageTypes };
}
