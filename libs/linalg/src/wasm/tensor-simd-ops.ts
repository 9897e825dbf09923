import type { PackedOps } from '../tensor-gemm';
import { panelRows } from '../tensor-gemm';
import { WASM_BASE64 } from './tensor-kernels-binary';

/** The exports of tensor-kernels.wat (pointers and strides in bytes). */
interface TensorExports {
  packA(mr: number, src: number, rs: number, cs: number, mc: number, kc: number, dst: number): void;
  packB(src: number, rs: number, cs: number, kc: number, nc: number, dst: number): void;
  packBTable(src: number, pOff: number, jOff: number, kc: number, nc: number, dst: number): void;
  macro(mr: number, mc: number, nc: number, kc: number, pa: number, pb: number, c: number, ldc: number, first: number, tile: number): void;
  padCopy(src: number, ch: number, h: number, w: number, dst: number, hb: number, wb: number, oy: number, ox: number, dy: number, dx: number): void;
  swapAxes(src: number, o1: number, c1: number, len: number, dst: number): void;
}

/** The slice of the WebAssembly JavaScript API used here (the project's type libraries do not declare it). */
export interface TensorWasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number }) => TensorWasmMemory;
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65536;
let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is missing. Compiled once, synchronously. */
function tensorModule(): object | null {
  if (compiled !== undefined) return compiled;
  const bytes = Buffer.from(WASM_BASE64, 'base64');
  compiled = wasmApi !== undefined && wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
  return compiled;
}

/**
 * Whether the WebAssembly SIMD tensor kernels can run: the runtime validates the module (WebAssembly with SIMD) and
 * the environment variable `BILEVEL_KERNELS` is not `js` (which forces the JavaScript kernels everywhere).
 */
export function tensorSimdAvailable(): boolean {
  if (process.env.BILEVEL_KERNELS === 'js') return false;
  return tensorModule() !== null;
}

/**
 * A fixed WebAssembly memory of at least `bytes` bytes (it never grows: growing would detach every view) with the
 * SIMD kernels of tensor-kernels.wat as {@link PackedOps} over it. Throws when the runtime has no WebAssembly SIMD.
 */
export function tensorSimdOps(bytes: number): { readonly memory: TensorWasmMemory; readonly ops: PackedOps } {
  const mod = tensorModule();
  if (!mod || !wasmApi) throw new Error('tensorSimdOps: this runtime has no WebAssembly SIMD; use the JavaScript kernels');
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  const memory = new wasmApi.Memory({ initial: pages, maximum: pages });
  const k = new wasmApi.Instance(mod, { env: { memory } }).exports as TensorExports;
  const ops: PackedOps = {
    panelRows,
    packA: (mr, src, rs, cs, mc, kc, dst) => k.packA(mr, 8 * src, 8 * rs, 8 * cs, mc, kc, 8 * dst),
    packB: (src, rs, cs, kc, nc, dst) => k.packB(8 * src, 8 * rs, 8 * cs, kc, nc, 8 * dst),
    packBTable: (src, pOff, jOff, kc, nc, dst) => k.packBTable(8 * src, 4 * pOff, 4 * jOff, kc, nc, 8 * dst),
    macro: (mr, mc, nc, kc, pa, pb, c, ldc, first, tile) => k.macro(mr, mc, nc, kc, 8 * pa, 8 * pb, 8 * c, 8 * ldc, first ? 1 : 0, 8 * tile),
    padCopy: (src, ch, h, w, dst, hb, wb, oy, ox, dy, dx) => k.padCopy(8 * src, ch, h, w, 8 * dst, hb, wb, oy, ox, dy, dx),
    swapAxes: (src, o1, c1, len, dst) => k.swapAxes(8 * src, o1, c1, len, 8 * dst),
  };
  return { memory, ops };
}
