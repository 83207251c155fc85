// The Node.js versions nugget runs on, checked before any TypeScript is loaded: on an older Node the first .ts
// import would fail with ERR_UNKNOWN_FILE_EXTENSION, which says nothing about the version. Plain JavaScript of
// an old enough dialect that every Node with ES modules can read it. Why this version: docs/decisions/0010-runtime-node-versions-config-and-stop.md.
// `node bin/check-node.js` (npm's prepare, run by npm ci and npm install in a checkout) prints the same message and fails the install.

/** Type stripping without a flag came in 22.18.0, undici 8 needs 22.19.0; package.json's engines says the same. */
export const minimumNode = '22.19.0';

/** @param {string} version */
function parse(version) {
  return version.replace(/^v/, '').split('.').map(Number);
}

/**
 * Undefined when `version` (e.g. process.versions.node) can run nugget, else why not and what to do.
 * @param {string} version
 * @param {string} execPath
 * @returns {string | undefined}
 */
export function unsupportedNodeMessage(version, execPath) {
  const have = parse(version);
  const need = parse(minimumNode);
  for (let i = 0; i < need.length; i++) {
    if ((have[i] || 0) > (need[i] || 0)) return undefined;
    if ((have[i] || 0) < (need[i] || 0)) {
      return (
        'nugget needs Node.js ' +
        minimumNode +
        ' or later (Node.js 24 LTS recommended), but this is Node.js ' +
        version +
        ' (' +
        execPath +
        '): install a newer Node.js from https://nodejs.org or your package manager, ' +
        'and put it first on PATH'
      );
    }
  }
  return undefined;
}

const message = unsupportedNodeMessage(process.versions.node, process.execPath);
const runDirectly = process.argv[1] && /check-node\.js$/.test(process.argv[1]);
if (message && runDirectly) {
  console.error(message);
  process.exit(1);
}
