// Reads a .nupkg from disk without loading it whole: the entry list, the one root .nuspec, and the
// readme/icon/license files the nuspec names. The only file in src/nuget that does I/O.
// Why yauzl and these guards: ../../../../shared/notes/dependencies.md section 4. Embedded files:
// ../../../../shared/spec/nuget-api/implementation-guide.md#embedded-files
import { open as openFile } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { invalidInput, isNuggetError, type NuggetError, tooLarge } from '../../errors.ts';
import { toNormalizedString } from '../versioning/index.ts';
import {
  entryCollisionKey,
  entryNameProblem,
  maxExtractedPathBytes,
  printableEntryName,
  unescapeEntryName,
} from './entry-name.ts';
import { maxNuspecBytes, type Nuspec, parseNuspec } from './nuspec.ts';
import { toLowerId } from './package-id.ts';
import { type CentralRecord, checkZipLayout, unicodePathName } from './zip-layout.ts';

export interface NupkgLimits {
  /** Entries in the central directory, counted before any is read. */
  maxEntries: number;
  /** Sum of the declared uncompressed sizes of all entries. */
  maxUncompressedBytes: number;
  /** uncompressed / compressed, per entry and for the archive, once past `compressionRatioFloorBytes`. */
  maxCompressionRatio: number;
  /** Each of readme, icon and license file. */
  maxEmbeddedFileBytes: number;
}

/**
 * - maxEntries 65,534: nuget.org refuses packages with ushort.MaxValue - 1 entries or more (its
 *   PackageUploadService.CheckPackageEntryCountAsync), so no package that nuget.org takes is refused,
 *   and the slow path (one read per central directory record) stays bounded.
 * - maxUncompressedBytes 4 GiB: nuget.org's upload limit is 250 MB compressed; the biggest real
 *   packages (runtime packs) inflate to well under 1 GiB. Clients extract every entry, so this bounds
 *   what a package served from here can make a client write.
 * - maxCompressionRatio 100: deflate tops out near 1032:1, real packages sit under 16:1 (the most
 *   compressible entries are XML docs; measured on the packages in /opt/nuget/packages).
 * - maxEmbeddedFileBytes 5 MiB: nuget.org allows 1 MB for an icon and a license file; a self-hosted
 *   feed can be more generous, while each file is still read into memory.
 */
export const defaultNupkgLimits: NupkgLimits = Object.freeze({
  maxEntries: 65_534,
  maxUncompressedBytes: 4 * 1024 * 1024 * 1024,
  maxCompressionRatio: 100,
  maxEmbeddedFileBytes: 5 * 1024 * 1024,
});

/** Entries smaller than this cannot be a bomb on their own; their ratio is not checked. */
export const compressionRatioFloorBytes = 1024 * 1024;

export interface NupkgEntry {
  /** As stored in the archive (NuGet percent-encodes some characters, e.g. a space as %20). */
  readonly name: string;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
}

export interface EmbeddedFile {
  /** The entry name as stored in the archive. */
  readonly path: string;
  readonly bytes: Buffer;
}

export interface Nupkg {
  readonly nuspec: Nuspec;
  readonly nuspecBytes: Buffer;
  readonly nuspecName: string;
  readonly entries: readonly NupkgEntry[];
  readonly readme?: EmbeddedFile;
  readonly icon?: EmbeddedFile;
  readonly licenseFile?: EmbeddedFile;
  /** Has a root '.signature.p7s' entry (https://learn.microsoft.com/nuget/reference/signed-packages-reference). */
  readonly isSigned: boolean;
}

const signatureEntryName = '.signature.p7s';

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The entry name a nuspec path (icon, readme, license file) refers to, as nuget.org resolves it
 * (FileNameHelper.GetZipEntryPath): backslashes become slashes, a leading './' and leading slashes go.
 */
export function nuspecPathToEntryName(path: string): string {
  let name = path.replaceAll('\\', '/');
  if (name.startsWith('./')) name = name.slice(2);
  return name.replace(/^\/+/, '');
}

