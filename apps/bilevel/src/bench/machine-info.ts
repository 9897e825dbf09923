import { execFileSync } from 'node:child_process';
import { cpus, platform, release, totalmem } from 'node:os';
import { FLOAT64_BACKEND } from './execute-run';

/** The machine and software a benchmark ran on, written beside its results. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly totalMemoryGiB: number;
  readonly node: string;
  readonly os: string;
  /** `float64 typed-array kernels`, plus the tfjs backends of any autodiff run. */
  readonly backend: string;
  readonly date: string;
  /** `git rev-parse HEAD` of the working directory, when it is a git checkout. */
  readonly gitCommit?: string;
}

/**
 * Describes this machine: CPU model and logical cores, total memory, Node version, OS, the numeric backends used
 * (`backends`: those reported by the runs; the tfjs one only appears if an autodiff run happened), the date and the
 * git commit when `git rev-parse HEAD` works in `cwd`.
 */
export function machineInfo(backends: readonly string[] = [], cwd: string = process.cwd()): MachineInfo {
  const cpuList = cpus();
  let gitCommit: string | undefined;
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() || undefined;
  } catch {
    gitCommit = undefined;
  }
  const used = [FLOAT64_BACKEND, ...backends.filter((b) => b !== FLOAT64_BACKEND)];
  return {
    cpu: cpuList[0]?.model?.trim() ?? 'unknown',
    cores: cpuList.length,
    totalMemoryGiB: Number((totalmem() / 2 ** 30).toFixed(2)),
    node: process.version,
    os: `${platform()} ${release()}`,
    backend: [...new Set(used)].join(' + '),
    date: new Date().toISOString(),
    ...(gitCommit ? { gitCommit } : {}),
  };
}
