// SymbolPackagePublish: validate a pushed symbol package (.snupkg) against the .nupkg it belongs to and make
// its Portable PDBs available to debuggers through the symbol server.
// Spec: ../shared/spec/nuget-api/symbol-package-publish-resource.md; what a .snupkg must be:
// ../shared/spec/reference/Symbol-Packages-snupkg.md ("symbol package constraints" and "structure").
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { conflict, invalidInput, isNuggetError, notFound } from '../errors.ts';
import { toLowerId } from '../nuget/packaging/index.ts';
import { openPackageArchive, type PackageArchive } from '../nuget/packaging/read-nupkg.ts';
import {
  assemblyPathsFor,
  parseSymbolsNuspec,
  portablePdbSymbolKey,
  readPeDebugInfo,
  readPortablePdbId,
  symbolFileNameOf,
  symbolFilesOf,
  symbolsPackageType,
} from '../nuget/symbols/index.ts';
import { toFullString, toNormalizedString } from '../nuget/versioning/index.ts';
import type { PackageVersion } from '../protocol/package-version.ts';
import type { BlobStore, Clock, PackageStore, SymbolFile, SymbolPackage, SymbolStore } from './ports.ts';
import { blobKeys } from './publish-package.ts';
import { pushBlobPrefix } from './feed.ts';
import type { UploadedPackage } from './publish-package.ts';
import type { EventOrigin } from './webhook-event.ts';

/**
 * Each PDB and each assembly it is checked against is read into memory whole. Real PDBs and assemblies stay far
 * below this (the largest framework assemblies are tens of MB); more is refused as TooLarge.
 */
export const maxSymbolFileBytes = 256 * 1024 * 1024;

export const symbolBlobKeys = {
  snupkg: (symbols: Pick<SymbolPackage, 'blobPrefix' | 'lowerId' | 'lowerVersion'>): string =>
    `${symbols.blobPrefix}/${symbols.lowerId}.${symbols.lowerVersion}.snupkg`,
  file: (blobPrefix: string, fileName: string, symbolKey: string): string =>
    `${blobPrefix}/${fileName}/${symbolKey}/${fileName}`,
};

export interface SymbolPublishDeps {
  /** The feed's name: where the blobs go. */
  readonly feed: string;
  readonly packages: PackageStore;
  readonly symbols: SymbolStore;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** Where the pushed .nupkg is copied to be read (blob stores may not be local files). */
  readonly tempDir: string;
  /** Called once the id is known, before anything is read or stored: throws to refuse the push (e.g. 403). */
  readonly authorize?: (target: { id: string; version: string }) => Promise<void>;
  /** Who pushes, for the symbols.pushed webhook event (recorded with the symbols, in one transaction). */
  readonly origin?: EventOrigin | undefined;
}

/**
 * Publishes a symbol package: every PDB is a Portable PDB that matches, by PDB id (GUID and stamp), the CodeView
 * entry of the DLL or EXE at the same path in the already pushed .nupkg. Blobs first, then metadata in one
 * transaction (architecture rule 12); a refused push leaves nothing behind.
 *
 * The spec lets a version's symbols be pushed again ("can be submitted multiple times"): the new push replaces them.
 * Its only 409 is a symbol package "pushed but not yet available", here one that another push of the same version
 * replaced while this one was being checked. A PDB the feed already holds for another package (one build packed
 * under two ids) is accepted when its bytes are the same: the key is the PDB's own id, so it names one content.
 */
