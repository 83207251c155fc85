// Target frameworks: parse and normalize the monikers of nuspec groups and lib folders.
// Spec: ../../../../shared/spec/reference/target-frameworks.md

export { FrameworkIdentifiers, SpecialIdentifiers } from './framework-mappings.ts';
export {
  AgnosticFramework,
  AnyFramework,
  frameworkEquals,
  frameworkParseFailure,
  isAnyFramework,
  isSystemVersion,
  isNet5Era,
  isSpecificFramework,
  isUnsupportedFramework,
  type NuGetFramework,
  normalizeTargetFramework,
  parseFramework,
  toDotNetFrameworkName,
  toDotNetPlatformName,
  toFrameworkString,
  toShortFolderName,
  UnsupportedFramework,
} from './nuget-framework.ts';