/** Translates a yauzl or zlib failure into a refusal a person can act on. */
function zipFailure(error: unknown, looksLikeZip: boolean): NuggetError {
  if (isNuggetError(error)) return error;
  const reason = reasonOf(error);
  const code = (error as { code?: unknown } | null)?.code;
  const cause = { cause: error };
  if (reason.startsWith('End of central directory record signature not found')) {
    return looksLikeZip
      ? invalidInput(
          'nupkg_truncated',
          `the package is truncated: its zip directory is missing (${reason})`,
          cause,
        )
      : invalidInput('nupkg_not_zip', `the package is not a valid zip archive: ${reason}`, cause);
  }
  if (reason === 'unexpected EOF' || reason.startsWith('file data overflows file bounds')) {
    return invalidInput('nupkg_truncated', `the package is truncated: ${reason}`, cause);
  }
  if (reason.startsWith('strong encryption')) {
    return invalidInput(
      'nupkg_encrypted_entry',
      'the package has an encrypted entry; packages cannot be encrypted',
      cause,
    );
  }
  if (
    reason.startsWith('too many bytes in the stream') ||
    reason.startsWith('not enough bytes in the stream') ||
    reason.startsWith('compressed/uncompressed size mismatch')
  ) {
    return invalidInput(
      'nupkg_entry_size_mismatch',
      `the package is corrupt: an entry's data does not match its declared size (${reason})`,
      cause,
    );
  }
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return invalidInput(
      'nupkg_corrupt_entry',
      `the package is corrupt: an entry cannot be inflated (${reason})`,
      cause,
    );
  }
  return invalidInput('nupkg_corrupt', `the package is not a valid zip archive: ${reason}`, cause);
}

/** The file's size, and whether it starts with a zip local file header (tells truncated from not-a-zip). */
async function sniff(path: string, bytes?: Buffer): Promise<{ size: number; looksLikeZip: boolean }> {
  if (bytes)
    return { size: bytes.length, looksLikeZip: bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50 };
  const handle = await openFile(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return { size, looksLikeZip: bytesRead === 4 && head.readUInt32LE(0) === 0x04034b50 };
  } finally {
    await handle.close();
  }
}

/**
 * Closes the archive and waits for its file descriptor to be released, so that a caller that deletes
 * the file next (a pushed temp file) never races an open fd. The timer is a safety net against a
 * stream still holding a reference; it never delays the normal path.
 */
function closeZip(zip: ZipFile): Promise<void> {
  // A zip read from memory holds no file descriptor (and its reader has none to release).
  if (inMemory.has(zip)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    timer.unref();
    zip.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    zip.close();
  });
}

/** Zips opened from a buffer: nothing to close. */
const inMemory = new WeakSet<ZipFile>();

function openZip(path: string, bytes?: Buffer): Promise<ZipFile> {
  // autoClose off: we close in every path ourselves. validateEntrySizes: inflating more than declared
  // fails. decodeStrings off: names are decoded as the client decodes them (decodeEntryName), not as
  // yauzl would (CP437 without the UTF-8 flag, or an Info-ZIP Unicode Path field that .NET ignores).
  const options = { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: false };
  return new Promise((resolve, reject) => {
    if (bytes) {
      yauzl.fromBuffer(bytes, options, (error, zip) => {
        if (error) return reject(error);
        inMemory.add(zip);
        resolve(zip);
      });
    } else yauzl.open(path, options, (error, zip) => (error ? reject(error) : resolve(zip)));
  });
}

interface ListedEntry {
  readonly entry: Entry;
  /** The stored name, decoded from UTF-8 as the client decodes it. */
  readonly name: string;
  /** Percent-decoded, as NuGet's PackageArchiveReader.GetFiles() sees it. */
  readonly path: string;
}

const quotedName = (name: string): string => `'${printableEntryName(name)}'`;

/**
 * The entry's name as the client reads it: .NET's ZipArchive decodes every name as UTF-8 (the .NET Framework
 * of nuget.exe uses the system code page when the UTF-8 flag is off), and ignores the Info-ZIP Unicode Path
 * field that unzip and 7-Zip prefer. A name that readers could decode differently is refused.
 */
