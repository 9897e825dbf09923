import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeCheckpoint } from './checkpoint-write';
import { readCheckpoint } from './checkpoint-read';
import { checkpointDifference } from './checkpoint-difference';

const KIND = 'bilevel-run';
const CREATED = '2026-11-23T07:00:00.000Z';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'checkpoint-write-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const state = (iteration: number) => ({ iteration, x: new Float64Array([iteration, -0, NaN]) });

test('writes a readable checkpoint, keeps the replaced one as .prev, leaves no temporary files', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'checkpoint.bin');

  const n1 = writeCheckpoint(path, state(1), { kind: KIND, createdAt: CREATED });
  const n2 = writeCheckpoint(path, state(2), { kind: KIND, createdAt: CREATED, meta: { note: 'second' } });
  writeCheckpoint(path, state(3), { kind: KIND, createdAt: CREATED });

  assert.ok(n1 > 0 && n2 > n1, 'sizes are reported (the second carries meta)');
  assert.equal(statSync(path).size, n1);
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.bin', 'checkpoint.bin.prev']);
  assert.equal(checkpointDifference(readCheckpoint(path, { kind: KIND }).state, state(3)), undefined);
  const prev = readCheckpoint(`${path}.prev`, { kind: KIND });
  assert.equal(checkpointDifference(prev.state, state(2)), undefined);
  assert.deepEqual(prev.meta, { note: 'second' });
});

test('keepPrevious: false replaces without a .prev file', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c.bin');

  writeCheckpoint(path, state(1), { kind: KIND, createdAt: CREATED, keepPrevious: false });
  writeCheckpoint(path, state(2), { kind: KIND, createdAt: CREATED, keepPrevious: false });

  assert.deepEqual(readdirSync(dir), ['c.bin']);
});

test('an unencodable state or a bad option leaves the disk untouched', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c.bin');
  writeCheckpoint(path, state(1), { kind: KIND, createdAt: CREATED });
  const before = readFileSync(path);

  assert.throws(() => writeCheckpoint(path, { f: (() => 0) as never }, { kind: KIND, createdAt: CREATED }), /encodeCheckpoint: state\.f is a function/);
  assert.throws(() => writeCheckpoint(path, 1, { kind: KIND, createdAt: CREATED, keepPrevious: 'yes' as never }), /writeCheckpoint: options\.keepPrevious is "yes"; expected a boolean/);
  assert.throws(() => writeCheckpoint('', 1, { kind: KIND, createdAt: CREATED }), /writeCheckpoint: path is ""; expected a non-empty file path/);

  assert.deepEqual(readdirSync(dir), ['c.bin']);
  assert.deepEqual(readFileSync(path), before);
});

test('a missing directory is reported and nothing is created', (t) => {
  const path = join(tempDir(t), 'no', 'dir', 'c.bin');

  assert.throws(() => writeCheckpoint(path, 1, { kind: KIND, createdAt: CREATED }), /writeFileAtomic: could not replace .*c\.bin \(ENOENT/);
});

test('simulated crash: a half-written temporary file never replaces the last good checkpoint', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c.bin');
  writeCheckpoint(path, state(1), { kind: KIND, createdAt: CREATED });
  writeCheckpoint(path, state(2), { kind: KIND, createdAt: CREATED });
  const good = readFileSync(path);
  // the process died after writing half of the next checkpoint to its temporary file, before the rename
  writeFileSync(join(dir, `.c.bin.${process.pid}.abcdef012345.tmp`), good.subarray(0, good.length >> 1));

  const cp = readCheckpoint(path, { kind: KIND });

  assert.equal(cp.fromPrevious, false);
  assert.equal(checkpointDifference(cp.state, state(2)), undefined);
});

