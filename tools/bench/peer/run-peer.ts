import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The implementations of SABA the peer benchmark runs, each in its own process: ours with runLoop, with the RxJS
 * streams, with the jacobi streams on 2 or 3 threads; the numpy and the numba peers.
 */
export const PEERS = ['loop', 'streams', 'threads', 'numpy', 'numba'] as const;
export type Peer = (typeof PEERS)[number];

/** The Python peers' scripts (files beside this one) and our child (toolkit-child.ts). */
export const PEER_SCRIPTS = {
  numpy: fileURLToPath(new URL('./saba_numpy.py', import.meta.url)),
  numba: fileURLToPath(new URL('./saba_numba.py', import.meta.url)),
  toolkit: fileURLToPath(new URL('./toolkit-child.ts', import.meta.url)),
} as const;

/** Options of {@link runPeer}. */
export interface RunPeerOptions {
  /** Python peers: the folder written by exportProblem. */
  readonly data: string;
  /** Our drivers: the task the child builds (peerProblem's arguments), and its untimed warm-up. */
  readonly task?: { readonly name: 'logreg-hpo' | 'datacleaning'; readonly dir: string | undefined; readonly warmupIter: number };
  readonly seed: number;
  readonly maxIter: number;
  /** Checkpoint every this many iterations (and at 0 and at the end). */
  readonly every: number;
  /** Sizes of x and z, to cut the checkpoint file. */
  readonly dimX: number;
  readonly dimZ: number;
  /** Python peers: folder written by writeSabaOrders, to replay our samplers' minibatches. */
  readonly replay?: string;
  /**
   * Python peers: BLAS threads (OPENBLAS/OMP/MKL_NUM_THREADS, and NUMBA_NUM_THREADS, numba's own pool for
   * `parallel=True`, which saba_numba.py does not use: its only threads are the BLAS's). The `threads` driver: its
   * threads (2 or 3). Default 1 for the Python peers, 2 for the threads driver; loop and streams run on one thread.
   */
  readonly threads?: number;
  /** Interpreter of a Python peer. Default `python3` (numpy) and `/usr/bin/python3` (numba, Debian's python3-numba). */
  readonly python?: string;
  /** Kill the child (SIGKILL) and throw after this many seconds. Default: no limit (a benchmark run takes what it takes). */
  readonly timeoutSeconds?: number;
}

/** One checkpoint: the solver's wall and process-CPU seconds so far (checkpoint I/O excluded) and copies of x, z, v. */
export interface PeerCheckpoint {
  readonly iter: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly x: Float64Array;
  readonly z: Float64Array;
  readonly v: Float64Array;
}

/** Result of {@link runPeer}. */
export interface PeerRun {
  readonly peer: Peer;
  /** Runtime and library versions the process reported (python, numpy, numba; node). */
  readonly versions: Readonly<Record<string, string>>;
  readonly checkpoints: PeerCheckpoint[];
  /** Peak resident memory of the process, MB (data, runtime and compiler included). */
  readonly peakRssMB: number;
  /** numba: seconds spent compiling before the timed run. */
  readonly compileSeconds?: number;
  /** Wall time of the whole process (start-up and data loading included), seconds. */
  readonly wallSeconds: number;
}

/**
 * Runs one implementation of SABA in a child process (no shell: the program and its arguments are passed as a list)
 * and reads its JSON lines and its binary checkpoints back. Every peer speaks the same protocol (saba_numpy.py's
 * docstring): a versions line, one line per checkpoint {iter, seconds, cpuSeconds}, a last {peakRssMB} line, and
 * x, z, v of every checkpoint appended as float64 to the file given with --out. Throws with the child's stderr
 * when it fails.
 */
