import { scalarFma, SCALAR_FMA_FLOPS_PER_ITER } from './scalar-fma';
import { triad, TRIAD_BYTES_PER_ELEMENT } from './triad';
import { wasmSimdFma } from './wasm-simd-fma';
import { wasmTriad } from './wasm-triad';
import type { KernelCase } from './kernel-cases';

/** Elements per array of the in-memory triad: 3 × 32 MB, 12× the 8 MB last-level cache of this machine. */
export const TRIAD_MEMORY_LENGTH = 1 << 22;
/** Elements per array of the in-cache triads: 3 × 12 KB (fits L1d, 32 KB) and 3 × 96 KB (fits L2, 512 KB). */
export const TRIAD_L1_LENGTH = 512;
export const TRIAD_L2_LENGTH = 4096;

/** Which peak a row is: the kernels' GB/s and GFLOP/s are compared with these by `benchKernels`. */
export type PeakKind = 'memory' | 'l1' | 'l2' | 'scalar' | 'simd';

/**
 * The machine's measured peaks as kernel rows: the STREAM triad on arrays far larger than the last-level cache, in
 * L1 and in L2 (GB/s), each as a JavaScript typed-array loop, a scalar WebAssembly loop and an f64x2 SIMD
 * WebAssembly loop (the peak of a level is the best of the three); the scalar float64 multiply-add throughput of a JavaScript loop with
 * 8 independent chains; and the f64x2 multiply-add throughput of a hand-assembled WebAssembly SIMD loop with 12
 * chains (GFLOP/s).
 */
export function peakCases(): (KernelCase & { readonly peak: PeakKind })[] {
  const triadCase = (length: number, peak: PeakKind, label: string) => {
    const a = new Float64Array(length);
    const b = new Float64Array(length).fill(1);
    const c = new Float64Array(length).fill(2);
    return {
      kernel: `peak: triad a = b + s·c (${label})`,
      size: `3 × ${((length * 8) / 1024).toFixed(0)} KB`,
      variant: 'js',
      flops: 2 * length,
      bytes: TRIAD_BYTES_PER_ELEMENT * length,
      workingSet: 3 * length * 8,
      fn: () => triad(a, b, c, 0.5),
      peak,
    };
  };
  const wasmTriadCase = (length: number, peak: PeakKind, label: string, simd: boolean) => {
    const w = wasmTriad(3 * length * 8);
    new Float64Array(w.memory.buffer, length * 8, 2 * length).fill(1);
    const run = simd ? w.triadSimd : w.triad;
    return {
      kernel: `peak: triad a = b + s·c (${label})`,
      size: `3 × ${((length * 8) / 1024).toFixed(0)} KB`,
      variant: simd ? 'wasm simd128' : 'wasm f64',
      flops: 2 * length,
      bytes: TRIAD_BYTES_PER_ELEMENT * length,
      workingSet: 3 * length * 8,
      fn: () => run(0, length * 8, 2 * length * 8, length, 0.5),
      peak,
    };
  };
  const fmaIters = 100_000;
  const simd = wasmSimdFma(12, 2);
  const simdIters = 50_000;
  let sink = 0;
  return [
    triadCase(TRIAD_MEMORY_LENGTH, 'memory', 'memory'),
    wasmTriadCase(TRIAD_MEMORY_LENGTH, 'memory', 'memory', false),
    wasmTriadCase(TRIAD_MEMORY_LENGTH, 'memory', 'memory', true),
    triadCase(TRIAD_L2_LENGTH, 'l2', 'L2'),
    wasmTriadCase(TRIAD_L2_LENGTH, 'l2', 'L2', false),
    wasmTriadCase(TRIAD_L2_LENGTH, 'l2', 'L2', true),
    triadCase(TRIAD_L1_LENGTH, 'l1', 'L1'),
    wasmTriadCase(TRIAD_L1_LENGTH, 'l1', 'L1', false),
    wasmTriadCase(TRIAD_L1_LENGTH, 'l1', 'L1', true),
    {
      kernel: 'peak: scalar multiply-add, 8 chains',
      size: `${fmaIters} iterations`,
      variant: 'js f64',
      flops: SCALAR_FMA_FLOPS_PER_ITER * fmaIters,
      bytes: 0,
      workingSet: 0,
      fn: () => {
        sink += scalarFma(fmaIters);
      },
      peak: 'scalar',
      note: 'mul then add (V8 emits no FMA)',
    },
    {
      kernel: 'peak: f64x2 multiply-add, 12 chains',
      size: `${simdIters} iterations`,
      variant: 'wasm simd128',
      flops: simd.flopsPerIter * simdIters,
      bytes: 0,
      workingSet: 0,
      fn: () => {
        sink += simd.run(simdIters);
        if (sink === Infinity) throw new Error('peakCases: the probe overflowed');
      },
      peak: 'simd',
      note: 'f64x2.mul then f64x2.add (baseline SIMD has no FMA)',
    },
  ];
}
