import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from './write-file-atomic';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'write-file-atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('writes a new file from a string and from bytes, leaving no temporary file behind', (t) => {
  const dir = tempDir(t);

  writeFileAtomic(join(dir, 'a.txt'), 'héllo\n');
  writeFileAtomic(join(dir, 'b.bin'), new Uint8Array([0, 255, 7]));

  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'héllo\n');
  assert.deepEqual([...readFileSync(join(dir, 'b.bin'))], [0, 255, 7]);
  assert.deepEqual(readdirSync(dir).sort(), ['a.txt', 'b.bin']);
});

test('replaces an existing file and keeps its permission bits', (t) => {
  const path = join(tempDir(t), 'summary.json');
  writeFileSync(path, 'old old old old');
  chmodSync(path, 0o640);

  writeFileAtomic(path, '{}');

  assert.equal(readFileSync(path, 'utf8'), '{}');
  if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o640);
});

test('a failed rename leaves the target untouched and removes the temporary file', (t) => {
  const dir = tempDir(t);
  const target = join(dir, 'occupied');
  mkdirSync(target); // renaming a file over a directory fails after the temporary file was written
  writeFileSync(join(target, 'keep.txt'), 'keep');

  assert.throws(() => writeFileAtomic(target, 'data'), /writeFileAtomic: could not replace .*occupied .*the target was left unchanged/);

  assert.deepEqual(readdirSync(dir), ['occupied']);
  assert.equal(readFileSync(join(target, 'keep.txt'), 'utf8'), 'keep');
});

test('a missing directory is reported with the path', (t) => {
  const path = join(tempDir(t), 'no', 'such', 'dir', 'x.txt');

  assert.throws(() => writeFileAtomic(path, 'x'), /writeFileAtomic: could not replace .*x\.txt \(ENOENT/);
});

test('arguments are validated up front', () => {
  assert.throws(() => writeFileAtomic('', 'x'), /writeFileAtomic: path is ""; expected a non-empty file path/);
  assert.throws(() => writeFileAtomic('/tmp/x', 3 as never), /writeFileAtomic: data is 3; expected a string or a Uint8Array/);
});

test('a full disk (a file size limit: EFBIG mid-write): WriteError naming the file, target unchanged, no temporary file', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'summary.json');
  writeFileSync(path, 'old');
  const moduleUrl = pathToFileURL(fileURLToPath(new URL('./write-file-atomic.ts', import.meta.url))).href;
  const code = `
    import { writeFileAtomic } from ${JSON.stringify(moduleUrl)};
    try {
      writeFileAtomic(${JSON.stringify(path)}, 'y'.repeat(3000));
      console.log('written');
    } catch (err) {
      console.log(JSON.stringify({ name: err.name, code: err.code, path: err.path, message: err.message }));
    }
  `;

  const child = spawnSync('bash', ['-c', 'ulimit -f 1 && exec "$0" --import tsx --input-type=module -e "$1"', process.execPath, code], { encoding: 'utf8' });

  assert.equal(child.status, 0, child.stderr);
  const err = JSON.parse(child.stdout);
  assert.equal(err.name, 'WriteError');
  assert.equal(err.code, 'EFBIG');
  assert.equal(err.path, path);
  assert.match(err.message, /^writeFileAtomic: could not replace .*summary\.json \(EFBIG: file too large, write\); the target was left unchanged$/);
  assert.equal(readFileSync(path, 'utf8'), 'old');
  assert.deepEqual(readdirSync(dir), ['summary.json']);
});