export function runPeer(peer: Peer, options: RunPeerOptions): PeerRun {
  const fn = 'runPeer';
  for (const key of ['seed', 'maxIter', 'every', 'dimX', 'dimZ'] as const) {
    if (!Number.isSafeInteger(options[key]) || options[key] < 0) throw new RangeError(`${fn}: ${key} must be an integer ≥ 0, received ${options[key]}`);
  }
  if (options.every < 1) throw new RangeError(`${fn}: every must be ≥ 1, received ${options.every}`);
  const threads = options.threads ?? (peer === 'threads' ? 2 : 1);
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`${fn}: threads must be an integer ≥ 1, received ${threads}`);
  if (peer === 'threads' && threads !== 2 && threads !== 3) throw new RangeError(`${fn}: the threads driver runs on 2 or 3 threads, received threads ${threads}`);
  const out = join(options.data, `checkpoints-${peer}-${options.seed}${options.replay ? '-replay' : ''}.bin`);
  const common = ['--seed', String(options.seed), '--max-iter', String(options.maxIter), '--every', String(options.every), '--out', out];
  let command: string;
  let args: string[];
  if (peer === 'numpy' || peer === 'numba') {
    command = options.python ?? (peer === 'numba' ? '/usr/bin/python3' : 'python3');
    args = [PEER_SCRIPTS[peer], '--data', options.data, ...common];
    if (options.replay) args.push('--replay', options.replay);
  } else {
    if (!options.task) throw new RangeError(`${fn}: the ${peer} driver needs options.task (the problem the child builds)`);
    if (options.replay) throw new RangeError(`${fn}: replay is for the Python peers; our drivers draw their own minibatches`);
    command = process.execPath;
    const task = { name: options.task.name, dir: options.task.dir ?? null, warmupIter: options.task.warmupIter };
    args = ['--expose-gc', '--import', 'tsx', PEER_SCRIPTS.toolkit, '--driver', peer, '--task', JSON.stringify(task), ...common];
    if (peer === 'threads') args.push('--threads', String(threads));
  }
  const t = String(threads);
  const env = peer === 'numpy' || peer === 'numba' ? { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t, NUMBA_NUM_THREADS: t } : process.env;
  const t0 = performance.now();
  const timeout = options.timeoutSeconds !== undefined ? { timeout: options.timeoutSeconds * 1000, killSignal: 'SIGKILL' as const } : {};
  const res = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...timeout });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (res.error) throw new Error(`${fn}: could not run ${command} for the ${peer} peer: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${fn}: the ${peer} peer (${command}) exited with ${res.status}: ${res.stderr.trim().slice(-2000)}`);
  return readPeerOutput(peer, res.stdout, out, options.dimX, options.dimZ, wallSeconds);
}

/** Parses a peer's stdout and checkpoint file (removed afterwards) into a {@link PeerRun}. */
export function readPeerOutput(peer: Peer, stdout: string, checkpointFile: string, dimX: number, dimZ: number, wallSeconds: number): PeerRun {
  const fn = 'readPeerOutput';
  const lines = stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  const head = lines.find((l) => l.versions);
  if (!head) throw new Error(`${fn}: the ${peer} peer printed no versions line`);
  const tail = lines.find((l) => typeof l.peakRssMB === 'number');
  if (!tail) throw new Error(`${fn}: the ${peer} peer printed no peakRssMB line`);
  const records = lines.filter((l) => typeof l.iter === 'number') as { iter: number; seconds: number; cpuSeconds: number }[];
  const buf = readFileSync(checkpointFile);
  rmSync(checkpointFile);
  const bytes = new Uint8Array(buf); // a copy, aligned for the Float64Array view
  const all = new Float64Array(bytes.buffer, 0, bytes.byteLength >> 3);
  const stride = dimX + 2 * dimZ;
  if (all.length !== stride * records.length) {
    throw new Error(`${fn}: the ${peer} peer's checkpoint file holds ${all.length} values, expected ${records.length} checkpoints × ${stride}`);
  }
  const checkpoints = records.map((r, k) => {
    const off = k * stride;
    return {
      iter: r.iter,
      seconds: r.seconds,
      cpuSeconds: r.cpuSeconds,
      x: all.slice(off, off + dimX),
      z: all.slice(off + dimX, off + dimX + dimZ),
      v: all.slice(off + dimX + dimZ, off + stride),
    };
  });
  return {
    peer,
    versions: head.versions as Record<string, string>,
    checkpoints,
    peakRssMB: tail.peakRssMB as number,
    ...(typeof head.compileSeconds === 'number' ? { compileSeconds: head.compileSeconds } : {}),
    wallSeconds,
  };
}