export async function publishSymbolPackage(
  deps: SymbolPublishDeps,
  upload: UploadedPackage,
): Promise<SymbolPackage> {
  const snupkg = await openPackageArchive(upload.path);
  let nupkg: { archive: PackageArchive; discard(): Promise<void> } | undefined;
  let blobPrefix: string | undefined;
  try {
    const nuspec = parseSymbolsNuspec(snupkg.nuspecBytes);
    const label = `${nuspec.id} ${toFullString(nuspec.version)}`;
    if (!nuspec.packageTypes.some((type) => type.toLowerCase() === symbolsPackageType.toLowerCase())) {
      throw invalidInput(
        'snupkg_not_symbols_package',
        `${label} is not a symbol package: its nuspec has no <packageType name="${symbolsPackageType}" />. ` +
          'Pack it with -p:IncludeSymbols=true -p:SymbolPackageFormat=snupkg, and push the .nupkg to the package endpoint',
      );
    }
    await deps.authorize?.({ id: nuspec.id, version: toFullString(nuspec.version) });
    const lowerId = toLowerId(nuspec.id);
    const lowerVersion = toNormalizedString(nuspec.version).toLowerCase();
    const pkg = await deps.packages.findVersion(lowerId, lowerVersion);
    if (!pkg) {
      throw notFound(
        'symbols_package_not_found',
        `There is no package ${label} on this feed to attach symbols to: push the .nupkg first (dotnet nuget ` +
          'push pushes the .snupkg beside it right after).',
      );
    }
    const previous = await deps.symbols.findPackage(lowerId, lowerVersion);

    const pdbs = symbolFilesOf(snupkg.entries.map((entry) => entry.path));
    nupkg = await openStoredNupkg(deps, pkg);
    const assemblies = new Map(nupkg.archive.entries.map((entry) => [entry.path.toLowerCase(), entry]));

    blobPrefix = pushBlobPrefix(deps.feed, 'symbols', lowerId, lowerVersion, randomUUID());
    const files: SymbolFile[] = [];
    for (const pdbPath of pdbs) {
      const entry = snupkg.entries.find((e) => e.path === pdbPath);
      if (!entry) continue;
      const assembly = assemblyPathsFor(pdbPath)
        .map((path) => assemblies.get(path.toLowerCase()))
        .find((found) => found !== undefined);
      if (!assembly) {
        const [dll, exe] = assemblyPathsFor(pdbPath);
        throw invalidInput(
          'snupkg_pdb_without_assembly',
          `'${pdbPath}' has no assembly beside it in ${label}: a symbol package holds one PDB per '${dll}' or ` +
            `'${exe}' of the .nupkg, at the same path`,
        );
      }
      const pdbBytes = await snupkg.readFile(entry.name, maxSymbolFileBytes);
      const pdbId = readPortablePdbId(pdbBytes, `'${pdbPath}'`);
      const pe = readPeDebugInfo(
        await nupkg.archive.readFile(assembly.name, maxSymbolFileBytes),
        `'${assembly.path}'`,
      );
      const matches = pe.codeView.some(
        (cv) => cv.isPortable && cv.guid === pdbId.guid && cv.stamp === pdbId.stamp,
      );
      if (!matches) {
        throw invalidInput(
          'snupkg_pdb_mismatch',
          `'${pdbPath}' (PDB id ${pdbId.guid}) is not the PDB of '${assembly.path}' in ${label}` +
            (pe.codeView.length === 0
              ? ', which names no PDB (built with <DebugType>none</DebugType> or embedded?)'
              : ` (it names ${pe.codeView.map((cv) => cv.guid).join(', ')})`) +
            ': pack the .nupkg and .snupkg from the same build',
        );
      }
      const fileName = symbolFileNameOf(pdbPath).toLowerCase();
      const symbolKey = portablePdbSymbolKey(pdbId);
      if (files.some((file) => file.fileName === fileName && file.symbolKey === symbolKey)) continue;
      const stored = await deps.symbols.findFile(fileName, symbolKey);
      if (stored && !(await holdsBytes(deps.blobs, stored, pdbBytes))) {
        throw invalidInput(
          'snupkg_pdb_differs',
          `'${pdbPath}' (key ${symbolKey}) differs from the ${fileName} with the same key that this feed already ` +
            `serves for ${stored.lowerId} ${stored.lowerVersion}: a PDB's id must name one content. Push the ` +
            '.snupkg made by the same build as the one already pushed, or rebuild (a new build gets a new PDB id).',
        );
      }
      const blobKey = symbolBlobKeys.file(blobPrefix, fileName, symbolKey);
      await deps.blobs.put(blobKey, pdbBytes);
      files.push({ fileName, symbolKey, lowerId, lowerVersion, blobKey, size: pdbBytes.length });
    }

    const symbols: SymbolPackage = {
      lowerId,
      lowerVersion,
      blobPrefix,
      packageSize: upload.size,
      packageHash: upload.sha512,
      published: deps.clock.now().toISOString(),
      files,
    };
    await snupkg.close();
    await deps.blobs.putFile(symbolBlobKeys.snupkg(symbols), upload.path);
    const event = deps.origin && { ...deps.origin, type: 'symbols.pushed' as const };
    const result = await deps.symbols.insert(symbols, { replacing: previous?.blobPrefix, event });
    if (result === 'duplicate-package') throw pushedMeanwhile(pkg);
    // The replaced symbols are no longer referenced; if removing them fails, `nugget gc` collects them.
    if (previous) await deps.blobs.deletePrefix(previous.blobPrefix).catch(() => {});
    return symbols;
  } catch (error) {
    if (blobPrefix !== undefined) await deps.blobs.deletePrefix(blobPrefix);
    throw error;
  } finally {
    await snupkg.close();
    await nupkg?.archive.close();
    await nupkg?.discard();
  }
}

/** The stored .nupkg, copied to a temporary file so that its zip can be read with random access. */
async function openStoredNupkg(
  deps: Pick<SymbolPublishDeps, 'blobs' | 'tempDir'>,
  pkg: PackageVersion,
): Promise<{ archive: PackageArchive; discard(): Promise<void> }> {
  const blob = await deps.blobs.open(blobKeys.nupkg(pkg));
  if (!blob) {
    throw notFound(
      'symbols_package_not_found',
      `The .nupkg of ${pkg.id} ${pkg.version} is missing from storage.`,
    );
  }
  await mkdir(deps.tempDir, { recursive: true });
  const path = join(deps.tempDir, `symbols-${randomUUID()}.nupkg`);
  const discard = () => rm(path, { force: true });
  try {
    await pipeline(blob.stream, createWriteStream(path));
    return { archive: await openPackageArchive(path), discard };
  } catch (error) {
    await discard();
    // The feed accepted this .nupkg once; failing to read it now is the server's problem, not the client's.
    if (isNuggetError(error))
      throw new Error(`the stored ${pkg.id} ${pkg.version} .nupkg cannot be read`, { cause: error });
    throw error;
  }
}

function pushedMeanwhile(pkg: PackageVersion) {
  return conflict(
    'symbols_pushed_meanwhile',
    `Another symbol package for ${pkg.id} ${pkg.version} was pushed while this one was being checked; push again ` +
      'if this one should be the one that stays.',
  );
}

/** Whether the stored symbol file has exactly these bytes (a missing blob cannot disagree). */
async function holdsBytes(blobs: BlobStore, file: SymbolFile, bytes: Uint8Array): Promise<boolean> {
  if (file.size !== bytes.length) return false;
  const blob = await blobs.open(file.blobKey);
  if (!blob) return true;
  let offset = 0;
  for await (const chunk of blob.stream as AsyncIterable<Buffer>) {
    if (
      offset + chunk.length > bytes.length ||
      !chunk.equals(bytes.subarray(offset, offset + chunk.length))
    ) {
      blob.stream.destroy();
      return false;
    }
    offset += chunk.length;
  }
  return offset === bytes.length;
}
