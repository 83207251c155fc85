#!/usr/bin/env node
// The `nugget` command (package.json "bin"). It checks the Node.js version first (check-node.js), then runs the
// TypeScript sources directly; Node refuses to strip types under node_modules, so a packed install (npm pack,
// npm install -g <tarball>) runs the JavaScript that `npm pack` compiled into dist/ instead.
import { accessSync, constants, existsSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { isAbsolute, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unsupportedNodeMessage } from './check-node.js';
import { missingNodeFlags } from './node-flags.js';

const message = unsupportedNodeMessage(process.versions.node, process.execPath);
if (message) {
  console.error(message);
  process.exit(1);
}
// V8 reads the size of its young generation only when a process starts, so a `nugget` started without it starts
// itself again with it (node-flags.js says why): the same process (same id, stdio and environment, with the flag),
// at the cost of one more start of Node itself (about 30 ms of CPU). Where Node cannot do that (Windows, where
// process.execve does not exist), it runs with V8's own sizing; NODE_OPTIONS=--max-semi-space-size=16 sets it there.
// A failed execve aborts the process (Node cannot go back to the state before it), so an executable that is gone or
// not executable (a Node upgraded under the service; no /proc, where execPath is the bare "node" it was run as) is
// looked at first: nugget then runs with V8's sizing rather than not at all.
const missing =
  process.execve && canExecute(process.execPath)
    ? missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS)
    : [];
if (process.execve && missing.length > 0) {
  process.execve(
    process.execPath,
    [
      process.execPath,
      ...process.execArgv,
      ...missing,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    // Given explicitly: Node 22's execve passes an empty environment when none is given (Node 24 passes this one).
    process.env,
  );
}
/**
 * Whether `path` is a file this process may execute: absolute (execve does not search PATH) and executable.
 * @param {string} path
 */
function canExecute(path) {
  try {
    accessSync(path, constants.X_OK);
    return isAbsolute(path);
  } catch {
    return false;
  }
}

const packed = fileURLToPath(import.meta.url)
  .split(sep)
  .includes('node_modules');
const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (packed && !existsSync(compiled)) {
  console.error(
    'nugget: this install has neither runnable sources nor dist/: install it from `npm pack` output',
  );
  process.exit(1);
}
// The compile cache is enabled here, before the first TypeScript module is loaded: enabled later (src/cli/main.ts
// enables it too, for `node src/main.ts`), Node strips the entry module's types itself and loads its type stripper
// (a WebAssembly module, about a tenth of a start's CPU) even when every other module comes from the cache. Read
// from the namespace, not imported by name: Node before 22.1 has no enableCompileCache, and a named import of it
// would fail before the version check above could say what is wrong.
nodeModule.enableCompileCache?.();
import(packed ? compiled.href : new URL('../src/cli/main.ts', import.meta.url).href);
