// The package part of a multipart/form-data push body, as a stream of the .nupkg's bytes.
// Spec: ../shared/spec/nuget-api/package-publish-resource.md ("the first item in the request body is the raw bytes
// of the .nupkg ... Subsequent items in the multipart body are ignored"). Framing: RFC 2046 §5.1.1 and RFC 7578.
//
// Read leniently, as the servers these clients were written against do (docs/decisions/0009-lenient-multipart.md):
// real clients frame the body in more ways than RFC 2046 allows. paket 12 on Linux and macOS writes a bare LF
// before the closing delimiter (Environment.NewLine), and others end without the final CRLF, send a preamble or an
// epilogue, quote the boundary or not, or add parts. So a line may end in CRLF or LF anywhere in the framing (the
// delimiter is LF--boundary, with the CR before it taken as part of it when present), the close delimiter needs
// nothing after it, and what follows the package part is read and dropped. What stays refused: a body that ends
// before the package part's closing delimiter (truncated), a body with no part or no file part, and part headers
// or part counts beyond sane bounds.
import { MIMEType } from 'node:util';
import { Transform, type TransformCallback } from 'node:stream';
import { invalidInput, type NuggetError } from '../errors.ts';

/** RFC 2046 allows 70 characters; more is not a boundary a client picked. */
const maxBoundaryLength = 200;
/** One part's header block (the NuGet client sends about 150 bytes). */
const maxPartHeaderBytes = 16 * 1024;
/** Parts read before the package, and after it (an epilogue of parts is still read to the end of the body). */
const maxParts = 100;

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;

/** The boundary of a multipart/form-data Content-Type, quoted or not; undefined when it is not multipart. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  let boundary: string | null | undefined;
  try {
    boundary = new MIMEType(contentType).params.get('boundary');
  } catch {
    boundary = undefined;
  }
  if (!boundary || boundary.length > maxBoundaryLength) {
    throw invalidInput(
      'push_malformed_multipart',
      'The push is multipart/form-data without a usable boundary in its Content-Type ' +
        `(${JSON.stringify(contentType.slice(0, 300))}): send "multipart/form-data; boundary=<1 to 70 characters>".`,
    );
  }
  return boundary;
}

type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'epilogue';

const malformed = (why: string): NuggetError =>
  invalidInput(
    'push_malformed_multipart',
    `The push body is not valid multipart/form-data (${why}): send the .nupkg as a file part.`,
  );

/**
 * A form field, skipped when looking for the package: it names no file and carries text. Anything else (a file
 * name, a binary Content-Type, no Content-Disposition at all) is a file, and the first file is the package.
 */
function isFormField(headers: ReadonlyMap<string, string>): boolean {
  const disposition = headers.get('content-disposition');
  if (disposition === undefined || /(^|;)\s*filename\*?\s*=/i.test(disposition)) return false;
  const type = headers.get('content-type');
  return type === undefined || /^\s*text\//i.test(type);
}

export interface MultipartPackageOptions {
  /** The most the whole body may hold: the package limit and room for the framing and other parts. */
  readonly maxBytes: number;
  readonly tooLarge: () => Error;
  /** Called for every chunk that arrives (the stall watchdog), whichever part it belongs to. */
  readonly onData?: () => void;
}

/**
 * A Transform from the raw request body to the bytes of its package part. It reads the body to its end (parts after
 * the package are dropped), so the connection stays usable, and fails the pipeline with a NuggetError when the body
 * is not one it can take.
 */
export class MultipartPackagePart extends Transform {
  readonly #delimiter: Buffer;
  readonly #options: MultipartPackageOptions;
  #bytes = 0;
  // The virtual LF lets a body that starts with the first delimiter (no preamble) match like any other.
  #pending: Buffer = Buffer.from([LF]);
  #state: State = 'preamble';
  #headers = new Map<string, string>();
  #lastHeader: string | undefined;
  #headerBytes = 0;
  #parts = 0;
  #inPackage = false;
  #packageDone = false;