function decodeEntryName(entry: Entry): string {
  const raw = entry.fileNameRaw;
  const shown = quotedName(raw.toString('utf8'));
  const isUtf8 = (entry.generalPurposeBitFlag & 0x0800) !== 0;
  if (!isUtf8 && raw.some((byte) => byte >= 0x80)) {
    throw invalidInput(
      'nupkg_entry_name_encoding',
      `the package has an entry whose name ${shown} is not ASCII and not marked as UTF-8, so clients decode it differently; ` +
        'set the UTF-8 flag (bit 11) or repack it with dotnet pack',
    );
  }
  let name: string;
  try {
    name = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw invalidInput(
      'nupkg_entry_name_encoding',
      `the package has an entry whose name ${shown} is not valid UTF-8`,
    );
  }
  const unicodeName = unicodePathName(entry.extraFieldRaw, raw);
  if (unicodeName !== undefined && unicodeName !== name) {
    throw invalidInput(
      'nupkg_entry_name_encoding',
      `the package has an entry named ${quotedName(name)} whose Unicode Path field names it ${quotedName(unicodeName)}; ` +
        'zip tools would extract it under another name than NuGet',
    );
  }
  return name;
}

// Unix file types in the upper bits of the external attributes, when the entry was made on Unix or macOS.
const unixHosts = new Set([3, 19]);
const unixFileType = 0o170000;
const unixRegularFile = 0o100000;
const unixDirectory = 0o040000;

function checkEntry(entry: Entry, name: string, path: string): void {
  const shown = quotedName(name);
  // The 0x0001 flag: traditional (ZipCrypto) encryption. yauzl refuses strong encryption itself.
  if (entry.isEncrypted()) {
    throw invalidInput(
      'nupkg_encrypted_entry',
      `the package has an encrypted entry ${shown}; packages cannot be encrypted`,
    );
  }
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw invalidInput(
      'nupkg_unsupported_compression',
      `the package entry ${shown} uses compression method ${entry.compressionMethod}; only stored (0) and deflate (8) are supported`,
    );
  }
  // The client extracts the percent-decoded name ('%2e%2e/x' is '../x').
  const problem = entryNameProblem(path);
  if (problem !== undefined) {
    throw invalidInput(problem.code, `the package has an entry ${problem.reason}: ${shown}`);
  }
  const isFolder = name.endsWith('/');
  if (unixHosts.has(entry.versionMadeBy >>> 8)) {
    const type = (entry.externalFileAttributes >>> 16) & unixFileType;
    if (type !== 0 && type !== unixRegularFile && !(type === unixDirectory && isFolder)) {
      const kind =
        { 0o120000: 'a symbolic link', 0o040000: "a folder whose name does not end with '/'" }[type] ??
        `a special file (Unix file type 0o${type.toString(8)})`;
      throw invalidInput(
        'nupkg_entry_not_a_file',
        `the package entry ${shown} is ${kind}; packages may hold only files and folders`,
      );
    }
  }
  if (isFolder && entry.uncompressedSize > 0) {
    throw invalidInput(
      'nupkg_folder_entry_with_data',
      `the package entry ${shown} is a folder but holds ${entry.uncompressedSize} bytes of data`,
    );
  }
}

/**
 * Entries that one client file system sees as the same file (case, composed Unicode, '.' segments), or a
 * file where another entry needs a folder: extracting them fails or keeps one of them (first come wins).
 */
function checkCollisions(listed: readonly ListedEntry[]): void {
  const files = new Map<string, string>();
  const folders = new Map<string, string>();
  const seen = new Map<string, string>();
  for (const { name, path } of listed) {
    const key = entryCollisionKey(path);
    const previous = seen.get(key);
    if (previous !== undefined) {
      throw invalidInput(
        'nupkg_duplicate_entry',
        `the package has two entries with the same name: ${quotedName(previous)} and ${quotedName(name)}`,
      );
    }
    seen.set(key, name);
    const segments = key.split('/');
    for (let end = 1; end < segments.length; end++) {
      const folder = segments.slice(0, end).join('/');
      if (!folders.has(folder)) folders.set(folder, name);
    }
    if (!key.endsWith('/')) files.set(key, name);
  }
  for (const [key, name] of files) {
    const needsFolder = folders.get(key);
    if (needsFolder !== undefined) {
      throw invalidInput(
        'nupkg_entry_path_conflict',
        `the package has a file ${quotedName(name)} where entry ${quotedName(needsFolder)} needs a folder of that name`,
      );
    }
  }
}

const ratioOf = (uncompressed: number, compressed: number): number => uncompressed / Math.max(compressed, 1);

