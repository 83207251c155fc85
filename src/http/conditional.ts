// Validators and conditional requests (RFC 9110 §8.8, §13) and byte ranges (RFC 9110 §14), decided the same way
// for both paths a read can take: Fastify's routes and the raw-HTTP fast path (front-cache.ts). Pure functions of
// header values; nothing here allocates for a request that sends none of these headers.
// https://www.rfc-editor.org/rfc/rfc9110#section-13.2.2 (the order: If-None-Match, then If-Range with Range).
import { createHash } from 'node:crypto';

/**
 * A strong entity tag for bytes that never change under one name: their SHA-256, 128 bits of it in base64url.
 * Computed once when a cached answer is built, never per request.
 */
export function entityTag(content: Buffer | string): string {
  return `"${createHash('sha256').update(content).digest('base64url').slice(0, 22)}"`;
}

/**
 * The tag of the gzip twin of a representation: a different content coding is a different representation, and a
 * strong validator must tell them apart (RFC 9110 §8.8.3).
 */
export const gzipEntityTag = (identityTag: string): string => `${identityTag.slice(0, -1)}-gz"`;

/**
 * Whether If-None-Match matches `etag`, by the weak comparison that header uses (RFC 9110 §13.1.2): `*`, or any
 * listed tag whose opaque part equals ours, with or without `W/`. A malformed list matches nothing.
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const text = header.trim();
  if (text === '*') return true;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    // Separators: commas and optional white space between list members.
    if (c === 0x2c || c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    if (text.startsWith('W/', i)) i += 2;
    if (text.charCodeAt(i) !== 0x22) return false;
    const end = text.indexOf('"', i + 1);
    if (end < 0) return false;
    if (end - i + 1 === etag.length && text.startsWith(etag, i)) return true;
    i = end + 1;
  }
  return false;
}

/**
 * Whether If-Range lets a Range apply (RFC 9110 §13.1.5): only a strong tag equal to ours. A weak tag never does;
 * a date never does either, as these answers carry no Last-Modified to compare it with. No If-Range: always.
 */
export function ifRangeAllows(header: string | undefined, etag: string): boolean {
  return header === undefined || header.trim() === etag;
}

export type ByteRange = { readonly start: number; readonly end: number };

/**
 * The one range a `Range: bytes=...` header asks of `size` bytes (RFC 9110 §14.1.2): `first-last`, `first-` or
 * `-suffix`, the last position clamped to the end. `undefined` means "answer 200 with everything": no header,
 * another unit, a malformed or invalid spec (last before first), or several ranges (a server may ignore a Range
 * it does not want to serve as multipart/byteranges, §14.2). 'unsatisfiable' means 416: the range starts at or
 * after the end, or asks for a suffix of nothing.
 */
export function parseByteRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** What to answer to a GET or HEAD of a representation that has a validator. */
export type ConditionalAnswer =
  | { readonly status: 200 }
  | { readonly status: 304 }
  | { readonly status: 206; readonly range: ByteRange }
  | { readonly status: 416 };

export interface ConditionalRequest {
  readonly method?: string | undefined;
  readonly headers: {
    readonly 'if-none-match'?: string | undefined;
    readonly range?: string | undefined;
    readonly 'if-range'?: string | undefined;
  };
}

/**
 * If-None-Match first (304 for GET and HEAD), then Range, for GET only (§14.2: a server ignores Range on other
 * methods), when the representation takes ranges (package files do, JSON documents do not) and If-Range allows.
 */
export function conditionalAnswer(
  request: ConditionalRequest,
  representation: { readonly etag: string; readonly size: number; readonly ranges: boolean },
): ConditionalAnswer {
  const { headers } = request;
  if (ifNoneMatchMatches(headers['if-none-match'], representation.etag)) return { status: 304 };
  if (!representation.ranges || request.method !== 'GET' || headers.range === undefined)
    return { status: 200 };
  if (!ifRangeAllows(headers['if-range'], representation.etag)) return { status: 200 };
  const range = parseByteRange(headers.range, representation.size);
  if (range === undefined) return { status: 200 };
  if (range === 'unsatisfiable') return { status: 416 };
  return { status: 206, range };
}

/** Content-Range of a 206 or 416 (RFC 9110 §14.4). */
export const contentRange = (range: ByteRange | undefined, size: number): string =>
  range ? `bytes ${range.start}-${range.end}/${size}` : `bytes */${size}`;
