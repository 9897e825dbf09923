import { instantiateKernels, kernelModuleLoader } from '@bilevel/linalg';
import { WASM_BASE64 } from '../wasm/foe-kernels-binary';

/** The exports of foe-kernels.wat (pointers are byte offsets into the memory). */
interface FoeExports {
  corr(src: number, srcRow: number, stepA: number, stepB: number, coef: number, s: number, dst: number, dstRow: number, rows: number, cols: number, acc: number): void;
  corr2x8(src: number, srcRow: number, stepA: number, stepB: number, coef: number, s: number, dst: number, dstRow: number, pairs: number, blocks: number, acc: number, flip: number): void;
  corrFilter(x: number, rows: number, cols: number, ext: number, extRow: number, s: number, out: number, kappa: number): void;
  psi(src: number, rows: number, cols: number, dst: number, dstRow: number, w: number, nu2: number): void;
}

/** Numbers readable past the end of every extended image (corrFilter reads up to 6 taps past a row). */
const TAIL = 8;
/** The compiled kernel module, or null where WebAssembly SIMD is missing. Compiled once, synchronously. */
const kernelModule = kernelModuleLoader(WASM_BASE64);

/**
 * Whether the Field of Experts correlates in WebAssembly SIMD: the runtime supports it and `BILEVEL_KERNELS` is not
 * `js` (which selects the JavaScript twins, for comparison and as a fallback).
 */
export function foeSimdAvailable(): boolean {
  if (process.env.BILEVEL_KERNELS === 'js') return false;
  return kernelModule() !== null;
}

/** JavaScript twin of foe-kernels.wat's `corr` and `corr2x8` (element offsets into H, dst rows `cols` apart). */
function corrJs(H: Float64Array, src: number, srcRow: number, stepA: number, stepB: number, coef: number, s: number, dst: number, rows: number, cols: number, acc: boolean): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const d = dst + r * cols + c;
      let x = acc ? H[d] : 0;
      let p = src + r * srcRow + c;
      let w = coef;
      for (let a = 0; a < s; a++, p += stepA) {
        for (let b = 0, q = p; b < s; b++, q += stepB) x += H[w++] * H[q];
      }
      H[d] = x;
    }
  }
}

/** JavaScript twin of foe-kernels.wat's `corrFilter` (element offsets into H). */
function corrFilterJs(H: Float64Array, x: number, rows: number, cols: number, ext: number, extRow: number, s: number, out: number, kappa: number): void {
  for (let a = 0; a < s; a++) {
    for (let b = 0; b < s; b++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) {
        const e = ext + (r + a) * extRow + b;
        const xr = x + r * cols;
        for (let c = 0; c < cols; c++) sum += H[xr + c] * H[e + c];
      }
      H[out + a * s + b] += kappa * sum;
    }
  }
}

/** JavaScript twin of foe-kernels.wat's `psi` (element offsets into H). */
function psiJs(H: Float64Array, src: number, rows: number, cols: number, dst: number, dstRow: number, w: number, nu2: number): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const t = H[src + r * cols + c];
      H[dst + r * dstRow + c] = (w * t) / Math.sqrt(t * t + nu2);
    }
  }
}

/**
 * The correlations of a Field of Experts of K filters s × s on one image geometry (width × height), over buffers of
 * one memory (a WebAssembly memory when SIMD is available, else plain memory with the JavaScript twins, which give the
 * same bits). With pad = (s − 1)/2, the extended images are (width + 2 pad) × (height + 2 pad) (row-major); the
 * adjoint reads its input q from the interior of `q`, a zero-bordered (width + 2(s − 1)) × (height + 2(s − 1)) grid,
 * and gathers, for each extended pixel, the s² terms c[a, b]·q[i − a, j − b] in increasing (a, b): exactly the
 * additions of the scatter loop it replaces, in the same order, so the results are the same bits as the plain loops
 * of field-of-experts.ts before these kernels. `kernels: 'js'` selects the JavaScript twins. Measured with
 * `npm run bench -- foe`.
 */
