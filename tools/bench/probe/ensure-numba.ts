import type { CommandResult, CommandRunner } from './ensure-torch';
import { runCommand } from './ensure-torch';

/** Debian's numba (it pulls Debian's numpy, linked to the system BLAS: OpenBLAS here). */
export const NUMBA_PACKAGE = 'python3-numba';

/** Interpreters tried in turn: Debian's (where python3-numba installs), then the one on the PATH. */
export const NUMBA_PYTHONS = ['/usr/bin/python3', 'python3'] as const;

/** The outcome of {@link ensureNumba}: an interpreter that imports numba, or why there is none. */
export type NumbaPeer =
  | { readonly python: string; readonly installed: readonly string[] }
  | { readonly python: null; readonly installed: readonly string[]; readonly skipped: string };

const tail = (text: string) => text.trim().split('\n').slice(-2).join(' ').slice(0, 300);

/**
 * Finds a Python that imports numba, installing Debian's `python3-numba` with apt-get when none does (as root
 * directly, otherwise through `sudo -n`: never a password prompt; a failed install is retried once after
 * `apt-get update`). When numba still cannot be imported the result says why, and the caller skips the numba peer
 * with that message.
 */
export function ensureNumba(run: CommandRunner = runCommand, isRoot = process.getuid?.() === 0): NumbaPeer {
  const findPython = () => NUMBA_PYTHONS.find((p) => run(p, ['-c', 'import numba']).status === 0) ?? null;
  const found = findPython();
  if (found !== null) return { python: found, installed: [] };
  const apt = (args: readonly string[]): CommandResult =>
    isRoot ? run('apt-get', args, { DEBIAN_FRONTEND: 'noninteractive' }) : run('sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]);
  const args = ['install', '-y', '--no-install-recommends', NUMBA_PACKAGE];
  let r = apt(args);
  if (r.status !== 0) {
    apt(['update']);
    r = apt(args);
  }
  const python = findPython();
  if (python !== null) return { python, installed: [NUMBA_PACKAGE] };
  const why =
    r.status !== 0
      ? `apt-get install ${NUMBA_PACKAGE} failed${r.status === null ? ' to start' : ` with status ${r.status}`}: ${tail(r.stderr || r.stdout)}`
      : `${NUMBA_PACKAGE} installed, but no interpreter among ${NUMBA_PYTHONS.join(', ')} imports numba`;
  return { python: null, installed: r.status === 0 ? [NUMBA_PACKAGE] : [], skipped: `numba peer skipped: no interpreter among ${NUMBA_PYTHONS.join(', ')} imports numba, and ${why}` };
}