test('simulated crash between moving the old checkpoint aside and landing the new one: .prev is found on request', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c.bin');
  writeCheckpoint(path, state(1), { kind: KIND, createdAt: CREATED, keepPrevious: false });
  // what the rename fallback (no hard links) leaves if the process dies before the new file lands
  writeFileSync(`${path}.prev`, readFileSync(path));
  rmSync(path);

  assert.throws(() => readCheckpoint(path, { kind: KIND }), /cannot open .*c\.bin \(ENOENT.*a previous checkpoint exists at .*c\.bin\.prev; pass fallbackToPrevious/);
  const cp = readCheckpoint(path, { kind: KIND, fallbackToPrevious: true });
  assert.equal(cp.fromPrevious, true);
  assert.equal(cp.path, `${path}.prev`);
  assert.match(cp.reason ?? '', /ENOENT/);
  assert.equal(checkpointDifference(cp.state, state(1)), undefined);
});

test('a failed write (full disk) keeps the latest and .prev as two different good files and leaves nothing behind', (t) => {
  // a child process whose files may not exceed 16 KiB: the 40 KB checkpoint fails mid-write (EFBIG)
  const dir = tempDir(t);
  const path = join(dir, 'checkpoint.bin');
  const url = (f: string) => JSON.stringify(pathToFileURL(fileURLToPath(new URL(f, import.meta.url))).href);
  const code = `
    import { statSync, readdirSync } from 'node:fs';
    import { writeCheckpoint } from ${url('./checkpoint-write.ts')};
    import { readCheckpoint } from ${url('./checkpoint-read.ts')};
    const opts = { kind: ${JSON.stringify(KIND)}, createdAt: ${JSON.stringify(CREATED)} };
    const small = (i) => ({ iteration: i, x: new Float64Array(8).fill(i) });
    const look = () => ({
      files: readdirSync(${JSON.stringify(dir)}).sort(),
      sameInode: statSync(${JSON.stringify(path)}).ino === statSync(${JSON.stringify(path)} + '.prev').ino,
      latest: readCheckpoint(${JSON.stringify(path)}, { kind: opts.kind }).state.iteration,
      prev: readCheckpoint(${JSON.stringify(path)} + '.prev', { kind: opts.kind }).state.iteration,
    });
    writeCheckpoint(${JSON.stringify(path)}, small(1), opts);
    writeCheckpoint(${JSON.stringify(path)}, small(2), opts);
    let error;
    try {
      writeCheckpoint(${JSON.stringify(path)}, { iteration: 3, x: new Float64Array(5000) }, opts);
    } catch (err) {
      error = { name: err.name, code: err.code, message: err.message };
    }
    const afterFailure = look();
    writeCheckpoint(${JSON.stringify(path)}, small(4), opts);
    console.log(JSON.stringify({ error, afterFailure, afterNext: look() }));
  `;

  const child = spawnSync('bash', ['-c', 'ulimit -f 16 && exec "$0" --import tsx --input-type=module -e "$1"', process.execPath, code], { encoding: 'utf8' });

  assert.equal(child.status, 0, child.stderr);
  const r = JSON.parse(child.stdout);
  assert.equal(r.error.name, 'WriteError');
  assert.equal(r.error.code, 'EFBIG');
  assert.match(r.error.message, /checkpoint\.bin.*EFBIG/);
  assert.deepEqual(r.afterFailure, { files: ['checkpoint.bin', 'checkpoint.bin.prev'], sameInode: false, latest: 2, prev: 1 });
  assert.deepEqual(r.afterNext, { files: ['checkpoint.bin', 'checkpoint.bin.prev'], sameInode: false, latest: 4, prev: 2 });
});

test('a .prev that is the same file as the latest (left by an older version) is replaced, not kept as a link', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c.bin');
  writeCheckpoint(path, state(1), { kind: KIND, createdAt: CREATED, keepPrevious: false });
  linkSync(path, `${path}.prev`);

  writeCheckpoint(path, state(2), { kind: KIND, createdAt: CREATED });

  assert.deepEqual(readdirSync(dir).sort(), ['c.bin', 'c.bin.prev']);
  assert.notEqual(statSync(path).ino, statSync(`${path}.prev`).ino);
  assert.equal(checkpointDifference(readCheckpoint(`${path}.prev`, { kind: KIND }).state, state(1)), undefined);
  assert.equal(checkpointDifference(readCheckpoint(path, { kind: KIND }).state, state(2)), undefined);
});
