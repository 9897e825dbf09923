import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { tensorKernels } from '@bilevel/linalg';
import type { TensorCase } from './probe/tensor-kernel-cases';
import { tensorCases } from './probe/tensor-kernel-cases';
import type { TensorKernelsChildArgs, TensorKernelsChildResult } from './probe/tensor-kernels-child';
import { spawnJson } from './probe/spawn-json';

/** The PyTorch / numpy probe (a file beside this one's probes). */
const TORCH_SCRIPT = fileURLToPath(new URL('./probe/torch_float64.py', import.meta.url));
/** Interpreters tried in turn: the first that imports torch runs the probe, else the first that imports numpy. */
const PYTHONS = ['python3', '/usr/bin/python3'];

interface PythonResult {
  readonly python: string;
  readonly torch: string | null;
  readonly numpy: string | null;
  readonly torchBlas: string | null;
  readonly numpyBlas: string | null;
  readonly loadedBlas: readonly string[];
  readonly rows: readonly { readonly torch: number | null; readonly numpy: number | null }[];
}

const round = (x: number, digits: number) => +x.toFixed(digits);
const gflops = (flops: number, seconds: number | null | undefined) => (seconds ? round(flops / seconds / 1e9, 2) : null);

/** The interpreter to run the probe with, or null when none has torch or numpy. */
function pickPython(): { python: string; hasTorch: boolean } | null {
  const imports = (python: string, mod: string) => spawnSync(python, ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;
  for (const python of PYTHONS) if (imports(python, 'torch')) return { python, hasTorch: true };
  for (const python of PYTHONS) if (imports(python, 'numpy')) return { python, hasTorch: false };
  return null;
}

/** Runs torch_float64.py on one BLAS thread (no shell) and returns its JSON line; throws with its stderr. */
function runTorchProbe(python: string, cases: readonly TensorCase[], reps: number, blockMs: number): PythonResult {
  const arg = JSON.stringify({ reps, blockMs, cases: cases.map((c) => c.spec) });
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(python, [TORCH_SCRIPT, arg], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`benchTensorKernels: ${python} ${TORCH_SCRIPT} exited with ${r.status}: ${(r.stderr ?? '').slice(-2000)}`);
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as PythonResult;
}

/**
 * `npm run bench -- tensor-kernels [--reps 7] [--block-ms 20] [--torch 1]`: the tensor kernels (matmul and the three
 * convolutions) at the shapes of the gradient of the MLP 784-256-10 (batch 64) and convnet (4 × conv 3×3,
 * 32 channels, 28×28 inputs, batch 16), see probe/tensor-kernel-cases.ts, in WebAssembly SIMD and in JavaScript,
 * beside the machine's measured f64x2 peak (probe/wasm-simd-fma.ts: a register-resident loop of f64x2 multiplies and
 * adds on twelve chains; baseline SIMD has no fused multiply-add, so 4 flops per f64x2 step) and beside PyTorch and
 * numpy float64 on one thread in the same run (probe/torch_float64.py, `--torch 0` skips them).
 * Each implementation runs in a fresh process (probe/tensor-kernels-child.ts), then Python; each figure is the median
 * over `reps` blocks of about `block-ms` ms of CPU time (the process's user + system time, probe/cpu-timer.ts, so
 * that time spent descheduled on this shared 2-core machine does not count), after a warm-up, the blocks of all
 * cases interleaved (round r times every case once); Python times its blocks the same way (time.process_time).
 * Rows: GFLOP/s per kernel and shape, the ratio torch ÷ wasm of their speeds (≤ 2 is the target), wasm ÷ js,
 * and the fraction of the SIMD peak; then per model the sum of the times of the kernels of its parameter gradient
 * (one each; a Hessian-vector product repeats them about twice).
 */
export async function benchTensorKernels(args: Record<string, number> = {}) {
  const reps = args.reps ?? 7;
  const blockMs = args['block-ms'] ?? 20;
  const withTorch = (args.torch ?? 1) !== 0;
  if (!(Number.isInteger(reps) && reps >= 1)) throw new RangeError(`benchTensorKernels: reps must be a positive integer, received ${reps}`);
  if (!(blockMs > 0)) throw new RangeError(`benchTensorKernels: block-ms must be positive, received ${blockMs}`);
  const cases = tensorCases();
  const simd = tensorKernels({ bytes: 0 }).simd;
  // each implementation in a fresh process, as in a program that uses one of them
  const run = (impl: 'simd' | 'js') => spawnJson<TensorKernelsChildResult>('./tensor-kernels-child.ts', { impl, reps, blockMs } satisfies TensorKernelsChildArgs);
  const simdRun = simd ? await run('simd') : null;
  const jsRun = await run('js');
  const peak = { simdGflops: simdRun?.peakGflops ? round(simdRun.peakGflops, 2) : null };
  const wasmAt = (i: number) => simdRun?.perCall[i] ?? null;
  const jsAt = (i: number) => jsRun.perCall[i];

  let py: PythonResult | null = null;
  let pythonNote = 'not run (--torch 0)';
  if (withTorch) {
    const picked = pickPython();
    if (!picked) pythonNote = `no interpreter among ${PYTHONS.join(', ')} imports torch or numpy`;
    else {
      py = runTorchProbe(picked.python, cases, reps, blockMs);
      pythonNote = picked.hasTorch ? `${picked.python}: torch ${py.torch}, numpy ${py.numpy}` : `${picked.python}: numpy ${py.numpy} (no torch)`;
    }
  }

  const rows: Record<string, unknown>[] = cases.map((c, i) => {
    const wasm = wasmAt(i);
    const torch = py?.rows[i]?.torch ?? null;
    const numpy = py?.rows[i]?.numpy ?? null;
    return {
      model: c.model,
      kernel: c.label,
      MFLOP: round(c.flops / 1e6, 2),
      'wasm GFLOP/s': gflops(c.flops, wasm),
      'js GFLOP/s': gflops(c.flops, jsAt(i)),
      'torch GFLOP/s': gflops(c.flops, torch),
      'numpy GFLOP/s': gflops(c.flops, numpy),
      'torch ÷ wasm': wasm && torch ? round(wasm / torch, 2) : null,
      'wasm ÷ js': wasm ? round(jsAt(i) / wasm, 2) : null,
      '% simd peak': wasm && peak.simdGflops ? round((100 * c.flops) / wasm / 1e9 / peak.simdGflops, 1) : null,
    };
  });
  for (const model of ['mlp', 'convnet'] as const) {
    const idx = cases.map((c, i) => (c.model === model && c.inGradient ? i : -1)).filter((i) => i >= 0);
    const flops = idx.reduce((s, i) => s + cases[i].flops, 0);
    const sum = (f: (i: number) => number | null) => (idx.every((i) => f(i) !== null) ? idx.reduce((s, i) => s + (f(i) as number), 0) : null);
    const wasm = sum(wasmAt);
    const js = sum(jsAt);
    const torch = sum((i) => py?.rows[i]?.torch ?? null);
    const numpy = model === 'mlp' ? sum((i) => py?.rows[i]?.numpy ?? null) : null;
    rows.push({
      model,
      kernel: `Σ ${model === 'mlp' ? 'MLP 784-256-10, batch 64: 5 products' : 'convnet 28×28, batch 16: 11 convolutions'} (ms: wasm ${wasm ? round(wasm * 1e3, 2) : '-'}, torch ${torch ? round(torch * 1e3, 2) : '-'})`,
      MFLOP: round(flops / 1e6, 2),
      'wasm GFLOP/s': gflops(flops, wasm),
      'js GFLOP/s': gflops(flops, js),
      'torch GFLOP/s': gflops(flops, torch),
      'numpy GFLOP/s': gflops(flops, numpy),
      'torch ÷ wasm': wasm && torch ? round(wasm / torch, 2) : null,
      'wasm ÷ js': wasm && js ? round(js / wasm, 2) : null,
      '% simd peak': wasm && peak.simdGflops ? round((100 * flops) / wasm / 1e9 / peak.simdGflops, 1) : null,
    });
  }
  return {
    benchmark: 'tensor-kernels',
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
    simd,
    peaks: peak,
    python: pythonNote,
    blas: py ? { torch: py.torchBlas, numpy: py.numpyBlas, loaded: py.loadedBlas } : null,
    reps,
    blockMs,
    rows,
  };
}
