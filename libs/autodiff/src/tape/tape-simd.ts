import type { TensorWasmMemory } from '@bilevel/linalg';
import { WASM_BASE64 } from '../wasm/tape-kernels-binary';

/** The exports of tape-kernels.wat (pointers in bytes, counts in entries). */
interface TapeExports {
  relu(u: number, y: number, n: number): void;
  kink(u: number, g: number, d: number, n: number, alpha: number, set: number): void;
  rowBias(y: number, b: number, rows: number, n: number): void;
  planeBias(y: number, b: number, planes: number, O: number, P: number): void;
  sumRows(src: number, out: number, m: number, n: number, acc: number): void;
  sumPlanes(g: number, out: number, planes: number, O: number, P: number, acc: number): void;
  maxPool2(x: number, v: number, arg: number, np: number, H: number, W: number, OH: number, OW: number, withArg: number): void;
  scatter(arg: number, g: number, d: number, n: number): void;
}

/**
 * The tape's elementwise kernels in WebAssembly SIMD (../wasm/tape-kernels.wat) over the arena's memory, on arrays of
 * that arena (their byte offsets are passed). Each gives the bits of its JavaScript twin in the rules (see the .wat).
 * Internal to the tape folder.
 */
export interface TapeSimd {
  /** y[k] = u[k] > 0 ? u[k] : +0, k < n. */
  relu(u: Float64Array, y: Float64Array, n: number): void;
  /** d[k] (+)= (u[k] > 0 ? 1 : α)·g[k], k < n; assigned when `set`. */
  kink(u: Float64Array, g: Float64Array, d: Float64Array, n: number, alpha: number, set: boolean): void;
  /** y[i, j] += b[j] over `rows` rows of n entries. */
  rowBias(y: Float64Array, b: Float64Array, rows: number, n: number): void;
  /** y[q, p] += b[q mod O] over `planes` planes of P entries. */
  planeBias(y: Float64Array, b: Float64Array, planes: number, O: number, P: number): void;
  /** out[j] (+)= Σ_i src[i, j] over m rows of n entries (from +0 unless `acc`). */
  sumRows(src: Float64Array, out: Float64Array, m: number, n: number, acc: boolean): void;
  /** out[o] (+)= Σ over planes q ≡ o (mod O) of the plane sum, in two lanes (see the .wat); from +0 unless `acc`. */
  sumPlanes(g: Float64Array, out: Float64Array, planes: number, O: number, P: number, acc: boolean): void;
  /** 2×2, stride 2 max pooling with the first argmax (written to `arg` when `withArg`). */
  maxPool2(x: Float64Array, v: Float64Array, arg: Float64Array, np: number, H: number, W: number, OH: number, OW: number, withArg: boolean): void;
  /** d[arg[o]] += g[o], o < n. */
  scatter(arg: Float64Array, g: Float64Array, d: Float64Array, n: number): void;
}

/** The slice of the WebAssembly JavaScript API used here (the project's type libraries do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is missing. Compiled once, synchronously. */
function tapeModule(): object | null {
  if (compiled !== undefined) return compiled;
  const bytes = Buffer.from(WASM_BASE64, 'base64');
  compiled = wasmApi !== undefined && wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
  return compiled;
}

/**
 * The elementwise kernels over `memory` (the tensor kernels' arena, {@link TensorKernels.memory}), or null when the
 * arena is plain memory (JavaScript kernels) or the runtime has no WebAssembly SIMD: the rules then run their
 * JavaScript loops.
 */
export function tapeSimd(memory: TensorWasmMemory | null): TapeSimd | null {
  const mod = tapeModule();
  if (memory === null || mod === null || wasmApi === undefined) return null;
  const k = new wasmApi.Instance(mod, { env: { memory } }).exports as TapeExports;
  return {
    relu: (u, y, n) => k.relu(u.byteOffset, y.byteOffset, n),
    kink: (u, g, d, n, alpha, set) => k.kink(u.byteOffset, g.byteOffset, d.byteOffset, n, alpha, set ? 1 : 0),
    rowBias: (y, b, rows, n) => k.rowBias(y.byteOffset, b.byteOffset, rows, n),
    planeBias: (y, b, planes, O, P) => k.planeBias(y.byteOffset, b.byteOffset, planes, O, P),
    sumRows: (src, out, m, n, acc) => k.sumRows(src.byteOffset, out.byteOffset, m, n, acc ? 1 : 0),
    sumPlanes: (g, out, planes, O, P, acc) => k.sumPlanes(g.byteOffset, out.byteOffset, planes, O, P, acc ? 1 : 0),
    maxPool2: (x, v, arg, np, H, W, OH, OW, withArg) => k.maxPool2(x.byteOffset, v.byteOffset, arg.byteOffset, np, H, W, OH, OW, withArg ? 1 : 0),
    scatter: (arg, g, d, n) => k.scatter(arg.byteOffset, g.byteOffset, d.byteOffset, n),
  };
}
