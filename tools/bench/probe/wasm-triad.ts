import type { WasmMemory } from './wasm-api';
import { instantiateSync } from './wasm-api';

/**
 * The STREAM triad `a ← b + s·c` compiled from WebAssembly assembled here byte by byte, in two forms over the
 * module's own linear memory: `triad` one float64 per iteration (f64.load, f64.mul, f64.add, f64.store) and
 * `triadSimd` two per iteration (v128.load, f64x2.mul, f64x2.add, v128.store). It separates the cost of JavaScript
 * typed-array loops (bounds checks, the JIT's scalar code) from what the engine reaches on the same arithmetic.
 *
 * Module layout (core spec 1.0 + SIMD): type 0 = (i32 a, i32 b, i32 c, i32 n, f64 s) → (); functions 0 and 1 of
 * type 0; one memory of `pages` 64 KiB pages, exported as "memory"; exports "triad" and "triadSimd". a, b, c are
 * byte offsets into the memory (8-byte aligned; 16-byte for the SIMD form) and n the element count (even for the
 * SIMD form). Body: n ← 8n (bytes), i ← 0; block { loop { br_if 1 (i ≥ n); store a+i ← load(b+i) + s·load(c+i);
 * i ← i + step; br 0 } }.
 */
export interface WasmTriad {
  readonly memory: WasmMemory;
  triad(a: number, b: number, c: number, n: number, s: number): void;
  triadSimd(a: number, b: number, c: number, n: number, s: number): void;
}

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

const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const SIMD = 0xfd;

/** Function body: locals (i: i32 = local 5, and for SIMD sv: v128 = local 6), then the loop. */
function body(simd: boolean): number[] {
  const step = simd ? 16 : 8;
  const load = simd ? [SIMD, 0x00, 4, 0] : [0x2b, 3, 0]; // v128.load align 2^4 / f64.load align 2^3, offset 0
  const store = simd ? [SIMD, 0x0b, 4, 0] : [0x39, 3, 0];
  const mul = simd ? [SIMD, ...uleb(242)] : [0xa2];
  const add = simd ? [SIMD, ...uleb(240)] : [0xa0];
  const sLocal = simd ? 6 : 4;
  const code = [
    LOCAL_GET, 3, 0x41, 3, 0x74, LOCAL_SET, 3, // n ← n << 3
    ...(simd ? [LOCAL_GET, 4, SIMD, ...uleb(20), LOCAL_SET, 6] : []), // sv ← f64x2.splat(s)
    0x02, 0x40, 0x03, 0x40,
    LOCAL_GET, 5, LOCAL_GET, 3, 0x4f, 0x0d, 1, // br_if 1 (i ≥ n)
    LOCAL_GET, 0, LOCAL_GET, 5, 0x6a, // a + i
    LOCAL_GET, 1, LOCAL_GET, 5, 0x6a, ...load, // load(b + i)
    LOCAL_GET, sLocal, LOCAL_GET, 2, LOCAL_GET, 5, 0x6a, ...load, ...mul, ...add,
    ...store,
    LOCAL_GET, 5, 0x41, step, 0x6a, LOCAL_SET, 5,
    0x0c, 0, 0x0b, 0x0b, 0x0b,
  ];
  const locals = simd ? [2, 1, I32, 1, V128] : [1, 1, I32];
  const all = [...locals, ...code];
  return [...uleb(all.length), ...all];
}

/** The module's bytes with a memory of `pages` pages (1…65,536). */
export function wasmTriadBytes(pages: number): Uint8Array {
  if (!(Number.isInteger(pages) && pages >= 1 && pages <= 65536)) throw new RangeError(`wasmTriadBytes: pages must be an integer in 1…65536, received ${pages}`);
  const name = (s: string) => [s.length, ...[...s].map((ch) => ch.charCodeAt(0))];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, F64, 0]),
    ...section(3, [2, 0, 0]),
    ...section(5, [1, 0x00, ...uleb(pages)]),
    ...section(7, [3, ...name('memory'), 0x02, 0, ...name('triad'), 0x00, 0, ...name('triadSimd'), 0x00, 1]),
    ...section(10, [2, ...body(false), ...body(true)]),
  ]);
}

/** Instantiates the triad module with room for `bytes` bytes of arrays. */
export function wasmTriad(bytes: number): WasmTriad {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  const e = instantiateSync(wasmTriadBytes(pages)) as unknown as WasmTriad;
  return { memory: e.memory, triad: e.triad, triadSimd: e.triadSimd };
}
