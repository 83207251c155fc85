// An S3-compatible server for tests: s3rver 3.7.1 in a child process on 127.0.0.1, on a port the OS picks.
// s3rver is the only S3 server installable here (../shared/notes/dependencies.md §3). It checks that the
// access key id exists but does NOT verify SigV4 signatures, so no test may rely on a bad signature failing.
// A child process (not in-process) keeps its memory out of the test's `process.memoryUsage()` and lets
// e2e tests share the helper with a server process of their own.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface S3TestServer {
  /** e.g. `http://127.0.0.1:40123` */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  /** s3rver's built-in account; any other access key id is refused with InvalidAccessKeyId. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** A `--storage` URL for this server: `s3://bucket/prefix?endpoint=…&region=…&forcePathStyle=true`. */
  storageUrl(prefix: string): string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

const startupTimeoutMs = 15_000;

export async function startS3Server(options: { bucket?: string } = {}): Promise<S3TestServer> {
  const bucket = options.bucket ?? 'nugget';
  const region = 'us-east-1';
  const directory = await mkdtemp(join(tmpdir(), 'nugget-s3rver-'));
  const bin = join(
    dirname(createRequire(import.meta.url).resolve('s3rver/package.json')),
    'bin',
    's3rver.js',
  );
  // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through its
  // legacy provider: without it, any listing longer than one page (1000 keys) fails with 500 InternalError.
  const args = ['--openssl-legacy-provider', bin, '--directory', directory, '--address', '127.0.0.1'];
  args.push('--port', '0', '--silent', '--configure-bucket', bucket);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Should the test process end without calling stop(), the server must not outlive it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let port: number;
  try {
    port = await listeningPort(child);
  } catch (error) {
    process.off('exit', killOnExit);
    child.kill('SIGKILL');
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    region,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    storageUrl: (prefix) =>
      `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=${region}&forcePathStyle=true`,
    stop: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** s3rver prints `S3rver listening on 127.0.0.1:<port>` once it accepts connections. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`s3rver did not start within ${startupTimeoutMs} ms:\n${output}`)),
      startupTimeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on [^\s:]+:(\d+)/.exec(output);
      if (match) {
        cleanup();
        resolve(Number(match[1]));
      }
    };
    const onExit = (code: number | null): void =>
      fail(new Error(`s3rver exited with code ${code} before listening:\n${output}`));
    const fail = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining the pipes so a chatty server never blocks on a full buffer.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}