function listEntries(zip: ZipFile, limits: NupkgLimits): Promise<ListedEntry[]> {
  return new Promise((resolve, reject) => {
    const listed: ListedEntry[] = [];
    let totalUncompressed = 0;
    let totalCompressed = 0;
    const stop = (error: unknown) => {
      zip.removeAllListeners('entry');
      zip.removeAllListeners('end');
      reject(error);
    };
    zip.on('error', stop);
    zip.on('end', () => {
      if (
        totalUncompressed >= compressionRatioFloorBytes &&
        ratioOf(totalUncompressed, totalCompressed) > limits.maxCompressionRatio
      ) {
        return stop(
          invalidInput(
            'nupkg_compression_ratio',
            `the package inflates ${Math.round(ratioOf(totalUncompressed, totalCompressed))} times its compressed size ` +
              `(more than ${limits.maxCompressionRatio}); this looks like a zip bomb`,
          ),
        );
      }
      try {
        checkCollisions(listed);
      } catch (error) {
        return stop(error);
      }
      resolve(listed);
    });
    zip.on('entry', (entry: Entry) => {
      try {
        const name = decodeEntryName(entry);
        const path = unescapeEntryName(name);
        checkEntry(entry, name, path);
        if (
          entry.uncompressedSize >= compressionRatioFloorBytes &&
          ratioOf(entry.uncompressedSize, entry.compressedSize) > limits.maxCompressionRatio
        ) {
          throw invalidInput(
            'nupkg_compression_ratio',
            `the package entry ${quotedName(name)} inflates ${Math.round(ratioOf(entry.uncompressedSize, entry.compressedSize))} ` +
              `times its compressed size (more than ${limits.maxCompressionRatio}); this looks like a zip bomb`,
          );
        }
        totalUncompressed += entry.uncompressedSize;
        totalCompressed += entry.compressedSize;
        if (totalUncompressed > limits.maxUncompressedBytes) {
          throw tooLarge(
            'nupkg_uncompressed_too_large',
            `the package declares more than ${limits.maxUncompressedBytes} bytes once extracted ` +
              `(${totalUncompressed} bytes after ${listed.length + 1} entries)`,
          );
        }
        listed.push({ entry, name, path });
        zip.readEntry();
      } catch (error) {
        stop(error);
      }
    });
    zip.readEntry();
  });
}

/** The central directory record of an entry, as checkZipLayout compares it with the local header. */
const centralRecordOf = ({ entry, name }: ListedEntry): CentralRecord => ({
  name,
  nameBytes: entry.fileNameRaw,
  flags: entry.generalPurposeBitFlag,
  method: entry.compressionMethod,
  crc32: entry.crc32,
  compressedSize: entry.compressedSize,
  uncompressedSize: entry.uncompressedSize,
  localHeaderOffset: entry.relativeOffsetOfLocalHeader,
  recordLength: 46 + entry.fileNameLength + entry.extraFieldLength + entry.fileCommentLength,
});

/** Bytes read at once by checkLayoutOf: local headers of small entries sit close together, one read serves many. */
const layoutReadWindow = 64 * 1024;

/** Runs checkZipLayout over the file at `path` with its own file handle, reading through a window. */
async function checkLayoutOf(
  path: string,
  size: number,
  listed: readonly ListedEntry[],
  bytes?: Buffer,
): Promise<void> {
  if (bytes) {
    const read = async (position: number, length: number) =>
      bytes.subarray(position, Math.max(position, Math.min(position + length, size)));
    await checkZipLayout(read, size, listed.map(centralRecordOf));
    return;
  }
  const handle = await openFile(path, 'r');
  let window = Buffer.alloc(0);
  let windowStart = 0;
  try {
    await checkZipLayout(
      async (position, length) => {
        const end = Math.min(position + length, size);
        if (position < windowStart || end > windowStart + window.length) {
          const buffer = Buffer.alloc(
            Math.max(0, Math.min(Math.max(length, layoutReadWindow), size - position)),
          );
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
          window = buffer.subarray(0, bytesRead);
          windowStart = position;
        }
        return window.subarray(position - windowStart, Math.max(position - windowStart, end - windowStart));
      },
      size,
      listed.map(centralRecordOf),
    );
  } finally {
    await handle.close();
  }
}

