// The output folder of a run: refused when it holds files, and a folder that refuses writes (a read-only file
// system, no permission) is reported as not writable, never as a missing folder (Node's recursive mkdir says ENOENT).
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkWritableDir, prepareOutDir } from './output-folder';

/**
 * A folder that refuses writes: as root (whom chmod does not stop) a read-only bind mount of a new folder, else a
 * folder with mode 0555; undefined (the test is skipped, loudly) where neither is possible.
 */
function readOnlyFolder(t: TestContext): string | undefined {
  const base = mkdtempSync(join(tmpdir(), 'output-folder-'));
  const dir = join(base, 'ro');
  mkdirSync(join(dir, 'existing'), { recursive: true });
  t.after(() => {
    if (process.getuid?.() === 0) spawnSync('umount', [dir]);
    else chmodSync(dir, 0o755);
    rmSync(base, { recursive: true, force: true });
  });
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555);
    return dir;
  }
  const bind = spawnSync('mount', ['--bind', dir, dir], { encoding: 'utf8' });
  const ro = bind.status === 0 ? spawnSync('mount', ['-o', 'remount,bind,ro', dir], { encoding: 'utf8' }) : bind;
  if (ro.status !== 0) {
    t.skip(`SKIPPED: root here cannot make a read-only bind mount (${(ro.stderr || 'mount failed').trim()})`);
    return undefined;
  }
  return dir;
}

test('a new folder inside a read-only folder is "not writable", naming the folder that refuses, not ENOENT', (t) => {
  const ro = readOnlyFolder(t);
  if (ro === undefined) return;

  assert.throws(() => prepareOutDir(join(ro, 'new', 'run')), (err: Error) => {
    assert.equal(err.name, 'InputError');
    assert.match(err.message, new RegExp(`^--out .*/new/run: cannot create or write the output folder: ${ro}/? is not writable \\((EROFS|EACCES)`));
    assert.doesNotMatch(err.message, /ENOENT/);
    return true;
  });
});

test('an existing empty folder that is read-only is "not writable"', (t) => {
  const ro = readOnlyFolder(t);
  if (ro === undefined) return;

  assert.throws(() => prepareOutDir(join(ro, 'existing')), /--out .*existing: cannot create or write the output folder: it is not writable \((EROFS|EACCES)/);
  assert.throws(() => checkWritableDir(join(ro, 'existing'), '--resume'), /InputError: --resume: .*existing is not writable \((EROFS|EACCES)/);
});

test('a writable folder passes; a path through a file is reported with its cause', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'output-folder-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  writeFileSync(join(base, 'file'), 'x');

  assert.equal(prepareOutDir(join(base, 'a', 'b')), join(base, 'a', 'b'));
  checkWritableDir(join(base, 'a', 'b'), '--resume');
  assert.throws(() => prepareOutDir(join(base, 'file', 'run')), /cannot create or write the output folder \(a part of the path is not a folder\)/);
});
