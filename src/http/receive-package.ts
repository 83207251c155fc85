// Receives a push body into a temporary file: never the whole package in memory, hashed on the way,
// cut off at the size limit. The NuGet client sends multipart/form-data with a quoted boundary, chunked,
// without Content-Length (../shared/notes/client-behaviour.md §1.5), other clients other framings (read by
// multipart-package.ts); some send the raw nupkg.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream';
import type { Readable } from 'node:stream';
import { finished as streamFinished, pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { humanDuration } from '../duration.ts';
import { fileSystemFault, invalidInput, timedOut, tooLarge } from '../errors.ts';
import type { UploadedPackage } from '../packages/publish-package.ts';
import { MultipartPackagePart, multipartBoundary } from './multipart-package.ts';
import { PackageFileSink } from '../storage/package-file-sink.ts';
import type { RequestBodyPolicy } from './request-guards.ts';

export interface ReceivedPackage extends UploadedPackage {
  /** Removes the temporary file if publishing did not move it. */
  discard(): Promise<void>;
}

export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const [value, unit] =
    bytes < 1024 ** 2
      ? [bytes / 1024, 'KB']
      : bytes < 1024 ** 3
        ? [bytes / 1024 ** 2, 'MB']
        : [bytes / 1024 ** 3, 'GB'];
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

/** The bodies a push route takes (request-guards.ts): read here as a stream, with the watchdog below. */
export const pushBody: RequestBodyPolicy = {
  mediaTypes: ['multipart/form-data', 'application/octet-stream'],
  streamed: true,
};

/**
 * A push up to this size is also kept in memory while it is received, so that reading the package (readNupkg)
 * takes no file reads: a zip on disk costs a dozen of them, each a trip through libuv's thread pool, a large share
 * of a small push's time (issue 17). Larger pushes are read from the file, so memory stays bounded by the number
 * of pushes in flight times this (and the write buffers of package-file-sink.ts).
 */
const keptInMemoryBytes = 256 * 1024;

/** How long a push may send nothing when --upload-timeout is not configured. */
export const defaultUploadTimeoutMs = 60_000;

export interface ReceiveOptions {
  tempDir: string;
  maxPackageSize: number;
  uploadTimeoutMs?: number | undefined;
  /**
   * A package small enough to be kept in memory is not written to the temporary file at all: its `bytes` are
   * what the caller stores (publishPackage writes them under their final name), and `path` names no file. A
   * package push takes it; a symbol push, which moves its file, does not.
   */
  smallInMemoryOnly?: boolean | undefined;
}

export async function receivePackage(
  request: FastifyRequest,
  options: ReceiveOptions,
): Promise<ReceivedPackage> {
  // A client that stops sending mid-push must not hold a socket and a temporary file forever: every byte (and the
  // multipart headers) must arrive within the timeout of the one before. The NuGet client streams a push without
  // pause (its own overall push timeout is 300 s), so a gap this long means it is gone.
  const timeoutMs = options.uploadTimeoutMs ?? defaultUploadTimeoutMs;
  const stalled = () =>
    timedOut(
      'push_timed_out',
      `The push sent no data for ${humanDuration(timeoutMs)}, so the server gave up on it (--upload-timeout); ` +
        'check the network and push again.',
    );
  let onStall: (() => void) | undefined;
  const watchdog = setTimeout(() => onStall?.(), timeoutMs);
  try {
    return await receive(request, options, watchdog, stalled, (handler) => {
      onStall = handler;
    });
  } finally {
    clearTimeout(watchdog);
  }
}

async function receive(
  request: FastifyRequest,
  options: ReceiveOptions,
  watchdog: NodeJS.Timeout,
  stalled: () => Error,
  whenStalled: (handler: () => void) => void,
): Promise<ReceivedPackage> {
  const tooBig = () =>
    tooLarge(
      'package_too_large',
      `The package is larger than this feed's limit of ${humanSize(options.maxPackageSize)} (--max-package-size).`,
    );
  // Room for the multipart framing and small fields around the package.
  const maxBodyBytes = options.maxPackageSize + 64 * 1024;
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBodyBytes) throw tooBig();

  const body = request.body as Readable | undefined;
  const boundary = multipartBoundary(request.headers['content-type']);
  if (!body || typeof body.pipe !== 'function') {
    const type = String(request.headers['content-type'] ?? 'none').split(';')[0];
    throw invalidInput(
      'push_unsupported_content_type',
      `A push must send the .nupkg as multipart/form-data (or application/octet-stream), not Content-Type ${type}.`,
    );
  }
  const framing =
    boundary === undefined
      ? []
      : [
          new MultipartPackagePart(boundary, {
            maxBytes: maxBodyBytes,
            tooLarge: tooBig,
            onData: () => watchdog.refresh(),
          }),
        ];

  // The folder is made when the process starts (temp-folders.ts) and remade if removed from outside: a look on the
  // event loop (microseconds) instead of a recursive mkdir through libuv's thread pool on every push (issue 17).
  if (!existsSync(options.tempDir)) await mkdir(options.tempDir, { recursive: true });
  const path = join(options.tempDir, `push-${randomUUID()}.nupkg`);
  // After a publish the file has usually been moved into place already: then a look on the event loop (the name
  // is in the kernel's cache, microseconds) instead of an unlink through libuv's thread pool (issue 17).
  const discard = async () => {
    if (!existsSync(path)) return;
    await unlink(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  };
  const sink = new PackageFileSink({
    path,
    maxBytes: options.maxPackageSize,
    tooLarge: tooBig,
    keepInMemoryBytes: keptInMemoryBytes,
    fileOnlyPastKept: options.smallInMemoryOnly === true,
    onData: () => watchdog.refresh(),
  });
  whenStalled(() => sink.destroy(stalled()));
  watchdog.refresh();
  // The request is piped in, not part of the pipeline: a refusal must not destroy the socket before the answer is
  // written. Whatever the client still sends after a refusal is read and dropped until the connection closes after
  // the answer (request-guards.ts), so a client that writes before it reads is never stuck.
  const first = framing[0] ?? sink;
  const written = framing[0] ? pipeline(framing[0], sink) : streamFinished(sink);
  body.pipe(first);
  const stopWatching = finished(body, (error) => {
    if (error) first.destroy(error);
  });
  try {
    await written;
  } catch (error) {
    body.unpipe(first);
    body.resume();
    // The file is removed once the sink has closed it: an open still under way would otherwise make it again.
    if (!sink.closed) await new Promise((resolve) => sink.once('close', resolve));
    await discard();
    if ((error as { kind?: string }).kind) throw error;
    // A full disk or an unwritable temp folder is the server's fault (507 / 503), not an incomplete body.
    throw (
      fileSystemFault(error, 'the folder for uploads in progress') ??
      invalidInput(
        'push_body_incomplete',
        `The push body could not be read completely: ${(error as Error).message}`,
      )
    );
  } finally {
    stopWatching();
  }
  const size = sink.size;
  if (size === 0) {
    await discard();
    throw invalidInput('push_empty', 'The pushed package is empty (0 bytes).');
  }
  return {
    path,
    size,
    sha512: sink.sha512(),
    discard,
    bytes: sink.keptBytes(),
  };
}
