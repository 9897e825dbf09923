import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DualMedians } from './probe/dual-timer';
import { mergeMedians } from './probe/dual-timer';
import { ensureTorch } from './probe/ensure-torch';
import type { ModelCase } from './probe/model-cases';
import { makeModelData, MODEL_CASES, readFloat64, relativeError, writeModelData } from './probe/model-cases';
import type { KernelFloor, ModelsEngineChildArgs, ModelsEngineChildResult } from './probe/models-engine-child';
import type { ModelsTfjsChildArgs, ModelsTfjsChildResult } from './probe/models-tfjs-child';
import { spawnJson } from './probe/spawn-json';
import { median } from './probe/time-call';

/** The PyTorch peer (a file beside the other probes). */
const TORCH_SCRIPT = fileURLToPath(new URL('./probe/torch_models.py', import.meta.url));
/** The engine's gradient and HVP must equal PyTorch's float64 ones to this (‖a − b‖ / ‖b‖): the same computation. */
export const SAME_COMPUTATION_TOL = 1e-10;
/** Heap growth allowed over the counted HVPs (as the heap tests: forced collections leave ±100 KB of noise). */
const HEAP_SLACK = 256 * 1024;
/** Targets of issue 17. */
const TARGETS = { withinTorch: 2, smallFasterBatch: 16, overTfjs: 20 } as const;

const round = (x: number | null | undefined, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? null : +x.toFixed(digits));
const KNOWN = ['reps', 'rounds', 'block-ms', 'torch', 'tfjs', 'tfjs-cpu', 'js', 'heap-hvps', 'seed'];

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`benchModels: --${name} must be a positive integer, received ${v}`);
  return v;
}

function flag(name: string, v: number | undefined, fallback: 0 | 1): boolean {
  const x = v ?? fallback;
  if (x !== 0 && x !== 1) throw new RangeError(`benchModels: --${name} must be 0 or 1, received ${x}`);
  return x === 1;
}

interface TorchResult {
  readonly python: string;
  readonly torch: string;
  readonly threads: number;
  readonly loadedBlas: readonly string[];
  readonly cases: readonly { readonly id: string; readonly grad: DualMedians; readonly hvp: DualMedians; readonly gradFile: string; readonly hvpFile: string }[];
}

