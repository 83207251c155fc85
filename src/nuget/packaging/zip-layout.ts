// A zip describes every entry twice: in the central directory (what yauzl, .NET's ZipArchive and so the NuGet
// client read) and in a local header before the entry's data (what streaming readers, virus scanners and
// many unzip tools read). When the two disagree, or entries share bytes, or bytes sit outside every record,
// different readers see different packages: what this server checked is not what a client extracts (a
// 34 KB package of overlapping entries writes 288 MB). This checks that the archive is one unambiguous
// thing: each local header says what its central record says, and the records, the data and the end
// records tile the file exactly, with nothing between or around them.
// Format: PKWARE APPNOTE.TXT 4.3.6 to 4.3.16, 4.4.4 (flags), 4.5.3 (zip64 extra field).
import { crc32 } from 'node:zlib';
import { invalidInput, type NuggetError } from '../../errors.ts';
import { printableEntryName } from './entry-name.ts';

/** Reads up to `length` bytes at `position` (fewer at the end of the file). */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

/** One central directory record, sizes and offset already resolved from its zip64 extra field. */
export interface CentralRecord {
  readonly name: string;
  readonly nameBytes: Uint8Array;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  /** 46 + name + extra + comment lengths. */
  readonly recordLength: number;
}

interface Span {
  readonly start: number;
  readonly end: number;
  readonly what: string;
}

const localHeaderSignature = 0x04034b50;
const dataDescriptorSignature = 0x08074b50;
const endRecordSignature = 0x06054b50;
const zip64EndRecordSignature = 0x06064b50;
const zip64LocatorSignature = 0x07064b50;
const mask16 = 0xffff;
const mask32 = 0xffffffff;
/** Flag bits that change how an entry is read: encrypted, data descriptor, strong encryption, UTF-8, masked. */
const meaningfulFlags = 0x0001 | 0x0008 | 0x0040 | 0x0800 | 0x2000;

const u64 = (buffer: Buffer, at: number): number => Number(buffer.readBigUInt64LE(at));
const quoted = (record: CentralRecord): string => `'${printableEntryName(record.name)}'`;

function inconsistent(code: string, message: string): NuggetError {
  return invalidInput(code, `the package is not a consistent zip archive: ${message}`);
}

/** The zip64 extra field (id 1) of a local header: the sizes it gives for the fields set to 0xFFFFFFFF. */
function localZip64Sizes(
  extra: Buffer,
  compressed32: number,
  uncompressed32: number,
): { compressed: number; uncompressed: number } {
  let compressed = compressed32;
  let uncompressed = uncompressed32;
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    const data = extra.subarray(at + 4, at + 4 + size);
    at += 4 + size;
    if (id !== 0x0001) continue;
    let index = 0;
    if (uncompressed32 === mask32 && index + 8 <= data.length) {
      uncompressed = u64(data, index);
      index += 8;
    }
    if (compressed32 === mask32 && index + 8 <= data.length) compressed = u64(data, index);
    break;
  }
  return { compressed, uncompressed };
}

/** The name an Info-ZIP Unicode Path field (0x7075) gives, when its CRC says it belongs to `nameBytes`. */
export function unicodePathName(extra: Uint8Array, nameBytes: Uint8Array): string | undefined {
  const buffer = Buffer.from(extra.buffer, extra.byteOffset, extra.byteLength);
  for (let at = 0; at + 4 <= buffer.length;) {
    const id = buffer.readUInt16LE(at);
    const size = buffer.readUInt16LE(at + 2);
    const data = buffer.subarray(at + 4, at + 4 + size);
    at += 4 + size;
    if (id !== 0x7075 || data.length < 5 || data.readUInt8(0) !== 1) continue;
    if (data.readUInt32LE(1) !== crc32(nameBytes)) continue;
    return data.subarray(5).toString('utf8');
  }
  return undefined;
}

