// A package file must survive a power loss once its row is committed: the file store syncs the file's data
// before renaming it into place, then the folder that holds it (and the parent of every folder it had to
// create), so that the row never points at a missing or short file (docs/decisions/0006-faults-write-order-and-
// durability.md). A power loss cannot be staged in a test, so this watches the system calls themselves, with
// strace, and checks their order. strace is installed with apt-get when missing (as root).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '..', '..');

function requireStrace(): void {
  if (spawnSync('strace', ['-V']).status === 0) return;
  assert.equal(
    process.getuid?.(),
    0,
    'strace is not installed: install it (apt-get install strace) and run again',
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-q'],
    ['install', '-y', '-q', '--no-install-recommends', 'strace'],
  ]) {
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 2, 2] });
    assert.equal(result.status, 0, `apt-get ${args.join(' ')} failed`);
  }
}

interface Call {
  readonly name: string;
  /** For fsync: the path of the synced descriptor; for rename: [from, to]. */
  readonly paths: string[];
}

/** `1234 fsync(23</a/b>) = 0` and `1234 rename("/a", "/b") = 0` (renameat/renameat2 alike), successful ones only. */
function parseTrace(text: string): Call[] {
  const calls: Call[] = [];
  for (const line of text.split('\n')) {
    const match = /^\d+\s+(\w+)\((.*)\)\s+=\s+0/.exec(line);
    if (!match) continue;
    const [, name, args] = match as unknown as [string, string, string];
    if (name === 'fsync' || name === 'fdatasync') {
      const fd = /<([^>]*)>/.exec(args);
      if (fd?.[1]) calls.push({ name: 'fsync', paths: [fd[1]] });
    } else if (name.startsWith('rename')) {
      const quoted = [...args.matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
      if (quoted.length === 2) calls.push({ name: 'rename', paths: quoted });
    }
  }
  return calls;
}

describe('file blobs are durable before their row commits', () => {
  let root: string;
  let calls: Call[];

  before(async () => {
    requireStrace();
    root = await mkdtemp(path.join(tmpdir(), 'nugget-durability-'));
    const source = path.join(root, 'upload.nupkg');
    await writeFile(source, Buffer.alloc(100_000, 3));
    const script = `
      import { FileSystemBlobStore } from ${JSON.stringify(path.join(repoRoot, 'src/storage/blobs/file-system-blob-store.ts'))};
      const store = new FileSystemBlobStore(${JSON.stringify(path.join(root, 'blobs'))});
      await store.putFile('packages/a/1.0.0/p1/a.1.0.0.nupkg', ${JSON.stringify(source)});
      await store.put('packages/a/1.0.0/p1/nuspec', Buffer.from('<package/>'));
    `;
    const log = path.join(root, 'trace.log');
    await run('strace', [
      ...['-f', '-qq', '-y', '-o', log],
      ...['-e', 'trace=fsync,fdatasync,rename,renameat,renameat2'],
      ...[process.execPath, '--input-type=module', '-e', script],
    ]);
    calls = parseTrace(await readFile(log, 'utf8'));
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  const indexOf = (name: string, test: (paths: string[]) => boolean, from = 0): number =>
    calls.findIndex((call, i) => i >= from && call.name === name && test(call.paths));

  test('putFile: the file data, then the rename, then the folders it lives in and the ones it created', () => {
    const source = path.join(root, 'upload.nupkg');
    const folder = path.join(root, 'blobs', 'packages', 'a', '1.0.0', 'p1');
    const target = path.join(folder, 'a.1.0.0.nupkg');
    const synced = indexOf('fsync', ([p]) => p === source);
    const renamed = indexOf('rename', ([from, to]) => from === source && to === target);
    assert.ok(synced >= 0, `the upload's data is synced: ${JSON.stringify(calls)}`);
    assert.ok(renamed > synced, 'the data is synced before the name appears');
    // Every folder from the one the store created first (blobs/) down: its parent must be synced too.
    for (const dir of [
      folder,
      path.dirname(folder),
      path.join(root, 'blobs', 'packages', 'a'),
      path.join(root, 'blobs', 'packages'),
      path.join(root, 'blobs'),
      root,
    ]) {
      assert.ok(indexOf('fsync', ([p]) => p === dir, renamed) > renamed, `${dir} is synced after the rename`);
    }
  });

  test('put: the temporary file is synced, renamed, and its folder synced', () => {
    const folder = path.join(root, 'blobs', 'packages', 'a', '1.0.0', 'p1');
    const target = path.join(folder, 'nuspec');
    const renamed = indexOf('rename', ([, to]) => to === target);
    assert.ok(renamed >= 0, 'the nuspec is renamed into place');
    const temp = calls[renamed]?.paths[0] as string;
    const synced = indexOf('fsync', ([p]) => p === temp);
    assert.ok(synced >= 0 && synced < renamed, 'its data is synced before the rename');
    assert.ok(indexOf('fsync', ([p]) => p === folder, renamed) > renamed, 'its folder is synced after');
  });
});
