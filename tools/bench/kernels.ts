import { cpus } from 'node:os';
import type { KernelCase } from './probe/kernel-cases';
import { jsKernelCases } from './probe/kernel-cases';
import { kernelData } from './probe/kernel-data';
import type { PeakKind } from './probe/peak-cases';
import { peakCases } from './probe/peak-cases';
import { tfjsMatMulCases } from './probe/tfjs-matmul-cases';
import { median, timeCall } from './probe/time-call';

/** A kernel whose working set is at most this many bytes is compared with the L2 triad, else with the memory triad. */
const IN_CACHE_BYTES = 512 * 1024;

const round = (x: number, digits: number) => +x.toFixed(digits);

/**
 * `npm run bench -- kernels [--reps 7] [--block-ms 20] [--tfjs 1]`: every hot kernel at its real size (see
 * probe/kernel-cases.ts for the flop and byte conventions) beside the machine's measured peaks (probe/peak-cases.ts).
 * Each row is the median over `reps` timed blocks of about `block-ms` ms each, after a warm-up, the blocks of all
 * rows interleaved (round r times every row once) so that the noise of this shared 2-core machine falls on every
 * row alike. Columns: µs per call, GFLOP/s, GB/s (compulsory bytes), the fraction of the scalar JavaScript
 * multiply-add peak and of the best triad bandwidth (JS, wasm or wasm SIMD) of the level the working set fits in (L2
 * when ≤ 512 KB, else memory).
 * With `--tfjs 1` (default) tfjs matMul on the wasm backend is timed at the two hot shapes, float32.
 */
export async function benchKernels(args: Record<string, number> = {}) {
  const reps = args.reps ?? 7;
  const blockMs = args['block-ms'] ?? 20;
  const withTfjs = (args.tfjs ?? 1) !== 0;
  if (!(Number.isInteger(reps) && reps >= 1)) throw new RangeError(`benchKernels: reps must be a positive integer, received ${reps}`);
  if (!(blockMs > 0)) throw new RangeError(`benchKernels: block-ms must be positive, received ${blockMs}`);
  const data = kernelData();
  const peaks = peakCases();
  let backend = 'not run';
  let tfjsCases: KernelCase[] = [];
  if (withTfjs) {
    const tfjs = await tfjsMatMulCases(data);
    backend = tfjs.backend;
    tfjsCases = tfjs.cases;
  }
  const cases: (KernelCase & { peak?: PeakKind })[] = [...peaks, ...jsKernelCases(data), ...tfjsCases];
  const timers = cases.map((c) => timeCall(c.fn, { blockMs }));
  const seconds: number[][] = cases.map(() => []);
  for (let r = 0; r < reps; r++) timers.forEach((t, i) => seconds[i].push(t.block()));
  const perCall = seconds.map(median);
  /** The best rate over the probe rows of one kind (a level's triad in JS, wasm and wasm SIMD). */
  const peakOf = (kind: PeakKind, unit: 'flops' | 'bytes') =>
    Math.max(...cases.map((c, i) => (c.peak === kind ? c[unit] / perCall[i] : 0)));
  /** The JavaScript triad of a level: what a typed-array loop reaches. */
  const jsTriad = (kind: PeakKind) => {
    const i = cases.findIndex((c) => c.peak === kind && c.variant === 'js');
    return cases[i].bytes / perCall[i] / 1e9;
  };
  const peak = {
    memoryGBs: peakOf('memory', 'bytes') / 1e9,
    l2GBs: peakOf('l2', 'bytes') / 1e9,
    l1GBs: peakOf('l1', 'bytes') / 1e9,
    scalarGflops: peakOf('scalar', 'flops') / 1e9,
    simdGflops: peakOf('simd', 'flops') / 1e9,
    jsTriadMemoryGBs: jsTriad('memory'),
    jsTriadL2GBs: jsTriad('l2'),
    jsTriadL1GBs: jsTriad('l1'),
  };
  const rows = cases.map((c, i) => {
    const s = perCall[i];
    const gflops = c.flops / s / 1e9;
    const gbs = c.bytes / s / 1e9;
    const bw = c.workingSet <= IN_CACHE_BYTES ? peak.l2GBs : peak.memoryGBs;
    const spread = seconds[i].map((x) => x / s);
    return {
      kernel: c.kernel,
      size: c.size,
      variant: c.variant,
      'µs/call': round(s * 1e6, s * 1e6 < 10 ? 3 : 1),
      'GFLOP/s': round(gflops, 3),
      'GB/s': round(gbs, 2),
      '% scalar peak': c.peak ? '' : round((100 * gflops) / peak.scalarGflops, 1),
      '% triad BW': c.peak || c.bytes === 0 ? '' : `${round((100 * gbs) / bw, 1)} (${c.workingSet <= IN_CACHE_BYTES ? 'L2' : 'mem'})`,
      'blocks min..max / median': `${Math.min(...spread).toFixed(2)}..${Math.max(...spread).toFixed(2)}`,
      ...(c.note ? { note: c.note } : {}),
    };
  });
  return {
    benchmark: 'kernels',
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
    data: data.pixelSource,
    tfjsBackend: backend,
    peaks: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, round(v, 2)])),
    reps,
    blockMs,
    rows,
  };
}
