// The Node.js flags `nugget` starts itself again with (bin/node-flags.js, docs/decisions/0027-perf-memory-young-
// generation-and-idle.md): an operator's own young generation size wins, however it is written. Node gives the
// command line precedence over NODE_OPTIONS, so a size the operator set in NODE_OPTIONS that is not recognised
// here would be overridden by the one nugget adds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { missingNodeFlags } from '../../bin/node-flags.js';

const added = ['--max-semi-space-size=16'];
const flags = missingNodeFlags;

test('nothing set: the bounded young generation is added', () => {
  assert.deepEqual(flags([], undefined), added);
  assert.deepEqual(flags(['--enable-source-maps'], '--import=x.mjs'), added);
  assert.deepEqual(flags([], ''), added);
});

const operatorSizes: [string, string][] = [
  ['NODE_OPTIONS', '--max-semi-space-size=4'],
  ['NODE_OPTIONS', '--max_semi_space_size=4'],
  ['NODE_OPTIONS, the value apart', '--max-semi-space-size 4'],
  ['NODE_OPTIONS, after other options', '--import=x.mjs   --max-semi-space-size=4'],
  // Node reads double quotes in NODE_OPTIONS (https://nodejs.org/api/cli.html#node_optionsoptions), around a
  // whole option or a part of it, with backslash escapes inside them.
  ['NODE_OPTIONS, quoted whole', '"--max-semi-space-size=4"'],
  ['NODE_OPTIONS, quoted after a quoted path', '--require "/opt/my hooks/a.js" "--max-semi-space-size=4"'],
  ['NODE_OPTIONS, its value quoted', '--max-semi-space-size="4"'],
  ['NODE_OPTIONS, quoted in the middle', '--max-semi-"space"-size=4'],
  ['NODE_OPTIONS, an escape inside quotes', '"--max-semi-space\\-size=4"'],
];

for (const [where, nodeOptions] of operatorSizes) {
  test(`an operator's own size in ${where} (${nodeOptions}) is kept: nothing added`, () => {
    assert.deepEqual(flags([], nodeOptions), []);
  });
}

test("an operator's own size on the command line is kept: nothing added", () => {
  assert.deepEqual(flags(['--max-semi-space-size=4'], undefined), []);
  assert.deepEqual(flags(['--max-semi-space-size', '4'], undefined), []);
});

test('a quoted path that only mentions the flag is not a size', () => {
  assert.deepEqual(flags([], '--require "/opt/--max-semi-space-size=4/a.js"'), added);
  assert.deepEqual(flags([], '--title=x--max-semi-space-size=4'), added);
});
