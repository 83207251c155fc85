#!/usr/bin/env node
// The `nugget` command (package.json "bin"). It checks the Node.js version first (check-node.js), then runs the
// TypeScript sources directly; Node refuses to strip types under node_modules, so a packed install (npm pack,
// npm install -g <tarball>) runs the JavaScript that `npm pack` compiled into dist/ instead.
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unsupportedNodeMessage } from './check-node.js';

const message = unsupportedNodeMessage(process.versions.node, process.execPath);
if (message) {
  console.error(message);
  process.exit(1);
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