/** Checks the local record of `record` against it; returns the span of the local record (header to descriptor). */
async function checkLocalRecord(read: ReadAt, record: CentralRecord): Promise<Span> {
  const at = record.localHeaderOffset;
  const guess = 30 + record.nameBytes.length + 256;
  let header = await read(at, guess);
  if (header.length < 30 || header.readUInt32LE(0) !== localHeaderSignature) {
    throw inconsistent(
      'nupkg_local_header_mismatch',
      `the central directory puts entry ${quoted(record)} at offset ${at}, where there is no local header`,
    );
  }
  const nameLength = header.readUInt16LE(26);
  const extraLength = header.readUInt16LE(28);
  if (header.length < 30 + nameLength + extraLength) header = await read(at, 30 + nameLength + extraLength);
  const name = header.subarray(30, 30 + nameLength);
  const extra = header.subarray(30 + nameLength, 30 + nameLength + extraLength);
  const mismatch = (what: string, local: string | number, central: string | number) =>
    inconsistent(
      'nupkg_local_header_mismatch',
      `the local header of entry ${quoted(record)} gives another ${what} (${local}) than the central directory (${central})`,
    );
  if (!name.equals(record.nameBytes)) {
    throw mismatch('name', `'${printableEntryName(name.toString('utf8'))}'`, quoted(record));
  }
  const unicodeName = unicodePathName(extra, name);
  if (unicodeName !== undefined && unicodeName !== record.name) {
    throw mismatch('Unicode path name', `'${printableEntryName(unicodeName)}'`, quoted(record));
  }
  const flags = header.readUInt16LE(6);
  if ((flags & meaningfulFlags) !== (record.flags & meaningfulFlags)) {
    throw mismatch('flags', `0x${flags.toString(16)}`, `0x${record.flags.toString(16)}`);
  }
  const method = header.readUInt16LE(8);
  if (method !== record.method) throw mismatch('compression method', method, record.method);

  const crc = header.readUInt32LE(14);
  const { compressed, uncompressed } = localZip64Sizes(
    extra,
    header.readUInt32LE(18),
    header.readUInt32LE(22),
  );
  const hasDescriptor = (record.flags & 0x0008) !== 0;
  // With a data descriptor the local header may leave the CRC and sizes 0; what it does give must agree.
  const agrees = (local: number, central: number) => local === central || (hasDescriptor && local === 0);
  if (!agrees(crc, record.crc32)) throw mismatch('CRC-32', crc.toString(16), record.crc32.toString(16));
  if (!agrees(compressed, record.compressedSize)) {
    throw mismatch('compressed size', compressed, record.compressedSize);
  }
  if (!agrees(uncompressed, record.uncompressedSize)) {
    throw mismatch('uncompressed size', uncompressed, record.uncompressedSize);
  }
  const dataEnd = at + 30 + nameLength + extraLength + record.compressedSize;
  const end = hasDescriptor ? dataEnd + (await descriptorLength(read, record, dataEnd)) : dataEnd;
  return { start: at, end, what: `entry ${quoted(record)}` };
}

/** The length of the data descriptor at `at`, in whichever of its four forms agrees with the central record. */
async function descriptorLength(read: ReadAt, record: CentralRecord, at: number): Promise<number> {
  const bytes = await read(at, 24);
  for (const signed of [true, false]) {
    if (signed && (bytes.length < 4 || bytes.readUInt32LE(0) !== dataDescriptorSignature)) continue;
    const start = signed ? 4 : 0;
    for (const width of [4, 8]) {
      const length = start + 4 + 2 * width;
      if (bytes.length < length) continue;
      const size = (index: number) =>
        width === 4 ? bytes.readUInt32LE(start + 4 + index * 4) : u64(bytes, start + 4 + index * 8);
      if (
        bytes.readUInt32LE(start) === record.crc32 &&
        size(0) === record.compressedSize &&
        size(1) === record.uncompressedSize
      ) {
        return length;
      }
    }
  }
  throw inconsistent(
    'nupkg_local_header_mismatch',
    `the data descriptor after entry ${quoted(record)} does not give the CRC-32 and sizes of its central directory record`,
  );
}

interface EndRecords {
  readonly centralDirectoryOffset: number;
  readonly centralDirectorySize: number;
  readonly spans: readonly Span[];
}

// Signatures of zip records: a comment holding one can make another reader find another archive.
const recordSignatures = [0x04034b50, 0x02014b50, 0x06054b50, 0x06064b50, 0x07064b50, 0x08074b50].map(
  (value) => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value);
    return bytes;
  },
);