/** Reads one entry whole, refusing more than maxBytes and checking the CRC-32 (yauzl does not). */
async function readEntryBytes(
  zip: ZipFile,
  { entry, name }: ListedEntry,
  maxBytes: number,
  what: string,
): Promise<Buffer> {
  if (entry.uncompressedSize > maxBytes) {
    const message = `the package's ${what} ${quotedName(name)} is too large: ${entry.uncompressedSize} bytes > ${maxBytes} bytes`;
    // Same kind and code as parseNuspec's own size check, so callers see one refusal for one problem.
    throw what === 'nuspec'
      ? invalidInput('nuspec_too_large', message)
      : tooLarge('nupkg_embedded_file_too_large', message);
  }
  if (inMemory.has(zip)) return checkedCrc(await entryFromMemory(zip, entry), entry, name);
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let length = 0;
  let crc = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      length += chunk.length;
      // validateEntrySizes already stops at the declared size; this is the belt to its braces.
      if (length > maxBytes) {
        throw invalidInput(
          'nupkg_entry_size_mismatch',
          `the package is corrupt: ${quotedName(name)} inflates past ${maxBytes} bytes`,
        );
      }
      crc = crc32(chunk, crc);
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  return checkedCrc(Buffer.concat(chunks, length), entry, name, crc);
}

function checkedCrc(bytes: Buffer, entry: Entry, name: string, crc = crc32(bytes)): Buffer {
  if (crc !== entry.crc32) {
    throw invalidInput(
      'nupkg_crc_mismatch',
      `the package is corrupt: the checksum of ${quotedName(name)} does not match (CRC-32 ${crc.toString(16)} != ${entry.crc32.toString(16)})`,
    );
  }
  return bytes;
}

/**
 * An entry of a zip read from memory, inflated at once on the event loop (an entry that fits under the in-memory
 * limit inflates in microseconds) instead of through a zlib stream on libuv's thread pool. The errors are the
 * stream's own words (yauzl's bounds check, its size check with validateEntrySizes, zlib's codes), so zipFailure
 * gives both ways the same refusal.
 */
async function entryFromMemory(zip: ZipFile, entry: Entry): Promise<Buffer> {
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
    throw new Error(`unsupported compression method: ${entry.compressionMethod}`);
  const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
  const raw = (zip as unknown as { reader: { buffer: Buffer } }).reader.buffer.subarray(
    fileDataStart,
    fileDataStart + entry.compressedSize,
  );
  const expected = entry.uncompressedSize;
  const tooMany = () =>
    new Error(`too many bytes in the stream. expected ${expected}. got at least ${expected + 1}`);
  let bytes: Buffer;
  if (entry.compressionMethod === 0) bytes = raw;
  else {
    try {
      bytes = inflateRawSync(raw, { maxOutputLength: expected + 1 });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooMany();
      throw error;
    }
  }
  if (bytes.length > expected) throw tooMany();
  if (bytes.length < expected)
    throw new Error(`not enough bytes in the stream. expected ${expected}. got only ${bytes.length}`);
  return bytes;
}

function findRootNuspec(listed: readonly ListedEntry[]): ListedEntry {
  const isNuspec = (item: ListedEntry) => item.path.toLowerCase().endsWith('.nuspec');
  const atRoot = listed.filter((item) => isNuspec(item) && !item.path.includes('/'));
  if (atRoot.length > 1) {
    throw invalidInput(
      'nupkg_multiple_nuspecs',
      `the package has ${atRoot.length} .nuspec files at its root (${atRoot.map((item) => quotedName(item.name)).join(', ')}); it must have exactly one`,
    );
  }
  const [nuspec] = atRoot;
  if (nuspec !== undefined) return nuspec;
  const nested = listed.find(isNuspec);
  if (nested !== undefined) {
    throw invalidInput(
      'nupkg_nuspec_not_at_root',
      `the package's .nuspec ${quotedName(nested.name)} is in a folder; it must be at the root of the package`,
    );
  }
  throw invalidInput('nupkg_missing_nuspec', 'the package has no .nuspec file at its root');
}

async function readEmbedded(
  zip: ZipFile,
  listed: readonly ListedEntry[],
  nuspecPath: string | undefined,
  what: 'readme' | 'icon' | 'license file',
  limits: NupkgLimits,
): Promise<EmbeddedFile | undefined> {
  if (nuspecPath === undefined) return undefined;
  const name = nuspecPathToEntryName(nuspecPath);
  // Exact match on the percent-decoded name, as nuget.org does (a HashSet over GetFiles()).
  const found = listed.find((item) => item.path === name && !item.path.endsWith('/'));
  if (found === undefined) {
    const differentCase = listed.find((item) => item.path.toLowerCase() === name.toLowerCase());
    const hint =
      differentCase === undefined ? '' : ` (it has ${quotedName(differentCase.name)}, which differs in case)`;
    throw invalidInput(
      `nupkg_missing_${what === 'license file' ? 'license' : what}`,
      `nuspec names ${what} '${nuspecPath}' but the package has no such file${hint}`,
    );
  }
  const bytes = await readEntryBytes(zip, found, limits.maxEmbeddedFileBytes, what);
  return { path: found.name, bytes };
}

