export {
  isValidPackageId,
  maxPackageIdLength,
  packageIdProblem,
  toLowerId,
  validatePackageId,
} from './package-id.ts';
export type {
  ContentFilesEntry,
  DependencyGroup,
  FrameworkAssembly,
  FrameworkReferenceGroup,
  Nuspec,
  NuspecLicense,
  NuspecRepository,
  PackageDependency,
  PackageType,
  ReferenceGroup,
} from './nuspec.ts';
export { maxNuspecBytes, maxNuspecDepth, parseNuspec } from './nuspec.ts';
export type { EmbeddedFile, Nupkg, NupkgEntry, NupkgLimits } from './read-nupkg.ts';
export {
  compressionRatioFloorBytes,
  defaultNupkgLimits,
  nuspecPathToEntryName,
  readNupkg,
} from './read-nupkg.ts';
export { unescapeEntryName } from './entry-name.ts';
