import { spawnSync } from 'node:child_process';

/** What a command returned (the part {@link ensureTorch} reads). */
export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without a shell; `env` is added to the process's environment. */
export type CommandRunner = (command: string, args: readonly string[], env?: Record<string, string>) => CommandResult;

export const runCommand: CommandRunner = (command, args, env) => {
  const r = spawnSync(command, [...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  return { status: r.error ? null : r.status, stdout: r.stdout ?? '', stderr: r.error ? r.error.message : (r.stderr ?? '') };
};

/** The Debian packages of the PyTorch peer: torch itself, and the OpenBLAS its generic BLAS resolves to. */
export const TORCH_PACKAGES = ['python3-torch', 'libopenblas0-pthread'] as const;

/** Interpreters tried in turn: Debian's (where python3-torch installs), then the one on the PATH. */
export const TORCH_PYTHONS = ['/usr/bin/python3', 'python3'] as const;

/** The outcome of {@link ensureTorch}: an interpreter that imports torch, or why there is none. */
export type TorchPeer =
  | { readonly python: string; readonly installed: readonly string[]; readonly notes: readonly string[] }
  | { readonly python: null; readonly installed: readonly string[]; readonly notes: readonly string[]; readonly skipped: string };

const tail = (text: string) => text.trim().split('\n').slice(-2).join(' ').slice(0, 300);

/**
 * Finds a Python that imports torch, installing Debian's `python3-torch` with apt-get when none does, and
 * `libopenblas0-pthread` when it is missing (without it torch falls back to the reference BLAS, about 2 GFLOP/s, and
 * its figures say nothing about PyTorch). apt-get runs as root directly, otherwise through `sudo -n` (never a
 * password prompt); a failed install is retried once after `apt-get update`. When torch still cannot be imported, the
 * result says why (the caller skips the peer with that message); a missing OpenBLAS is a note, not a skip.
 */
export function ensureTorch(run: CommandRunner = runCommand, isRoot = process.getuid?.() === 0): TorchPeer {
  const installed: string[] = [];
  const notes: string[] = [];
  const findPython = () => TORCH_PYTHONS.find((p) => run(p, ['-c', 'import torch']).status === 0) ?? null;
  const hasPackage = (name: string) => {
    const r = run('dpkg-query', ['-W', '-f=${Status}', name]);
    return r.status === 0 && r.stdout.includes('install ok installed');
  };
  const apt = (args: readonly string[]): CommandResult =>
    isRoot ? run('apt-get', args, { DEBIAN_FRONTEND: 'noninteractive' }) : run('sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]);
  const install = (packages: readonly string[]): string | null => {
    const args = ['install', '-y', '--no-install-recommends', ...packages];
    let r = apt(args);
    if (r.status !== 0) {
      apt(['update']);
      r = apt(args);
    }
    if (r.status !== 0) return `apt-get install ${packages.join(' ')} failed${r.status === null ? ' to start' : ` with status ${r.status}`}: ${tail(r.stderr || r.stdout)}`;
    installed.push(...packages);
    return null;
  };

  let python = findPython();
  if (python === null) {
    const failure = install(TORCH_PACKAGES);
    python = findPython();
    if (python === null) {
      const why = failure ?? `${TORCH_PACKAGES[0]} installed, but no interpreter among ${TORCH_PYTHONS.join(', ')} imports torch`;
      return { python: null, installed, notes, skipped: `PyTorch peer skipped: no interpreter among ${TORCH_PYTHONS.join(', ')} imports torch, and ${why}` };
    }
  }
  if (!hasPackage(TORCH_PACKAGES[1])) {
    const failure = install([TORCH_PACKAGES[1]]);
    if (failure !== null) notes.push(`${TORCH_PACKAGES[1]} is missing (${failure}): torch runs on its fallback BLAS and its figures are not representative`);
  }
  return { python, installed, notes };
}
