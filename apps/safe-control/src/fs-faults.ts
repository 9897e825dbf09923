// Test support: file-system faults for the write-failure specs. A file size limit (RLIMIT_FSIZE, `ulimit -f`) makes
// every file of a child process fail with EFBIG past N KiB, mid-write, as a full disk does (Node ignores SIGXFSZ);
// a read-only bind mount (as root, whom chmod does not stop) or mode 0555 (otherwise) makes a folder refuse writes.
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { chmodSync } from 'node:fs';
import type { TestContext } from 'node:test';

/** Runs `node ARGS` with files limited to `kib` KiB each (bash's `ulimit -f`). */
export function nodeWithFileSizeLimit(kib: number, args: readonly string[], timeoutMs = 300_000): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-c', `ulimit -f ${kib} && exec "$@"`, 'bash', process.execPath, ...args], { encoding: 'utf8', timeout: timeoutMs });
}

/**
 * Makes the existing folder `dir` refuse writes until the test ends: a read-only bind mount onto itself as root,
 * mode 0555 otherwise. Returns false (after skipping the test loudly) where neither is possible.
 */
export function makeReadOnly(t: TestContext, dir: string): boolean {
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555);
    t.after(() => chmodSync(dir, 0o755));
    return true;
  }
  const bind = spawnSync('mount', ['--bind', dir, dir], { encoding: 'utf8' });
  if (bind.status !== 0) {
    t.skip(`SKIPPED: root here cannot bind-mount a folder read-only (${(bind.stderr || 'mount failed').trim()})`);
    return false;
  }
  t.after(() => {
    spawnSync('umount', [dir]);
  });
  const ro = spawnSync('mount', ['-o', 'remount,bind,ro', dir], { encoding: 'utf8' });
  if (ro.status !== 0) {
    t.skip(`SKIPPED: root here cannot remount a bind mount read-only (${(ro.stderr || 'mount failed').trim()})`);
    return false;
  }
  return true;
}