/** Finds the end record as yauzl does (the last signature), and the zip64 end record it points to. */
async function readEndRecords(read: ReadAt, fileSize: number): Promise<EndRecords> {
  const tailLength = Math.min(fileSize, 22 + 0xffff);
  const tail = await read(fileSize - tailLength, tailLength);
  let index = tail.length - 22;
  while (index >= 0 && tail.readUInt32LE(index) !== endRecordSignature) index -= 1;
  if (index < 0)
    throw inconsistent('nupkg_end_record_mismatch', 'its end of central directory record is missing');
  const endOffset = fileSize - tailLength + index;
  const end = tail.subarray(index);
  const comment = end.subarray(22);
  if (recordSignatures.some((signature) => comment.includes(signature))) {
    throw inconsistent(
      'nupkg_archive_comment',
      'its archive comment holds zip records (another archive may be hidden in it); remove the comment',
    );
  }
  const fields = {
    disk: end.readUInt16LE(4),
    centralDirectoryDisk: end.readUInt16LE(6),
    entriesOnDisk: end.readUInt16LE(8),
    entries: end.readUInt16LE(10),
    size: end.readUInt32LE(12),
    offset: end.readUInt32LE(16),
  };
  const spans: Span[] = [{ start: endOffset, end: fileSize, what: 'the end of central directory record' }];
  const locatorOffset = endOffset - 20;
  const locator = locatorOffset >= 0 ? await read(locatorOffset, 20) : Buffer.alloc(0);
  if (locator.length < 20 || locator.readUInt32LE(0) !== zip64LocatorSignature) {
    if (fields.disk !== 0 || fields.centralDirectoryDisk !== 0 || fields.entriesOnDisk !== fields.entries) {
      throw inconsistent('nupkg_end_record_mismatch', 'its end record describes a multi-disk archive');
    }
    return { centralDirectoryOffset: fields.offset, centralDirectorySize: fields.size, spans };
  }
  // yauzl reads the zip64 record whenever a locator is there; .NET only when the end record says so (a field
  // set to all ones). Both must then find the same values.
  const recordOffset = u64(locator, 8);
  const record = await read(recordOffset, 56);
  if (record.length < 56 || record.readUInt32LE(0) !== zip64EndRecordSignature) {
    throw inconsistent(
      'nupkg_end_record_mismatch',
      'its zip64 end record locator points at no zip64 end record',
    );
  }
  const zip64 = {
    disk: record.readUInt32LE(16),
    centralDirectoryDisk: record.readUInt32LE(20),
    entriesOnDisk: u64(record, 24),
    entries: u64(record, 32),
    size: u64(record, 40),
    offset: u64(record, 48),
  };
  const recordLength = 12 + u64(record, 4);
  const agree = (value: number, zip64Value: number, mask: number) => value === mask || value === zip64Value;
  if (
    locator.readUInt32LE(4) !== 0 ||
    locator.readUInt32LE(16) > 1 ||
    zip64.disk !== 0 ||
    zip64.centralDirectoryDisk !== 0 ||
    zip64.entriesOnDisk !== zip64.entries ||
    recordLength < 56 ||
    !agree(fields.disk, 0, mask16) ||
    !agree(fields.centralDirectoryDisk, 0, mask16) ||
    !agree(fields.entriesOnDisk, zip64.entries, mask16) ||
    !agree(fields.entries, zip64.entries, mask16) ||
    !agree(fields.size, zip64.size, mask32) ||
    !agree(fields.offset, zip64.offset, mask32)
  ) {
    throw inconsistent(
      'nupkg_end_record_mismatch',
      `its zip64 end record (${zip64.entries} entries, central directory of ${zip64.size} bytes at ${zip64.offset}) ` +
        `and its end record (${fields.entries} entries, ${fields.size} bytes at ${fields.offset}) describe different archives`,
    );
  }
  spans.push(
    { start: locatorOffset, end: endOffset, what: 'the zip64 end record locator' },
    { start: recordOffset, end: recordOffset + recordLength, what: 'the zip64 end record' },
  );
  return { centralDirectoryOffset: zip64.offset, centralDirectorySize: zip64.size, spans };
}

/**
 * Refuses an archive whose local headers disagree with its central directory, whose entries overlap, or that
 * has bytes outside its records. `records` are every central directory record, in directory order.
 */
export async function checkZipLayout(
  read: ReadAt,
  fileSize: number,
  records: readonly CentralRecord[],
): Promise<void> {
  const ends = await readEndRecords(read, fileSize);
  const directoryLength = records.reduce((sum, record) => sum + record.recordLength, 0);
  if (directoryLength !== ends.centralDirectorySize) {
    throw inconsistent(
      'nupkg_end_record_mismatch',
      `its central directory is ${ends.centralDirectorySize} bytes long but its ${records.length} records take ${directoryLength}`,
    );
  }
  const spans: Span[] = [
    ...ends.spans,
    {
      start: ends.centralDirectoryOffset,
      end: ends.centralDirectoryOffset + ends.centralDirectorySize,
      what: 'the central directory',
    },
  ];
  // In file order, so that the reader's window serves neighbouring headers.
  const inFileOrder = [...records].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (const record of inFileOrder) spans.push(await checkLocalRecord(read, record));
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  let covered = 0;
  let previous: Span | undefined;
  for (const span of spans) {
    if (span.end > fileSize) {
      throw invalidInput(
        'nupkg_truncated',
        `the package is truncated: ${span.what} runs to byte ${span.end}, past the end of the file (${fileSize} bytes)`,
      );
    }
    if (span.start < covered && previous !== undefined) {
      throw inconsistent(
        'nupkg_overlapping_entries',
        `${span.what} (bytes ${span.start} to ${span.end}) overlaps ${previous.what} (bytes ${previous.start} to ${previous.end}); ` +
          'entries must not share bytes',
      );
    }
    if (span.start > covered) {
      throw inconsistent(
        'nupkg_unexpected_bytes',
        `bytes ${covered} to ${span.start} ${previous === undefined ? 'at its start' : `after ${previous.what}`} belong to no entry`,
      );
    }
    covered = span.end;
    previous = span;
  }
  if (covered !== fileSize) {
    throw inconsistent(
      'nupkg_unexpected_bytes',
      `bytes ${covered} to ${fileSize} at its end belong to no record`,
    );
  }
}
