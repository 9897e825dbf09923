// Child process of `benchTensorKernels` (run as `node --import tsx tensor-kernels-child.ts '<json args>'`): one
// implementation of the tensor kernels (SIMD or JavaScript) on every case of tensor-kernel-cases.ts, in a fresh
// process as in a program that uses one of them (sharing the driver's call sites between both implementations would
// change what the JIT makes of them), beside the f64x2 peak probe for the SIMD run. Prints one JSON line: the median
// CPU seconds per call of each case.
import { jsTensorKernels, simdTensorKernels } from '@bilevel/linalg';
import { bindTensorCases, tensorCaseBytes, tensorCases, tensorCaseShapes } from './tensor-kernel-cases';
import { cpuTimer } from './cpu-timer';
import { median } from './time-call';
import { wasmSimdFma } from './wasm-simd-fma';

/** Arguments of the child run. */
export interface TensorKernelsChildArgs {
  readonly impl: 'simd' | 'js';
  readonly reps: number;
  readonly blockMs: number;
}

/** What the child prints. */
export interface TensorKernelsChildResult {
  /** Median CPU seconds per call, one per case. */
  readonly perCall: number[];
  /** The f64x2 multiply-add peak (12 chains), GFLOP/s; null for the JavaScript run. */
  readonly peakGflops: number | null;
}

const args = JSON.parse(process.argv[2] ?? '{}') as TensorKernelsChildArgs;
const cases = tensorCases();
const make = args.impl === 'simd' ? simdTensorKernels : jsTensorKernels;
const fns = bindTensorCases(make(tensorCaseBytes(cases), tensorCaseShapes(cases)), cases);
const fma = wasmSimdFma(12, 2);
const peakIters = 50_000;
let sink = 0;
if (args.impl === 'simd') fns.push(() => (sink += fma.run(peakIters)));
// the blocks of all cases interleaved: round r times every case once
const timers = fns.map((fn) => cpuTimer(fn, args.blockMs, 5));
const seconds: number[][] = fns.map(() => []);
for (let r = 0; r < args.reps; r++) timers.forEach((block, i) => seconds[i].push(block()));
if (!Number.isFinite(sink)) throw new Error('tensor-kernels-child: the peak probe overflowed');
const perCall = seconds.map(median);
const peakGflops = args.impl === 'simd' ? (fma.flopsPerIter * peakIters) / (perCall.pop() as number) / 1e9 : null;
console.log(JSON.stringify({ perCall, peakGflops } satisfies TensorKernelsChildResult));