/** Runs torch_models.py on one thread (no shell) and returns its JSON line; throws with its stderr tail. */
function runTorch(python: string, dir: string, reps: number, blockMs: number): TorchResult {
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(python, [TORCH_SCRIPT, JSON.stringify({ dir, reps, blockMs })], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`benchModels: ${python} ${TORCH_SCRIPT} exited with ${r.status}: ${(r.stderr ?? '').slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as TorchResult;
}

type Figures = { readonly grad: DualMedians | null; readonly hvp: DualMedians | null };

/** The per-case figures of several runs of one implementation, pooled (cases and files as in the first run). */
function mergeCases<C extends { readonly id: string } & Figures>(runs: readonly { readonly cases: readonly C[] }[]): C[] {
  return runs[0].cases.map((c) => {
    const all = (what: 'grad' | 'hvp') => runs.map((r) => r.cases.find((x) => x.id === c.id)?.[what] ?? null).filter((f): f is DualMedians => f !== null);
    const grad = all('grad');
    const hvp = all('hvp');
    return { ...c, grad: grad.length > 0 ? mergeMedians(grad) : null, hvp: hvp.length > 0 ? mergeMedians(hvp) : null };
  });
}

function mergeEngine(runs: readonly ModelsEngineChildResult[]): ModelsEngineChildResult {
  const floor = (id: string, what: 'gradFloor' | 'hvpFloor') => {
    const all = runs.map((r) => r.cases.find((x) => x.id === id)?.[what]).filter((f): f is KernelFloor => f !== undefined);
    return { calls: all[0].calls, ms: median(all.map((f) => f.ms)) };
  };
  const cases = mergeCases(runs).map((c) => ({ ...c, gradFloor: floor(c.id, 'gradFloor'), hvpFloor: floor(c.id, 'hvpFloor') }));
  return { ...runs[0], cases };
}

function mergeTfjs(runs: readonly ModelsTfjsChildResult[]): ModelsTfjsChildResult {
  return { ...runs[0], cases: mergeCases(runs) };
}

function mergeTorch(runs: readonly TorchResult[]): TorchResult {
  return { ...runs[0], cases: mergeCases(runs) };
}

/**
 * `npm run bench -- models [--reps 21] [--rounds 3] [--block-ms 20] [--torch 1] [--tfjs 1] [--tfjs-cpu 1] [--js 1]
 * [--heap-hvps 100000] [--seed 17]`: issue 17's model benchmark. The models (probe/model-cases.ts): an MLP 784-256-10
 * (relu, mean softmax cross-entropy) at batch 64, and at 16 and 4 (the "small model" target), and a convnet 4 × [conv
 * 3×3, 32 channels, padding 1, relu, 2×2 max pool] + dense 32 → 10 on 28 × 28 images at batch 16. For each, the time
 * of one gradient (w.r.t. every weight) and one Hessian-vector product (every weight, a random direction) for
 * - this engine (the tape, forward-over-reverse), on the WebAssembly SIMD tensor kernels and on the JavaScript ones
 *   (each in a fresh process, probe/models-engine-child.ts), with the summed time of its tensor-kernel calls in the
 *   same replay (the floor the rest of the replay adds to) and their count;
 * - tfjs (@tensorflow/tfjs on the backend the project's initEngine picks, wasm here; float32; the HVP by tf.grads of
 *   ⟨tf.grads(loss), v⟩), and, for a model whose gradient that backend cannot compute, on tfjs's cpu backend
 *   (probe/models-tfjs-child.ts; `--tfjs-cpu 0` skips it: about 8 s a convnet gradient);
 * - PyTorch float64 on one thread (torch_models.py: torch.set_num_threads(1), torch.autograd.grad, the HVP by
 *   autograd.grad of ⟨autograd.grad(loss, create_graph=True), v⟩), Debian's python3-torch with OpenBLAS, installed
 *   with apt-get when missing (probe/ensure-torch.ts), skipped with a message when it cannot be.
 * All on the same weights, direction, images and labels (seeded, written to a temporary folder the children and
 * Python read). Each figure is the median over `reps` blocks of at least `block-ms` ms of CPU time each (a block
 * repeats the call; one call where it is longer), after a warm-up, the blocks of all cases of one implementation
 * interleaved; the engine on SIMD kernels, tfjs and PyTorch run in `rounds` alternating rounds of reps/rounds blocks
 * each (fresh processes), their blocks pooled, so that a change of the machine's load falls on each alike; CPU time (process.cpuUsage, time.process_time: what the process computed, robust on this shared
 * machine) and wall time are both reported. The engine's gradient and HVP are checked against PyTorch's to
 * {@link SAME_COMPUTATION_TOL} relative (the same computation is compared), tfjs's are reported. The heap, in a fresh
 * process: heapUsed before and after `heap-hvps` HVPs of the MLP at batch 4 (after as many as a warm-up, forced
 * collections around them) and the garbage collections V8 ran meanwhile. The last stdout line is the JSON result.
 */
export async function benchModels(args: Record<string, number> = {}) {
  for (const key of Object.keys(args)) {
    if (!KNOWN.includes(key)) throw new RangeError(`benchModels: unknown option --${key}; expected one of ${KNOWN.map((k) => `--${k}`).join(', ')}`);
  }
  const reps = positiveInt('reps', args.reps ?? 21);
  const rounds = positiveInt('rounds', args.rounds ?? 3);
  const blockMs = args['block-ms'] ?? 20;
  if (!(blockMs > 0 && Number.isFinite(blockMs))) throw new RangeError(`benchModels: --block-ms must be a positive number, received ${blockMs}`);
  const withTorch = flag('torch', args.torch, 1);
  const withTfjs = flag('tfjs', args.tfjs, 1);
  const withTfjsCpu = flag('tfjs-cpu', args['tfjs-cpu'], 1);
  const withJs = flag('js', args.js, 1);
  const heapHvps = args['heap-hvps'] ?? 100_000;
  if (!(Number.isSafeInteger(heapHvps) && heapHvps >= 0)) throw new RangeError(`benchModels: --heap-hvps must be an integer ≥ 0, received ${heapHvps}`);
  const seed = args.seed ?? 17;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`benchModels: --seed must be an integer, received ${seed}`);

  const cases: readonly ModelCase[] = MODEL_CASES;
  const dir = mkdtempSync(join(tmpdir(), 'bench-models-'));
  try {
    writeModelData(dir, cases, cases.map((c, i) => makeModelData(c, seed + i)));
    const loadBefore = loadavg();

    let torchNote = 'not run (--torch 0)';
    let torchSetup: ReturnType<typeof ensureTorch> | null = null;
    if (withTorch) {
      torchSetup = ensureTorch();
      if (torchSetup.python === null) {
        torchNote = torchSetup.skipped;
        console.error(`benchModels: ${torchNote}`);
      }
    }
    const torchPython = torchSetup?.python ?? null;

    // the engine (SIMD kernels), tfjs and PyTorch in alternating rounds, so that the load of this shared machine
    // falls on all three alike; each figure pools the blocks of every round
    const perRound = Math.ceil(reps / rounds);
    const wasmRuns: ModelsEngineChildResult[] = [];
    const tfjsRuns: ModelsTfjsChildResult[] = [];
    const torchRuns: TorchResult[] = [];
    for (let r = 0; r < rounds; r++) {
      wasmRuns.push(await spawnJson<ModelsEngineChildResult>('./models-engine-child.ts', { dir, kernels: 'auto', reps: perRound, blockMs } satisfies ModelsEngineChildArgs));
      if (withTfjs) tfjsRuns.push(await spawnJson<ModelsTfjsChildResult>('./models-tfjs-child.ts', { dir, reps: perRound, blockMs } satisfies ModelsTfjsChildArgs));
      if (torchPython !== null) torchRuns.push(runTorch(torchPython, dir, perRound, blockMs));
    }
    const wasm = mergeEngine(wasmRuns);
    const tfjs = tfjsRuns.length > 0 ? mergeTfjs(tfjsRuns) : null;
    const torch = torchRuns.length > 0 ? mergeTorch(torchRuns) : null;
    if (torch !== null && torchSetup !== null) {
      torchNote = `${torchPython}: torch ${torch.torch}, ${torch.threads} thread, BLAS ${torch.loadedBlas.join(', ') || 'unknown'}${torchSetup.notes.length ? `; ${torchSetup.notes.join('; ')}` : ''}`;
    }
    // the JavaScript kernels (for reference) and tfjs's cpu backend (a model the first backend cannot differentiate:
    // about 8 s a convnet gradient) once
    const js = withJs ? await spawnJson<ModelsEngineChildResult>('./models-engine-child.ts', { dir, kernels: 'js', reps: perRound * rounds, blockMs } satisfies ModelsEngineChildArgs) : null;
    let tfjsCpu: ModelsTfjsChildResult | null = null;
    const failed = tfjs?.cases.filter((c) => c.grad === null).map((c) => c.id) ?? [];
    if (withTfjsCpu && tfjs !== null && failed.length > 0 && tfjs.backend !== 'cpu') {
      tfjsCpu = await spawnJson<ModelsTfjsChildResult>('./models-tfjs-child.ts', { dir, reps: perRound * rounds, blockMs, only: failed, prefer: 'cpu', warmup: 1 } satisfies ModelsTfjsChildArgs);
    }
    const heapRun =
      heapHvps > 0
        ? await spawnJson<ModelsEngineChildResult>('./models-engine-child.ts', {
            dir, kernels: 'auto', reps, blockMs, only: ['mlp4'], heapHvps, heapCase: 'mlp4', heapOnly: true,
          } satisfies ModelsEngineChildArgs)
        : null;
    const loadAfter = loadavg();

    // the same computation: engine (both kernels) against PyTorch float64; tfjs (float32) reported
    const check = cases.map((c) => {
      const t = torch?.cases.find((x) => x.id === c.id) ?? null;
      const err = (file: string | null | undefined, ref: string | undefined) => (file && ref ? relativeError(readFloat64(file), readFloat64(ref)) : null);
      const w = wasm.cases.find((x) => x.id === c.id);
      const j = js?.cases.find((x) => x.id === c.id);
      const f = tfjs?.cases.find((x) => x.id === c.id);
      const fc = tfjsCpu?.cases.find((x) => x.id === c.id);
      return {
        case: c.id,
        engineGrad: err(w?.gradFile, t?.gradFile),
        engineHvp: err(w?.hvpFile, t?.hvpFile),
        engineJsGrad: err(j?.gradFile, t?.gradFile),
        engineJsHvp: err(j?.hvpFile, t?.hvpFile),
        tfjsGrad: err(f?.gradFile ?? fc?.gradFile, t?.gradFile),
        tfjsHvp: err(f?.hvpFile ?? fc?.hvpFile, t?.hvpFile),
      };
    });
    const same = torch === null ? null : check.every((c) => [c.engineGrad, c.engineHvp, c.engineJsGrad, c.engineJsHvp].every((e) => e === null || e <= SAME_COMPUTATION_TOL));

    const rows: Record<string, unknown>[] = [];
    const summary: Record<string, unknown>[] = [];
    for (const c of cases) {
      const w = wasm.cases.find((x) => x.id === c.id);
      const j = js?.cases.find((x) => x.id === c.id);
      const t = torch?.cases.find((x) => x.id === c.id);
      const f = tfjs?.cases.find((x) => x.id === c.id);
      const fc = tfjsCpu?.cases.find((x) => x.id === c.id);
      for (const what of ['grad', 'hvp'] as const) {
        const fig = (x: Figures | undefined | null) => x?.[what] ?? null;
        const tf = fig(f) ?? fig(fc);
        const tfBackend = fig(f) ? tfjs?.backend : fig(fc) ? `${tfjsCpu?.backend} (${tfjs?.backend}: ${f?.[what === 'grad' ? 'gradError' : 'hvpError']})` : null;
        const tfError = tf === null ? (fc?.[what === 'grad' ? 'gradError' : 'hvpError'] ?? f?.[what === 'grad' ? 'gradError' : 'hvpError'] ?? (withTfjs ? 'not run' : 'not run (--tfjs 0)')) : null;
        const ew = fig(w);
        const floor = what === 'grad' ? w?.gradFloor : w?.hvpFloor;
        const ratio = (a: DualMedians | null, b: DualMedians | null) => (a && b ? a.cpuMs / b.cpuMs : null);
        const row = {
          model: c.label,
          what: what === 'grad' ? 'gradient' : 'HVP',
          'engine wasm ms': round(ew?.cpuMs),
          'engine js ms': round(fig(j)?.cpuMs),
          'tfjs ms': round(tf?.cpuMs, 2),
          'torch ms': round(fig(t)?.cpuMs),
          'wasm / torch': round(ratio(ew, fig(t)), 2),
          'js / torch': round(ratio(fig(j), fig(t)), 2),
          'tfjs / wasm': round(ratio(tf, ew), 1),
          'kernel floor ms': round(floor?.ms),
          'wall ms (wasm, torch)': `${round(ew?.wallMs, 2) ?? '-'}, ${round(fig(t)?.wallMs, 2) ?? '-'}`,
        };
        rows.push(row);
        summary.push({
          case: c.id,
          what,
          engineWasm: ew,
          engineJs: fig(j),
          tfjs: tf,
          tfjsBackend: tfBackend,
          tfjsMissing: tfError,
          torch: fig(t),
          kernelFloor: floor ?? null,
          replayWork: w ? w.work[what] : null,
        });
      }
    }

    // targets, on CPU-time medians
    const cpuOf = (id: string, what: 'grad' | 'hvp', who: 'engineWasm' | 'torch' | 'tfjs') =>
      ((summary.find((s) => s.case === id && s.what === what) as Record<string, DualMedians | null> | undefined)?.[who]?.cpuMs ?? null);
    const targets = cases.flatMap((c) =>
      (['grad', 'hvp'] as const).map((what) => {
        const e = cpuOf(c.id, what, 'engineWasm');
        const t = cpuOf(c.id, what, 'torch');
        const f = cpuOf(c.id, what, 'tfjs');
        const small = c.model === 'mlp' && c.batch <= TARGETS.smallFasterBatch;
        const vsTorch = e !== null && t !== null ? e / t : null;
        return {
          case: c.id,
          what,
          engineOverTorch: round(vsTorch, 2),
          withinTwiceTorch: vsTorch === null ? null : vsTorch <= TARGETS.withinTorch,
          fasterThanTorch: small && vsTorch !== null ? vsTorch < 1 : null,
          tfjsOverEngine: f !== null && e !== null ? round(f / e, 1) : null,
          twentyTimesTfjs: what === 'hvp' && f !== null && e !== null ? f / e >= TARGETS.overTfjs : null,
        };
      }),
    );
    const h = heapRun?.heap ?? null;
    const heap = h ? { ...h, flat: h.growth <= HEAP_SLACK && h.collections === 0, slack: HEAP_SLACK } : null;

    return {
      benchmark: 'models',
      machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, loadAverage: { before: loadBefore.map((l) => round(l, 2)), after: loadAfter.map((l) => round(l, 2)) } },
      note: 'ms per call: CPU-time medians over the same run (wall times beside); ratios of CPU medians; engine = tape, forward-over-reverse, float64',
      reps: perRound * rounds,
      rounds,
      blockMs,
      engine: { simd: wasm.simd },
      tfjs: tfjs ? { version: tfjs.tfjs, backend: tfjs.backend, fallback: tfjsCpu ? { backend: tfjsCpu.backend, cases: tfjsCpu.cases.map((c) => c.id) } : null } : 'not run (--tfjs 0)',
      torch: torchNote,
      torchInstalled: torchSetup?.installed ?? [],
      sameComputation: { tol: SAME_COMPUTATION_TOL, ok: same, relativeErrors: check },
      heap,
      targets,
      cases: summary,
      rows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
