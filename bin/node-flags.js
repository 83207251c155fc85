// The Node.js flags the `nugget` command runs with (bin/nugget.js), decided before any TypeScript is loaded. Plain
// JavaScript, like check-node.js. Why: docs/decisions/0027-perf-memory-young-generation-and-idle.md.

/**
 * The most each of V8's two semi-spaces (its young generation) may grow to, in MB. V8 sizes them from the machine's
 * memory: up to 64 MB each on a host with 16 GB or more, so a server under load held 128 MB of young generation
 * whatever its settings, and kept it until a full collection. 16 MB each was V8's own maximum for years; the
 * read and push benchmarks cost the same CPU with it (bench/README.md, "Memory (2026-12-02, third session)").
 */
export const semiSpaceMB = 16;

/** A flag on Node's command line or in NODE_OPTIONS that sets the young generation's size itself. */
const sizesYoungGeneration = /^--max[-_]semi[-_]space[-_]size(=|$)/;

/**
 * The flags to add to a Node.js process started with `execArgv` and `nodeOptions` (NODE_OPTIONS): none when the
 * operator already chose the young generation's size (`--max-semi-space-size`, on the command line or in
 * NODE_OPTIONS), else `--max-semi-space-size=16`. V8 reads it only when a process starts.
 * @param {readonly string[]} execArgv
 * @param {string | undefined} nodeOptions
 * @returns {string[]}
 */
export function missingNodeFlags(execArgv, nodeOptions) {
  const given = [...execArgv, ...nodeOptionsArguments(nodeOptions ?? '')];
  if (given.some((flag) => sizesYoungGeneration.test(flag))) return [];
  return [`--max-semi-space-size=${semiSpaceMB}`];
}

/**
 * NODE_OPTIONS split into arguments as Node.js splits it (https://nodejs.org/api/cli.html#node_optionsoptions):
 * at spaces outside double quotes, the quotes removed, a backslash inside quotes taking the next character as it
 * is. A split at white space alone missed `"--max-semi-space-size=4"`, and the size added on the command line then
 * overrode the operator's (Node gives the command line precedence).
 * @param {string} text
 * @returns {string[]}
 */
function nodeOptionsArguments(text) {
  /** @type {string[]} */
  const args = [];
  let arg = '';
  let started = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    let c = text[i];
    if (c === '\\' && quoted) c = text[++i] ?? '';
    else if (c === ' ' && !quoted) {
      if (started) args.push(arg);
      arg = '';
      started = false;
      continue;
    } else if (c === '"') {
      quoted = !quoted;
      continue;
    }
    arg += c;
    started = true;
  }
  if (started) args.push(arg);
  return args;
}
