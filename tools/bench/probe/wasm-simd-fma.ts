import { instantiateSync } from './wasm-api';

/**
 * A WebAssembly module, assembled here byte by byte, that measures the f64x2 SIMD multiply-add throughput of this
 * machine's WebAssembly engine: `run(n)` performs n iterations of
 *
 *   a_i ← a_i ⊙ m + c      for i = 0 … A − 1, `unroll` times per iteration,
 *
 * on A independent v128 accumulators (two float64 lanes each), with m = 0.999 and c = 0.001 splatted to both lanes,
 * and returns Σ_i (a_i[0] + a_i[1]) so the work cannot be removed. Baseline SIMD has no fused multiply-add
 * (f64x2.relaxed_madd is in the relaxed-SIMD proposal), so each step is an f64x2.mul then an f64x2.add: 4 flops
 * (2 lanes × 2), and one iteration is 4·A·unroll flops. The accumulators start at a_i = 1 + i/16 in both lanes; the
 * recursion is a contraction towards c/(1 − m) = 1, so nothing overflows or goes subnormal.
 *
 * The chains are independent so the loop is bound by the multiply/add ports, not by the latency of one chain
 * (mul + add ≈ 7 cycles): A ≥ 8 chains keep two ports busy. Twelve accumulators plus m and c use 14 of the 16 xmm
 * registers of x86-64, so the engine need not spill.
 *
 * Binary layout (WebAssembly core spec 1.0 + SIMD): header `\0asm` v1; type section: one type (i32) → f64;
 * function section: one function of type 0; export section: "run" = function 0; code section: one body whose
 * locals are A + 2 v128 values (local 0 is the parameter n, locals 1 … A the accumulators, A + 1 = m, A + 2 = c):
 *   init: f64.const, f64x2.splat, local.set for each local;
 *   block { loop { br_if 1 (n == 0); unroll × A steps; n ← n − 1; br 0 } };
 *   Σ f64x2.extract_lane 0/1, f64.add.
 */
export interface WasmSimdFma {
  /** n iterations; returns the lane sum of the accumulators. */
  run(n: number): number;
  /** Flops of one iteration: 4·accumulators·unroll. */
  readonly flopsPerIter: number;
  readonly accumulators: number;
  readonly unroll: number;
}

/** The multiplier and addend of the recursion (exported for the reference computation of the spec). */
export const WASM_FMA_M = 0.999;
export const WASM_FMA_C = 0.001;

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Sub: 0x6b,
  f64Const: 0x44,
  f64Add: 0xa0,
  simd: 0xfd,
  void: 0x40,
} as const;
/** SIMD sub-opcodes (after 0xfd, as unsigned LEB128). */
const SIMD = { f64x2Splat: 20, f64x2ExtractLane: 33, f64x2Add: 240, f64x2Mul: 242 } as const;

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function f64Bytes(x: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return [...b];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

/** The module's bytes for A accumulators and the given unroll (A in 1…64, unroll in 1…16). */
export function wasmSimdFmaBytes(accumulators: number, unroll: number): Uint8Array {
  if (!(Number.isInteger(accumulators) && accumulators >= 1 && accumulators <= 64)) {
    throw new RangeError(`wasmSimdFmaBytes: accumulators must be an integer in 1…64, received ${accumulators}`);
  }
  if (!(Number.isInteger(unroll) && unroll >= 1 && unroll <= 16)) {
    throw new RangeError(`wasmSimdFmaBytes: unroll must be an integer in 1…16, received ${unroll}`);
  }
  const A = accumulators;
  const mLocal = A + 1;
  const cLocal = A + 2;
  const simd = (sub: number) => [OP.simd, ...uleb(sub)];
  const code: number[] = [];
  const splatTo = (value: number, local: number) =>
    code.push(OP.f64Const, ...f64Bytes(value), ...simd(SIMD.f64x2Splat), OP.localSet, ...uleb(local));
  for (let i = 0; i < A; i++) splatTo(1 + i / 16, 1 + i);
  splatTo(WASM_FMA_M, mLocal);
  splatTo(WASM_FMA_C, cLocal);
  code.push(OP.block, OP.void, OP.loop, OP.void);
  code.push(OP.localGet, 0, OP.i32Eqz, OP.brIf, 1);
  for (let u = 0; u < unroll; u++) {
    for (let i = 0; i < A; i++) {
      code.push(OP.localGet, ...uleb(1 + i), OP.localGet, ...uleb(mLocal), ...simd(SIMD.f64x2Mul));
      code.push(OP.localGet, ...uleb(cLocal), ...simd(SIMD.f64x2Add), OP.localSet, ...uleb(1 + i));
    }
  }
  code.push(OP.localGet, 0, OP.i32Const, 1, OP.i32Sub, OP.localSet, 0, OP.br, 0, OP.end, OP.end);
  for (let i = 0; i < A; i++) {
    code.push(OP.localGet, ...uleb(1 + i), ...simd(SIMD.f64x2ExtractLane), 0);
    if (i > 0) code.push(OP.f64Add);
    code.push(OP.localGet, ...uleb(1 + i), ...simd(SIMD.f64x2ExtractLane), 1, OP.f64Add);
  }
  code.push(OP.end);
  const locals = [1, ...uleb(A + 2), V128];
  const body = [...locals, ...code];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, I32, 1, F64]),
    ...section(3, [1, 0]),
    ...section(7, [1, 3, 0x72, 0x75, 0x6e, 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ];
  return Uint8Array.from(bytes);
}

/** Compiles the probe module (synchronously: it is a few hundred bytes). Default 12 accumulators, unroll 2. */
export function wasmSimdFma(accumulators = 12, unroll = 2): WasmSimdFma {
  const run = instantiateSync(wasmSimdFmaBytes(accumulators, unroll)).run as (n: number) => number;
  return { run: (n) => run(n), flopsPerIter: 4 * accumulators * unroll, accumulators, unroll };
}

/** What {@link wasmSimdFma}'s `run(n)` returns, computed in plain JavaScript with the same rounding (for tests). */
export function wasmSimdFmaReference(accumulators: number, unroll: number, n: number): number {
  const a = Float64Array.from({ length: accumulators }, (_, i) => 1 + i / 16);
  for (let t = 0; t < n * unroll; t++) for (let i = 0; i < accumulators; i++) a[i] = a[i] * WASM_FMA_M + WASM_FMA_C;
  let sum = 0;
  for (let i = 0; i < accumulators; i++) sum = sum + a[i] + a[i];
  return sum;
}