interface GuardedArchive {
  readonly zip: ZipFile;
  readonly effective: NupkgLimits;
  readonly looksLikeZip: boolean;
  readonly listed: Awaited<ReturnType<typeof listEntries>>;
  readonly nuspecEntry: ReturnType<typeof findRootNuspec>;
  readonly nuspecBytes: Buffer;
}

/**
 * What every package reader does first: refuse an empty file, open the zip, bound the entry count, list and check
 * every entry, check that the archive's layout is unambiguous, and read the one root .nuspec. The zip is closed
 * again if any of it fails.
 */
async function openGuarded(
  path: string,
  limits?: Partial<NupkgLimits>,
  bytes?: Buffer,
): Promise<GuardedArchive> {
  const effective: NupkgLimits = { ...defaultNupkgLimits, ...limits };
  const { size, looksLikeZip } = await sniff(path, bytes);
  if (size === 0) throw invalidInput('nupkg_empty', 'the package file is empty (0 bytes)');
  let zip: ZipFile;
  try {
    zip = await openZip(path, bytes);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') throw error;
    throw zipFailure(error, looksLikeZip);
  }
  try {
    if (zip.entryCount > effective.maxEntries) {
      throw tooLarge(
        'nupkg_too_many_entries',
        `the package has ${zip.entryCount} entries; at most ${effective.maxEntries} are allowed`,
      );
    }
    const listed = await listEntries(zip, effective);
    await checkLayoutOf(path, size, listed, bytes);
    const nuspecEntry = findRootNuspec(listed);
    const nuspecBytes = await readEntryBytes(zip, nuspecEntry, maxNuspecBytes, 'nuspec');
    return { zip, effective, looksLikeZip, listed, nuspecEntry, nuspecBytes };
  } catch (error) {
    await closeZip(zip);
    throw zipFailure(error, looksLikeZip);
  }
}

/**
 * Restore extracts to <global packages folder>/<lower id>/<lower version>/<path>: even with the shortest
 * folder, a longer path cannot be opened on macOS (PATH_MAX), so no client could restore the package.
 */
function checkExtractedPaths(nuspec: Nuspec, listed: readonly ListedEntry[]): void {
  const folder = `/${toLowerId(nuspec.id)}/${toNormalizedString(nuspec.version).toLowerCase()}/`;
  for (const { name, path } of listed) {
    const bytes = Buffer.byteLength(folder + path, 'utf8');
    if (bytes > maxExtractedPathBytes) {
      throw invalidInput(
        'nupkg_entry_name_too_long',
        `the package has an entry whose path, extracted to '${folder}', takes ${bytes} bytes; clients open at most ` +
          `${maxExtractedPathBytes}: ${quotedName(name)}`,
      );
    }
  }
}

/**
 * Reads and validates the nupkg at `path`. Every refusal is a NuggetError with its own code:
 * nupkg_empty, nupkg_not_zip, nupkg_truncated, nupkg_corrupt, nupkg_corrupt_entry, nupkg_too_many_entries,
 * nupkg_uncompressed_too_large, nupkg_compression_ratio, nupkg_entry_size_mismatch, nupkg_crc_mismatch,
 * nupkg_entry_name_traversal, nupkg_entry_name_absolute, nupkg_entry_name_backslash, nupkg_entry_name_empty,
 * nupkg_entry_name_invalid_character, nupkg_entry_name_trailing_dot_or_space, nupkg_entry_name_reserved,
 * nupkg_entry_name_too_long, nupkg_entry_name_encoding, nupkg_entry_not_a_file, nupkg_folder_entry_with_data,
 * nupkg_entry_path_conflict, nupkg_local_header_mismatch, nupkg_overlapping_entries, nupkg_unexpected_bytes,
 * nupkg_archive_comment, nupkg_end_record_mismatch, nupkg_encrypted_entry,
 * nupkg_unsupported_compression, nupkg_duplicate_entry, nupkg_missing_nuspec, nupkg_multiple_nuspecs,
 * nupkg_nuspec_not_at_root, nupkg_missing_readme, nupkg_missing_icon, nupkg_missing_license,
 * nupkg_embedded_file_too_large, plus the nuspec_* codes of parseNuspec.
 * A missing or unreadable file is not the package's fault: that error (ENOENT, ...) passes through.
 * `bytes`, when the caller holds the file's whole content (a small push, kept while it was received), is read
 * instead of the file: the same checks, without the dozen file reads of a zip on disk (issue 17).
 */
