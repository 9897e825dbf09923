// The safe reader of user files (issue 16, item 1): devices and pipes are refused without reading them, a file over
// the cap is refused by its size before any byte is read, and the read itself stops past the cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from './input-error';
import { readRegularFile } from './read-regular-file';

const OPTIONS = { maxBytes: 1 << 20, what: 'test file' } as const;

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'regular-file-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a small regular file is read whole', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'a.txt'), 'hello');
    assert.equal(readRegularFile(join(dir, 'a.txt'), OPTIONS).toString(), 'hello');
    writeFileSync(join(dir, 'empty.txt'), '');
    assert.equal(readRegularFile(join(dir, 'empty.txt'), OPTIONS).length, 0);
  });
});

test('/dev/zero (a character device of size 0 that never ends) is refused without reading it', { skip: existsSync('/dev/zero') ? false : 'no /dev/zero' }, () => {
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(
    () => readRegularFile('/dev/zero', OPTIONS),
    (e: unknown) => e instanceof InputError && e.message === '/dev/zero: cannot read the test file (not a regular file but a character device; devices, pipes and sockets are not read, give a file)',
  );
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20);
});

// a FIFO with no writer: opening it for reading would block forever; the reader opens it without blocking and refuses
// it (if it hung, the node:test timeout below is the safety net, the test then fails instead of hanging the suite)
test('a FIFO with no writer is refused at once, not waited on', { timeout: 60_000 }, (t) => {
  withDir((dir) => {
    const fifo = join(dir, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status !== 0) {
      t.skip('mkfifo is not available');
      return;
    }
    assert.throws(() => readRegularFile(fifo, OPTIONS), (e: unknown) => e instanceof InputError && /not a regular file but a pipe \(FIFO\)/.test(e.message));
  });
});

test('a sparse 1 GiB file over the cap is refused by its size before any byte is read', () => {
  withDir((dir) => {
    const big = join(dir, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, 2 ** 30); // sparse: no disk space, and 1 GiB of zeros if it were read
    const before = process.memoryUsage();
    assert.throws(() => readRegularFile(big, OPTIONS), (e: unknown) => e instanceof InputError && e.message === `${big}: 1073741824 bytes, more than the limit of 1048576`);
    const after = process.memoryUsage();
    assert.ok(after.arrayBuffers - before.arrayBuffers < 1 << 20, 'nothing of the file was read');
    assert.ok(after.rss - before.rss < 64 << 20, `rss grew by ${after.rss - before.rss} bytes`);
  });
});

test('the read counts the bytes that arrive: a file that reports size 0 but holds more (a /proc file) stops past the cap', { skip: existsSync('/proc/self/status') ? false : 'no /proc' }, () => {
  // /proc files are regular files whose size is 0: only counting what was read bounds them
  assert.throws(() => readRegularFile('/proc/self/status', { maxBytes: 10, what: 'test file' }), /\/proc\/self\/status: grew past the limit of 10 bytes while it was read/);
  assert.ok(readRegularFile('/proc/self/status', OPTIONS).toString().includes('VmRSS'));
});

test('missing files, folders and the messages given', () => {
  withDir((dir) => {
    assert.throws(() => readRegularFile(join(dir, 'none'), OPTIONS), /none: cannot read the test file \(no such file\)/);
    assert.throws(() => readRegularFile(dir, OPTIONS), /cannot read the test file \(is a directory\)/);
    writeFileSync(join(dir, 'f'), 'x');
    assert.throws(() => readRegularFile(join(dir, 'f', 'g'), OPTIONS), /cannot read the test file \(a part of the path is not a folder\)/);
    writeFileSync(join(dir, 'h'), '12345');
    assert.throws(
      () => readRegularFile(join(dir, 'h'), { maxBytes: 4, what: 'x', unreadable: (why) => `custom (${why})`, tooLarge: (size, grew) => `custom ${size} ${grew}` }),
      /h: custom 5 false/,
    );
  });
});
