// Which file-system errors are the server's fault, and what an operator reads for each (docs/architecture.md rule 8).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileSystemFault, invalidInput, isServerFault, type ErrorKind } from './errors.ts';

/** An error shaped as Node's fs functions raise it. */
function systemError(code: string, syscall = 'write', path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall}${path ? ` '${path}'` : ''}`), {
    code,
    syscall,
    ...(path ? { path } : {}),
  });
}

describe('fileSystemFault', () => {
  const rows: [string, NodeJS.ErrnoException, ErrorKind | undefined, RegExp | undefined][] = [
    ['a full disk', systemError('ENOSPC'), 'InsufficientStorage', /disk full.*free space/],
    [
      'a full quota',
      systemError('EDQUOT', 'write', '/data/tmp/x'),
      'InsufficientStorage',
      /quota.*\/data\/tmp\/x/,
    ],
    [
      'no permission',
      systemError('EACCES', 'open', '/data/blobs/p'),
      'Unavailable',
      /\/data\/blobs\/p.*write access/,
    ],
    ['a read-only mount', systemError('EROFS', 'mkdir', '/data'), 'Unavailable', /\/data.*read-only/],
    ['an I/O error', systemError('EIO', 'write'), 'Unavailable', /I\/O error/],
    ['too many open files', systemError('EMFILE', 'open'), 'Unavailable', /open-file limit/],
    // Not the server's fault, or not a fault at all: they keep their own meaning.
    ['a missing file', systemError('ENOENT', 'open', '/x'), undefined, undefined],
    [
      'a client that hung up',
      Object.assign(new Error('aborted'), { code: 'ECONNRESET' }),
      undefined,
      undefined,
    ],
    ['a code without a system call', Object.assign(new Error('x'), { code: 'ENOSPC' }), undefined, undefined],
  ];
  for (const [what, error, kind, message] of rows) {
    test(`${what} -> ${kind ?? 'not a server fault'}`, () => {
      const fault = fileSystemFault(error);
      assert.equal(fault?.kind, kind);
      if (fault) {
        assert.ok(isServerFault(fault));
        assert.equal(fault.cause, error, 'the real cause is kept for the log');
        assert.match(fault.message, message as RegExp);
      }
    });
  }

  test('a fault already classified passes through; a client error is not a server fault', () => {
    const fault = fileSystemFault(systemError('ENOSPC'));
    assert.equal(fileSystemFault(fault), fault);
    assert.equal(isServerFault(invalidInput('x', 'y')), false);
  });

  test('a passing fault says when to retry', () => {
    assert.equal(fileSystemFault(systemError('EMFILE'))?.retryAfterSeconds, 5);
    assert.equal(fileSystemFault(systemError('ENOSPC'))?.retryAfterSeconds, undefined);
  });
});