export async function readNupkg(path: string, limits?: Partial<NupkgLimits>, bytes?: Buffer): Promise<Nupkg> {
  const { zip, effective, looksLikeZip, listed, nuspecEntry, nuspecBytes } = await openGuarded(
    path,
    limits,
    bytes,
  );
  try {
    const nuspec = parseNuspec(nuspecBytes);
    checkExtractedPaths(nuspec, listed);
    const readme = await readEmbedded(zip, listed, nuspec.readme, 'readme', effective);
    const icon = await readEmbedded(zip, listed, nuspec.icon, 'icon', effective);
    const licenseFile = await readEmbedded(
      zip,
      listed,
      nuspec.license?.type === 'file' ? nuspec.license.value : undefined,
      'license file',
      effective,
    );
    const nupkg: { -readonly [K in keyof Nupkg]: Nupkg[K] } = {
      nuspec,
      nuspecBytes,
      nuspecName: nuspecEntry.name,
      entries: listed.map(({ entry, name }) => ({
        name,
        compressedSize: entry.compressedSize,
        uncompressedSize: entry.uncompressedSize,
      })),
      isSigned: listed.some((item) => item.name === signatureEntryName),
    };
    if (readme !== undefined) nupkg.readme = readme;
    if (icon !== undefined) nupkg.icon = icon;
    if (licenseFile !== undefined) nupkg.licenseFile = licenseFile;
    return nupkg;
  } catch (error) {
    throw zipFailure(error, looksLikeZip);
  } finally {
    await closeZip(zip);
  }
}

export interface PackageArchiveEntry extends NupkgEntry {
  /** Percent-decoded, as NuGet's PackageArchiveReader.GetFiles() sees it. */
  readonly path: string;
}

/** A package opened for reading entries one at a time; close() it when done. */
export interface PackageArchive {
  readonly entries: readonly PackageArchiveEntry[];
  /** The root .nuspec, unparsed: a symbol package's nuspec does not follow every rule of a package's. */
  readonly nuspecName: string;
  readonly nuspecBytes: Buffer;
  /** Reads the entry with this stored name whole (CRC-checked); more than maxBytes is TooLarge. */
  readFile(entryName: string, maxBytes: number): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * Opens any package-shaped zip (a .snupkg, or a stored .nupkg) with every guard of readNupkg (entry count,
 * sizes, compression ratio, names, one root .nuspec) but without parsing the nuspec, so the caller reads the
 * entries it needs. Refusals carry readNupkg's codes.
 */
export async function openPackageArchive(
  path: string,
  limits?: Partial<NupkgLimits>,
): Promise<PackageArchive> {
  const { zip, looksLikeZip, listed, nuspecEntry, nuspecBytes } = await openGuarded(path, limits);
  try {
    const byName = new Map(listed.map((item) => [item.name, item]));
    let closed: Promise<void> | undefined;
    return {
      entries: listed.map(({ entry, name, path: decoded }) => ({
        name,
        path: decoded,
        compressedSize: entry.compressedSize,
        uncompressedSize: entry.uncompressedSize,
      })),
      nuspecName: nuspecEntry.name,
      nuspecBytes,
      async readFile(entryName, maxBytes) {
        const entry = byName.get(entryName);
        if (entry === undefined) throw new RangeError(`the package has no entry '${entryName}'`);
        try {
          return await readEntryBytes(zip, entry, maxBytes, 'file');
        } catch (error) {
          throw zipFailure(error, looksLikeZip);
        }
      },
      // Idempotent: callers may close early (before moving the file) and again in a finally.
      close: () => (closed ??= closeZip(zip)),
    };
  } catch (error) {
    await closeZip(zip);
    throw zipFailure(error, looksLikeZip);
  }
}
