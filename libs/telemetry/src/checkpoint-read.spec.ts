import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCheckpoint } from './checkpoint-write';
import { readCheckpoint } from './checkpoint-read';
import { CheckpointError } from './checkpoint-error';
import { checkpointDifference } from './checkpoint-difference';

const KIND = 'bilevel-run';
const CREATED = '2026-11-23T07:00:00.000Z';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'checkpoint-read-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const state = (iteration: number) => ({ iteration, x: new Float64Array([iteration, -0]) });

function twoCheckpoints(dir: string): string {
  const path = join(dir, 'c.bin');
  writeCheckpoint(path, state(1), { kind: KIND, createdAt: CREATED });
  writeCheckpoint(path, state(2), { kind: KIND, createdAt: '2026-11-23T07:01:00.000Z' });
  return path;
}

test('reads the checkpoint with its metadata and where it came from', (t) => {
  const path = twoCheckpoints(tempDir(t));

  const cp = readCheckpoint(path, { kind: KIND });

  assert.equal(checkpointDifference(cp.state, state(2)), undefined);
  assert.deepEqual({ path: cp.path, fromPrevious: cp.fromPrevious, createdAt: cp.createdAt, version: cp.version }, { path, fromPrevious: false, createdAt: '2026-11-23T07:01:00.000Z', version: 1 });
});

test('a corrupt checkpoint is refused naming the file; with fallback, .prev is loaded and the reason given', (t) => {
  const path = twoCheckpoints(tempDir(t));
  const bytes = readFileSync(path);
  bytes[bytes.length - 40] ^= 0x10;
  writeFileSync(path, bytes);

  assert.throws(
    () => readCheckpoint(path, { kind: KIND }),
    (err: CheckpointError) => err instanceof CheckpointError && err.code === 'checksum' && err.message.includes(`decodeCheckpoint: ${path}: checksum mismatch`) && err.message.includes('pass fallbackToPrevious'),
  );
  const cp = readCheckpoint(path, { kind: KIND, fallbackToPrevious: true });
  assert.equal(cp.fromPrevious, true);
  assert.match(cp.reason ?? '', /checksum mismatch/);
  assert.equal(checkpointDifference(cp.state, state(1)), undefined);
});

test('a truncated checkpoint with a truncated .prev: both defects are reported', (t) => {
  const path = twoCheckpoints(tempDir(t));
  truncateSync(path, 100);
  truncateSync(`${path}.prev`, 10);

  assert.throws(() => readCheckpoint(path, { kind: KIND, fallbackToPrevious: true }), /readCheckpoint: no usable checkpoint: .*the file is truncated.*and the fallback failed too: .*c\.bin\.prev: is 10 bytes; expected at least 56/);
});

test('the size cap is checked before reading; a directory or missing file is an io error', (t) => {
  const dir = tempDir(t);
  const path = twoCheckpoints(dir);

  assert.throws(() => readCheckpoint(path, { kind: KIND, maxBytes: 64 }), (err: CheckpointError) => err.code === 'too-large' && /readCheckpoint: .*c\.bin is \d+ bytes; expected at most maxBytes = 64/.test(err.message));
  assert.throws(() => readCheckpoint(dir, { kind: KIND }), (err: CheckpointError) => err.code === 'io' && /cannot read .*EISDIR/.test(err.message));
  assert.throws(() => readCheckpoint(join(dir, 'none.bin'), { kind: KIND }), (err: CheckpointError) => err.code === 'io' && !/prev/.test(err.message));
  assert.throws(() => readCheckpoint(path, { kind: 'safe-control' }), (err: CheckpointError) => err.code === 'kind');
});

test('options are validated up front', () => {
  assert.throws(() => readCheckpoint('', { kind: KIND }), /readCheckpoint: path is ""; expected a non-empty file path/);
  assert.throws(() => readCheckpoint('x', null as never), /readCheckpoint: options is null; expected an object/);
  assert.throws(() => readCheckpoint('x', { kind: 3 as never }), /readCheckpoint: options\.kind is 3; expected a non-empty string/);
  assert.throws(() => readCheckpoint('x', { kind: KIND, maxBytes: -1 }), /options\.maxBytes is -1; expected a positive integer/);
  assert.throws(() => readCheckpoint('x', { kind: KIND, fallbackToPrevious: 1 as never }), /options\.fallbackToPrevious is 1; expected a boolean/);
});