  constructor(boundary: string, options: MultipartPackageOptions) {
    super();
    this.#delimiter = Buffer.from(`\n--${boundary}`, 'latin1');
    this.#options = options;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#options.onData?.();
    this.#bytes += chunk.length;
    // The package itself is measured where it is stored; this bounds what comes around it.
    if (this.#bytes > this.#options.maxBytes) {
      callback(this.#options.tooLarge());
      return;
    }
    if (this.#state === 'epilogue') {
      callback();
      return;
    }
    this.#pending = this.#withChunk(chunk);
    try {
      this.#consume();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.#packageDone) callback();
    else if (this.#state === 'preamble') {
      callback(malformed('no part starts with the boundary that its Content-Type names'));
    } else if (this.#state === 'epilogue') {
      callback(
        invalidInput(
          'push_no_file',
          'The push has no file part: send the .nupkg as the first multipart file.',
        ),
      );
    } else {
      callback(
        invalidInput(
          'push_body_incomplete',
          `The push body ended ${this.#inPackage ? 'inside the package' : 'inside a part'}, before the ` +
            'multipart boundary that closes it: the upload was cut off. Push again.',
        ),
      );
    }
  }

  /**
   * What is left to read once `chunk` arrived. Inside a part's body only a delimiter's first bytes (and the CR
   * before them) are ever held back from the chunk before, so unless a delimiter starts in them, they are part's
   * bytes and the chunk is read where it lies: no copy of a large push's every chunk (issue 17). Anything else
   * (headers, a delimiter across the two) is joined, which copies a few bytes or a small chunk.
   */
  #withChunk(chunk: Buffer): Buffer {
    const held = this.#pending;
    if (held.length === 0) return chunk;
    const delimiter = this.#delimiter;
    if (
      (this.#state === 'body' || this.#state === 'preamble') &&
      chunk.length > delimiter.length &&
      Buffer.concat([held, chunk.subarray(0, delimiter.length)]).indexOf(delimiter) === -1
    ) {
      // No delimiter starts in what was held back (one would end within the chunk's first bytes), nor at the
      // chunk's start with a CR held before it.
      this.#emit(held);
      return chunk;
    }
    return Buffer.concat([held, chunk]);
  }

  #consume(): void {
    for (;;) {
      switch (this.#state) {
        case 'preamble':
        case 'body':
          if (!this.#consumeUntilDelimiter()) return;
          break;
        case 'after-delimiter':
          if (!this.#consumeDelimiterLineEnd()) return;
          break;
        case 'headers':
          if (!this.#consumeHeaderLine()) return;
          break;
        case 'epilogue':
          this.#pending = Buffer.alloc(0);
          return;
      }
    }
  }

  /** Passes on (package) or drops (preamble, other parts) the bytes before the next delimiter. */
  #consumeUntilDelimiter(): boolean {
    const at = this.#pending.indexOf(this.#delimiter);
    if (at === -1) {
      // Keep what may be the start of a delimiter, and the CR that may come before it.
      const keep = Math.min(this.#pending.length, this.#delimiter.length);
      this.#emit(this.#pending.subarray(0, this.#pending.length - keep));
      this.#pending = this.#pending.subarray(this.#pending.length - keep);
      return false;
    }
    const end = at > 0 && this.#pending[at - 1] === CR ? at - 1 : at;
    this.#emit(this.#pending.subarray(0, end));
    if (this.#inPackage) {
      this.#inPackage = false;
      this.#packageDone = true;
    }
    this.#pending = this.#pending.subarray(at + this.#delimiter.length);
    this.#state = 'after-delimiter';
    return true;
  }

  #emit(bytes: Buffer): void {
    if (this.#inPackage && bytes.length > 0) this.push(bytes);
  }

  /** After `--boundary`: `--` closes the body; otherwise optional padding, then a line end, then part headers. */
  #consumeDelimiterLineEnd(): boolean {
    const pending = this.#pending;
    if (pending.length < 2) return false;
    if (pending[0] === DASH && pending[1] === DASH) {
      this.#state = 'epilogue';
      return true;
    }
    let i = 0;
    while (i < pending.length && (pending[i] === 0x20 || pending[i] === 0x09)) i++;
    if (i > 256) throw malformed('white space without end after a boundary');
    if (i === pending.length || (pending[i] === CR && i + 1 === pending.length)) return false;
    if (pending[i] === LF) i += 1;
    else if (pending[i] === CR && pending[i + 1] === LF) i += 2;
    else throw malformed('a boundary is followed by other characters on its line');
    this.#pending = pending.subarray(i);
    if (++this.#parts > maxParts) throw malformed(`more than ${maxParts} parts`);
    this.#state = 'headers';
    this.#headers = new Map();
    this.#lastHeader = undefined;
    this.#headerBytes = 0;
    return true;
  }

  /** One header line (CRLF or LF); an empty line ends the headers and starts the part's body. */
  #consumeHeaderLine(): boolean {
    const at = this.#pending.indexOf(LF);
    if (at === -1) {
      if (this.#headerBytes + this.#pending.length > maxPartHeaderBytes) throw this.#headersTooLong();
      return false;
    }
    this.#headerBytes += at + 1;
    if (this.#headerBytes > maxPartHeaderBytes) throw this.#headersTooLong();
    const end = at > 0 && this.#pending[at - 1] === CR ? at - 1 : at;
    const line = this.#pending.subarray(0, end).toString('latin1');
    this.#pending = this.#pending.subarray(at + 1);
    if (line === '') {
      this.#state = 'body';
      this.#inPackage = !this.#packageDone && !isFormField(this.#headers);
      return true;
    }
    if ((line.startsWith(' ') || line.startsWith('\t')) && this.#lastHeader !== undefined) {
      // An obsolete folded line continues the header before it (RFC 5322 §2.2.3).
      this.#headers.set(this.#lastHeader, `${this.#headers.get(this.#lastHeader) ?? ''} ${line.trim()}`);
      return true;
    }
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw malformed(`a part header line is not "Name: value": ${JSON.stringify(line.slice(0, 100))}`);
    this.#lastHeader = line.slice(0, colon).trim().toLowerCase();
    this.#headers.set(this.#lastHeader, line.slice(colon + 1).trim());
    return true;
  }

  #headersTooLong(): NuggetError {
    return malformed(`a part's headers are longer than ${maxPartHeaderBytes / 1024} KB`);
  }
}
