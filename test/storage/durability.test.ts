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

/** Runs a module script under strace, following its threads, and returns the trace of the given calls. */
async function traced(root: string, script: string, calls: string): Promise<string> {
  const log = path.join(root, 'trace.log');
  await run('strace', [
    ...['-f', '-qq', '-y', '-o', log, '-e', `trace=${calls}`],
    ...[process.execPath, '--input-type=module', '-e', script],
  ]);
  return readFile(log, 'utf8');
}

interface Call {
  readonly name: string;
  /** For fsync: the path of the synced descriptor; for rename: [from, to]. */
  readonly paths: string[];
}

/**
 * strace's lines, with a call that another thread interrupted (`1234 fsync(23</a> <unfinished ...>`, later
 * `1234 <... fsync resumed>) = 0`) made whole again at the line where it finished.
 */
function traceLines(text: string): string[] {
  const pending = new Map<string, string>();
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const unfinished = /^(\d+)\s+(.*) <unfinished \.\.\.>$/.exec(line);
    if (unfinished) {
      pending.set(unfinished[1] as string, `${unfinished[1]} ${unfinished[2]}`);
      continue;
    }
    const resumed = /^(\d+)\s+<\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (resumed && pending.has(resumed[1] as string)) {
      lines.push(`${pending.get(resumed[1] as string)}${resumed[2]}`);
      pending.delete(resumed[1] as string);
      continue;
    }
    lines.push(line);
  }
  return lines;
}

/** `1234 fsync(23</a/b>) = 0` and `1234 rename("/a", "/b") = 0` (renameat/renameat2 alike), successful ones only. */
function parseTrace(text: string): Call[] {
  const calls: Call[] = [];
  for (const line of traceLines(text)) {
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
    calls = parseTrace(await traced(root, script, 'fsync,fdatasync,rename,renameat,renameat2'));
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

describe("putFresh (a push's own prefix): data and folders synced together, all before it returns", () => {
  let root: string;
  let calls: Call[];

  before(async () => {
    requireStrace();
    root = await mkdtemp(path.join(tmpdir(), 'nugget-durability-fresh-'));
    const source = path.join(root, 'upload.nupkg');
    await writeFile(source, Buffer.alloc(100_000, 3));
    // After the put a marker is renamed: the point where the row would be committed.
    const script = `
      import { rename, writeFile } from 'node:fs/promises';
      import { FileSystemBlobStore } from ${JSON.stringify(path.join(repoRoot, 'src/storage/blobs/file-system-blob-store.ts'))};
      const store = new FileSystemBlobStore(${JSON.stringify(path.join(root, 'blobs'))});
      await store.putFresh([
        { key: 'packages/a/1.0.0/p1/nuspec', bytes: Buffer.from('<package/>') },
        { key: 'packages/a/1.0.0/p1/a.1.0.0.nupkg', sourcePath: ${JSON.stringify(source)} },
      ]);
      await writeFile(${JSON.stringify(root)} + '/mark', '');
      await rename(${JSON.stringify(root)} + '/mark', ${JSON.stringify(root)} + '/returned');
    `;
    calls = parseTrace(await traced(root, script, 'fsync,fdatasync,rename,renameat,renameat2'));
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  const indexOf = (name: string, test: (paths: string[]) => boolean): number =>
    calls.findIndex((call) => call.name === name && test(call.paths));
  const folder = () => path.join(root, 'blobs', 'packages', 'a', '1.0.0', 'p1');

  test('the moved file, the written file and every folder they needed are synced before it returns', () => {
    const returned = indexOf('rename', ([, to]) => to === path.join(root, 'returned'));
    const nupkg = path.join(folder(), 'a.1.0.0.nupkg');
    const renamed = indexOf('rename', ([, to]) => to === nupkg);
    assert.ok(renamed >= 0 && returned > renamed, `moved, then returned: ${JSON.stringify(calls)}`);
    for (const synced of [nupkg, path.join(folder(), 'nuspec')]) {
      const at = indexOf('fsync', ([p]) => p === synced);
      assert.ok(at >= 0 && at < returned, `${synced}'s data is synced before putFresh returns`);
    }
    for (const dir of [
      folder(),
      path.dirname(folder()),
      path.join(root, 'blobs', 'packages', 'a'),
      path.join(root, 'blobs', 'packages'),
      path.join(root, 'blobs'),
      root,
    ]) {
      const at = indexOf('fsync', ([p]) => p === dir);
      assert.ok(at > renamed && at < returned, `${dir} is synced after the move, before putFresh returns`);
    }
  });

  test('one round: each folder synced once, the bytes written under their own name (no temporary file)', () => {
    const returned = indexOf('rename', ([, to]) => to === path.join(root, 'returned'));
    const folderSyncs = calls.filter((c, i) => i < returned && c.name === 'fsync' && c.paths[0] === folder());
    assert.equal(folderSyncs.length, 1, 'the folder both files went into is synced once');
    assert.equal(
      indexOf('rename', ([, to]) => to === path.join(folder(), 'nuspec')),
      -1,
      'no rename into place',
    );
  });
});

describe('a SQLite commit is synced before it is acknowledged', () => {
  let root: string;
  let lines: string[];

  before(async () => {
    requireStrace();
    root = await mkdtemp(path.join(tmpdir(), 'nugget-durability-wal-'));
    // Each write is followed by a rename of a marker: the point where a server would answer 201.
    const script = `
      import { rename, writeFile } from 'node:fs/promises';
      import { openSqlite } from ${JSON.stringify(path.join(repoRoot, 'src/storage/sql/sqlite-database.ts'))};
      const { db } = await openSqlite(${JSON.stringify(path.join(root, 'nugget.db'))});
      for (let i = 0; i < 3; i++) {
        await db.transaction().execute((trx) =>
          trx.insertInto('audit_log').values({ at: 'now', actor: 'test', action: 'push', source: 'here', outcome: 'success' }).execute());
        await writeFile(${JSON.stringify(root)} + '/ack', '');
        await rename(${JSON.stringify(root)} + '/ack', ${JSON.stringify(root)} + '/acked-' + i);
      }
      await db.destroy();
    `;
    lines = traceLines(
      await traced(root, script, 'fsync,fdatasync,rename,renameat,renameat2,pwrite64,write'),
    );
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('each acknowledgement comes after an fsync of the -wal file that follows its last write', () => {
    const wal = path.join(root, 'nugget.db-wal');
    const writesWal = (line: string) =>
      /^\d+\s+(pwrite64|write)\(\d+</.test(line) && line.includes(`<${wal}>`);
    const syncsWal = (line: string) =>
      /^\d+\s+(fsync|fdatasync)\(\d+</.test(line) && line.includes(`<${wal}>`);
    for (let i = 0; i < 3; i++) {
      const acked = lines.findIndex((line) => line.includes(`acked-${i}"`));
      assert.ok(acked > 0, `acknowledgement ${i} is in the trace`);
      const lastWrite = lines.findLastIndex((line, at) => at < acked && writesWal(line));
      assert.ok(lastWrite > 0, `transaction ${i} wrote the -wal file`);
      const synced = lines.findIndex((line, at) => at > lastWrite && at < acked && syncsWal(line));
      assert.ok(
        synced > 0,
        `the -wal file is synced between transaction ${i}'s last write and its acknowledgement`,
      );
    }
  });
});