export class FoeKernels {
  readonly simd: boolean;
  /** Filters κθ, K × s² row-major. */
  readonly coef: Float64Array;
  /** Extended images (the reflect extensions of z and v) and the adjoint's accumulator. */
  readonly ez: Float64Array;
  readonly ev: Float64Array;
  readonly eo: Float64Array;
  /** The adjoint's input: q[r, c] lives at q[(r + s − 1)·qRow + c + s − 1]; the border stays zero. */
  readonly q: Float64Array;
  readonly qRow: number;
  /** The responses of the last {@link correlate}, and the x of {@link correlateFilter}. */
  readonly resp: Float64Array;
  readonly x: Float64Array;
  private readonly fgrad: Float64Array;
  private readonly H: Float64Array;
  private readonly k: FoeExports | null;
  private readonly we: number;
  private readonly he: number;
  private readonly s2: number;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly filters: number,
    readonly s: number,
    kernels: 'auto' | 'js' = 'auto',
  ) {
    const pad = (s - 1) / 2;
    this.we = width + 2 * pad;
    this.he = height + 2 * pad;
    this.s2 = s * s;
    this.qRow = width + 2 * (s - 1);
    const nv = width * height;
    const ext = this.we * this.he + TAIL;
    const sizes = [filters * this.s2, ext, ext, ext, this.qRow * (height + 2 * (s - 1)) + TAIL, nv, nv, this.s2 + TAIL];
    const offsets: number[] = [];
    let used = 0;
    for (const n of sizes) {
      offsets.push(used);
      used += Math.ceil(n / 2) * 2; // 16-byte aligned
    }
    const mod = kernels === 'auto' && foeSimdAvailable() ? kernelModule() : null;
    let buffer: ArrayBuffer;
    if (mod) {
      const instance = instantiateKernels<FoeExports>(mod, 8 * used);
      this.k = instance.exports;
      buffer = instance.buffer;
    } else {
      this.k = null;
      buffer = new ArrayBuffer(8 * used);
    }
    this.simd = this.k !== null;
    this.H = new Float64Array(buffer);
    const view = (i: number) => new Float64Array(buffer, 8 * offsets[i], sizes[i]);
    [this.coef, this.ez, this.ev, this.eo, this.q, this.resp, this.x, this.fgrad] = [0, 1, 2, 3, 4, 5, 6, 7].map(view);
  }

  /**
   * The `rows × cols` rectangle of corr (byte offsets, dst rows `cols` apart) in WebAssembly: row pairs × 8 columns by
   * corr2x8 (`flip` as for a negative stepA), the column strip and an odd last row by corr; every output the same bits.
   */
  private corrWasm(k: FoeExports, src: number, srcRow: number, stepA: number, stepB: number, coef: number, dst: number, rows: number, cols: number, acc: number): void {
    const { s } = this;
    const pairs = rows >> 1;
    const blocks = cols >> 3;
    const dstRow = 8 * cols;
    k.corr2x8(src, srcRow, stepA, stepB, coef, s, dst, dstRow, pairs, blocks, acc, stepA < 0 ? 1 : 0);
    const done = 8 * blocks;
    if (done < cols) k.corr(src + 8 * done, srcRow, stepA, stepB, coef, s, dst + 8 * done, dstRow, rows, cols - done, acc);
    if (rows % 2 === 1 && done > 0) k.corr(src + (rows - 1) * srcRow, srcRow, stepA, stepB, coef, s, dst + (rows - 1) * dstRow, dstRow, 1, done, acc);
  }

  /** coef ← κθ[0 … K s²). */
  setFilters(theta: Float64Array, kappa: number): void {
    const { coef } = this;
    for (let i = 0; i < coef.length; i++) coef[i] = kappa * theta[i];
  }

  /** resp[0 … width·height) ← c_k ⋆ ext, ext one of the extended images of this object. */
  correlate(k: number, ext: Float64Array): void {
    const { width, height, s, we } = this;
    const src = ext.byteOffset;
    const coef = this.coef.byteOffset + 8 * k * this.s2;
    if (this.k) this.corrWasm(this.k, src, 8 * we, 8 * we, 8, coef, this.resp.byteOffset, height, width, 0);
    else corrJs(this.H, src / 8, we, we, 1, coef / 8, s, this.resp.byteOffset / 8, height, width, false);
  }

  /** eo += C_kᵀ q (q in the interior of {@link q}). */
  correlateT(k: number): void {
    const { s, we, he, qRow } = this;
    const far = this.q.byteOffset + 8 * ((s - 1) * qRow + s - 1); // q[i − a, j − b] for output (i, j) = far + (i, j) − (a, b)
    const coef = this.coef.byteOffset + 8 * k * this.s2;
    if (this.k) this.corrWasm(this.k, far, 8 * qRow, -8 * qRow, -8, coef, this.eo.byteOffset, he, we, 1);
    else corrJs(this.H, far / 8, qRow, -qRow, -1, coef / 8, s, this.eo.byteOffset / 8, he, we, true);
  }

  /** The adjoint's input q (interior of {@link q}) ← (w·t)/√(t² + ν²) for t the responses in {@link resp}. */
  psi(w: number, nu2: number): void {
    const { width, height, s, qRow } = this;
    const interior = this.q.byteOffset + 8 * ((s - 1) * qRow + s - 1);
    if (this.k) this.k.psi(this.resp.byteOffset, height, width, interior, 8 * qRow, w, nu2);
    else psiJs(this.H, this.resp.byteOffset / 8, height, width, interior / 8, qRow, w, nu2);
  }

  /** out[oo + (a, b)] += κ Σ_p x[p]·ext[p + (a, b)] for a, b < s (x in {@link x}). */
  correlateFilter(ext: Float64Array, kappa: number, out: Float64Array, oo: number): void {
    const { width, height, s, we, fgrad } = this;
    fgrad.fill(0);
    if (this.k) this.k.corrFilter(this.x.byteOffset, height, width, ext.byteOffset, 8 * we, s, fgrad.byteOffset, kappa);
    else corrFilterJs(this.H, this.x.byteOffset / 8, height, width, ext.byteOffset / 8, we, s, fgrad.byteOffset / 8, kappa);
    // 0 + κ·sum is κ·sum exactly: the same addition to out as the plain loop's
    for (let i = 0; i < this.s2; i++) out[oo + i] += fgrad[i];
  }
}
