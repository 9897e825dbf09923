import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The numpy implementation of SABA (a file beside this one). */
export const NUMPY_SCRIPT = fileURLToPath(new URL('./saba_numpy.py', import.meta.url));

/** Options of {@link runNumpy}. */
export interface RunNumpyOptions {
  /** Folder written by exportProblem. */
  readonly data: string;
  readonly seed: number;
  readonly maxIter: number;
  /** Checkpoint every this many iterations (and at 0 and at the end). */
  readonly every: number;
  /** Sizes of x and z, to cut the checkpoint file. */
  readonly dimX: number;
  readonly dimZ: number;
  /** Folder written by writeSabaOrders: replay our samplers' minibatches. */
  readonly replay?: string;
  /** BLAS threads of the numpy process (OPENBLAS/OMP/MKL_NUM_THREADS). Default 1, as our side runs on one thread. */
  readonly threads?: number;
  /** Python interpreter. Default `python3`. */
  readonly python?: string;
}

/** One checkpoint of the numpy run: solver seconds (its own clock, I/O excluded) and copies of x, z, v. */
export interface NumpyCheckpoint {
  readonly iter: number;
  readonly seconds: number;
  readonly x: Float64Array;
  readonly z: Float64Array;
  readonly v: Float64Array;
}

/** Result of {@link runNumpy}. */
export interface NumpyRun {
  readonly versions: { readonly python: string; readonly numpy: string };
  readonly checkpoints: NumpyCheckpoint[];
  /** Wall time of the whole process (data loading included), seconds. */
  readonly wallSeconds: number;
}

/**
 * Runs tools/bench/peer/saba_numpy.py once (no shell: the interpreter and its arguments are passed as a list) and
 * reads its JSON lines and its binary checkpoints back. Throws with the interpreter's stderr when it fails.
 */
export function runNumpy(options: RunNumpyOptions): NumpyRun {
  const fn = 'runNumpy';
  for (const key of ['seed', 'maxIter', 'every', 'dimX', 'dimZ'] as const) {
    if (!Number.isSafeInteger(options[key]) || options[key] < 0) throw new RangeError(`${fn}: ${key} must be an integer ≥ 0, received ${options[key]}`);
  }
  if (options.every < 1) throw new RangeError(`${fn}: every must be ≥ 1, received ${options.every}`);
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`${fn}: threads must be an integer ≥ 1, received ${threads}`);
  const out = join(options.data, `checkpoints-${options.seed}${options.replay ? '-replay' : ''}.bin`);
  const args = [NUMPY_SCRIPT, '--data', options.data, '--seed', String(options.seed), '--max-iter', String(options.maxIter), '--every', String(options.every), '--out', out];
  if (options.replay) args.push('--replay', options.replay);
  const t = String(threads);
  const env = { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t };
  const t0 = performance.now();
  const res = spawnSync(options.python ?? 'python3', args, { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (res.error) throw new Error(`${fn}: could not start ${options.python ?? 'python3'}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${fn}: saba_numpy.py exited with ${res.status}: ${res.stderr.trim().slice(-2000)}`);
  const lines = res.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  const versions = lines.find((l) => l.versions)?.versions as NumpyRun['versions'] | undefined;
  if (!versions) throw new Error(`${fn}: saba_numpy.py printed no versions line`);
  const records = lines.filter((l) => typeof l.iter === 'number') as { iter: number; seconds: number }[];
  const buf = readFileSync(out);
  rmSync(out);
  const bytes = new Uint8Array(buf); // a copy, aligned for the Float64Array view
  const all = new Float64Array(bytes.buffer, 0, bytes.byteLength >> 3);
  const stride = options.dimX + 2 * options.dimZ;
  if (all.length !== stride * records.length) {
    throw new Error(`${fn}: checkpoint file holds ${all.length} values, expected ${records.length} checkpoints × ${stride}`);
  }
  const checkpoints = records.map((r, k) => {
    const off = k * stride;
    return {
      iter: r.iter,
      seconds: r.seconds,
      x: all.slice(off, off + options.dimX),
      z: all.slice(off + options.dimX, off + options.dimX + options.dimZ),
      v: all.slice(off + options.dimX + options.dimZ, off + stride),
    };
  });
  return { versions, checkpoints, wallSeconds };
}
