/**
 * The dense kernels of the tensor engine (@bilevel/autodiff): matrix products and 2-D convolutions over float64
 * arrays carved from one fixed arena, so that kernels may work on them in place.
 *
 * Layouts are row-major and contiguous: a matrix `m × k` is `m·k` numbers, row after row; images are NCHW
 * (`[batch, channels, height, width]`) and filters OIHW (`[out channels, in channels, height, width]`).
 * Every kernel either overwrites its output (`accumulate = false`) or adds into it (`accumulate = true`).
 *
 * The convolution is the cross-correlation of deep-learning libraries (PyTorch `conv2d`): with stride (sh, sw) and
 * zero padding (ph, pw),
 *   out[n, o, i, j] = Σ_{c, p, q} x[n, c, i·sh + p − ph, j·sw + q − pw] · w[o, c, p, q]   (x = 0 outside the image)
 * and its two adjoints: {@link TensorKernels.conv2dInputGrad} (∂/∂x of ⟨gOut, out⟩) and
 * {@link TensorKernels.conv2dFilterGrad} (∂/∂w of ⟨gOut, out⟩). Each is linear in each argument, so a
 * forward-over-reverse pass needs nothing else.
 *
 * Two implementations, the same bits: WebAssembly SIMD (wasm/tensor-kernels.wat, f64x2, a 5 × 4 or 4 × 4 register
 * tile over packed, cache-blocked operands; the convolutions as products over an implicit im2col, see
 * tensor-gemm.ts) where the runtime has it, and the same algorithm in JavaScript (tensor-kernels-js.ts). Every output entry is one sum taken left to right, one rounded product and one rounded
 * addition per term, no fused multiply-add, starting from the old entry (accumulate) or from +0:
 * - matmul: C[i, j] + op(A)[i, 0]·op(B)[0, j] + … + op(A)[i, k−1]·op(B)[k−1, j], whatever the transposes;
 * - conv2d: out[n, o, i, j] + terms w[o, c, p, q]·x[…] in increasing (c, p, q), a padding position a term w·(+0);
 * - conv2dFilterGrad: gw[o, c, p, q] + terms gOut[n, o, i, j]·x[…] in increasing (n, i, j), padding as +0;
 * - conv2dInputGrad: gx[n, c, y, x] + terms w[o, c, p, q]·gOut[n, o, (y + ph − p)/sh, (x + pw − q)/sw] in
 *   increasing (o, p, q), the gradient +0 where the quotient is fractional or outside the output.
 * {@link matmulJs}, {@link conv2dJs}, {@link conv2dInputGradJs} and {@link conv2dFilterGradJs} are these
 * definitions written as plain loops (the reference the tests compare both implementations with, bit for bit).
 *
 * The kernels allocate nothing per call: their operands are views of the arena (anything else is refused), and the
 * packing buffers and the convolutions' scratch are reserved beside the arena when it is made (see
 * {@link TensorKernelsOptions.convShapes}).
 */
import type { Conv2dShape } from './conv2d-shape';
import { checkConv2dShape } from './conv2d-shape';
import { jsPackedOps } from './tensor-kernels-js';
import type { PackedOps, ScratchLayout } from './tensor-gemm';
import { conv2dBlocked, conv2dFilterGradBlocked, conv2dInputGradBlocked, convScratchBytes, gemmBlocked, GEMM_SCRATCH, scratchLayout } from './tensor-gemm';
import { tensorSimdAvailable, tensorSimdOps } from './wasm/tensor-simd-ops';
import type { TensorWasmMemory } from './wasm/tensor-simd-ops';

export type { Conv2dShape } from './conv2d-shape';
export type { TensorWasmMemory } from './wasm/tensor-simd-ops';
export { checkConv2dShape, conv2dOutSize } from './conv2d-shape';
export { convScratchBytes } from './tensor-gemm';

/** Dense kernels over arrays carved from one arena; see the module comment for layouts and semantics. */
export interface TensorKernels {
  /** Whether the WebAssembly SIMD kernels run (else the JavaScript loops). */
  readonly simd: boolean;
  /**
   * The WebAssembly memory the arena lives in (SIMD kernels; null for the JavaScript ones), for other modules that
   * work on the same arrays in place (the tape's elementwise kernels import it).
   */
  readonly memory: TensorWasmMemory | null;
  /** Bytes reserved, and bytes handed out so far. */
  readonly capacity: number;
  readonly used: number;
  /** Bytes reserved beside the arena for the convolutions' scratch (a shape needs {@link convScratchBytes}). */
  readonly convScratch: number;
  /** A zero-filled float64 array of `length` numbers from the arena (16-byte aligned; the arena never grows). */
  alloc(length: number): Float64Array;
  /**
   * C (+)= op(A)·op(B) with op(A) `m × k`, op(B) `k × n`, C `m × n`: A is stored `m × k`, or `k × m` when `transA`;
   * B is stored `k × n`, or `n × k` when `transB`. C must not overlap A or B.
   */
  matmul(a: Float64Array, b: Float64Array, c: Float64Array, m: number, n: number, k: number, transA: boolean, transB: boolean, accumulate: boolean): void;
  /** out (+)= conv(x, w): x `[N, C, H, W]`, w `[O, C, KH, KW]`, out `[N, O, outH, outW]`. */
  conv2d(x: Float64Array, w: Float64Array, out: Float64Array, shape: Conv2dShape, accumulate: boolean): void;
  /** gx (+)= the adjoint of conv in x applied to gOut: gx[n,c,y,x'] = Σ w[o,c,p,q]·gOut[n,o,i,j] over i·sh+p−ph = y, j·sw+q−pw = x'. */
  conv2dInputGrad(gOut: Float64Array, w: Float64Array, gx: Float64Array, shape: Conv2dShape, accumulate: boolean): void;
  /** gw (+)= Σ_{n,i,j} x[n, c, i·sh+p−ph, j·sw+q−pw]·gOut[n, o, i, j]. */
  conv2dFilterGrad(x: Float64Array, gOut: Float64Array, gw: Float64Array, shape: Conv2dShape, accumulate: boolean): void;
}

/** Options of {@link tensorKernels}. */
export interface TensorKernelsOptions {
  /** Bytes of the arena that {@link TensorKernels.alloc} carves (rounded up to 16). */
  readonly bytes: number;
  /**
   * `'auto'` (default): WebAssembly SIMD when the runtime has it and the environment variable `BILEVEL_KERNELS` is
   * not `js`; `'js'`: the JavaScript kernels. Both give the same bits.
   */
  readonly kernels?: 'auto' | 'js';
  /**
   * The convolution shapes the caller will use: the convolutions' scratch is sized for the largest (and is at least
   * {@link DEFAULT_CONV_SCRATCH} bytes). A convolution whose shape needs more scratch than reserved is refused.
   */
  readonly convShapes?: readonly Conv2dShape[];
}

/** Bytes of convolution scratch reserved when no listed shape needs more (enough for 32 × 32-channel 28 × 28 images). */
export const DEFAULT_CONV_SCRATCH = 1 << 20;

const ALIGN = 16;

/**
 * The kernels the tensor engine uses, over an arena of `options.bytes` bytes: WebAssembly SIMD
 * ({@link simdTensorKernels}) unless `kernels: 'js'`, `BILEVEL_KERNELS=js` or a runtime without it selects the
 * JavaScript ones ({@link jsTensorKernels}).
 */
export function tensorKernels(options: TensorKernelsOptions): TensorKernels {
  if (typeof options !== 'object' || options === null) throw new RangeError(`tensorKernels: options must be an object, received ${String(options)}`);
  const kernels = options.kernels ?? 'auto';
  if (kernels !== 'auto' && kernels !== 'js') throw new RangeError(`tensorKernels: options.kernels must be "auto" or "js", received ${String(kernels)}`);
  return kernels === 'auto' && tensorSimdAvailable() ? simdTensorKernels(options.bytes, options.convShapes) : jsTensorKernels(options.bytes, options.convShapes);
}

/** The JavaScript kernels over an arena of `bytes` bytes (plain memory), scratch for `convShapes` beside it. */
export function jsTensorKernels(bytes: number, convShapes: readonly Conv2dShape[] = []): TensorKernels {
  const { capacity, convBytes } = sizes('jsTensorKernels', bytes, convShapes);
  const buffer = new ArrayBuffer(capacity + 8 * GEMM_SCRATCH + convBytes);
  const H = new Float64Array(buffer);
  const I32 = new Int32Array(buffer);
  return arenaKernels(buffer, capacity, convBytes, jsPackedOps(H, I32), H, I32, null);
}

/** The WebAssembly SIMD kernels over an arena of `bytes` bytes of one WebAssembly memory; throws where SIMD is missing. */
export function simdTensorKernels(bytes: number, convShapes: readonly Conv2dShape[] = []): TensorKernels {
  const { capacity, convBytes } = sizes('simdTensorKernels', bytes, convShapes);
  const { memory, ops } = tensorSimdOps(capacity + 8 * GEMM_SCRATCH + convBytes);
  const H = new Float64Array(memory.buffer);
  const I32 = new Int32Array(memory.buffer);
  return arenaKernels(memory.buffer, capacity, convBytes, ops, H, I32, memory);
}

function sizes(fn: string, bytes: number, convShapes: readonly Conv2dShape[]) {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`${fn}: bytes must be an integer ≥ 0, received ${String(bytes)}`);
  if (!Array.isArray(convShapes)) throw new RangeError(`${fn}: convShapes must be an array of convolution shapes, received ${String(convShapes)}`);
  let convBytes = DEFAULT_CONV_SCRATCH;
  convShapes.forEach((s, i) => {
    checkConv2dShape(`${fn}: convShapes[${i}]`, s);
    convBytes = Math.max(convBytes, convScratchBytes(s));
  });
  return { capacity: Math.ceil(bytes / ALIGN) * ALIGN, convBytes };
}

function describe(v: unknown): string {
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${(v as Float64Array).length} numbers${v instanceof Float64Array ? ' from another memory' : ''}`;
  return v === null ? 'null' : typeof v;
}

/** The kernels over arena [0, capacity) of `buffer` (of `memory` for the SIMD backend), the scratch after it, with the given backend. */
function arenaKernels(buffer: ArrayBuffer, capacity: number, convBytes: number, ops: PackedOps, H: Float64Array, I32: Int32Array, memory: TensorWasmMemory | null): TensorKernels {
  const L: ScratchLayout = scratchLayout(capacity / 8, convBytes);
  let used = 0;

  /**
   * The element offset of an operand, after checking it is a view of the arena holding at least `need` numbers (an
   * operand of which nothing is read or written, need = 0, may be any Float64Array).
   */
  const offset = (fn: string, name: string, v: Float64Array, need: number): number => {
    if (need === 0 && v instanceof Float64Array) return 0;
    if (!(v instanceof Float64Array) || v.buffer !== buffer) {
      throw new RangeError(`TensorKernels.${fn}: ${name} must be a Float64Array from this arena (TensorKernels.alloc), received ${describe(v)}`);
    }
    if (v.length < need) throw new RangeError(`TensorKernels.${fn}: ${name} holds ${v.length} numbers, ${need} needed`);
    if (v.byteOffset + 8 * need > capacity) throw new RangeError(`TensorKernels.${fn}: ${name} reaches past the arena into the kernels' scratch`);
    return v.byteOffset / 8;
  };
  /** Refuses an output range [o, o + n) that overlaps an input range [i, i + m). */
  const disjoint = (fn: string, out: string, o: number, n: number, input: string, i: number, m: number): void => {
    if (n > 0 && m > 0 && o < i + m && i < o + n) throw new RangeError(`TensorKernels.${fn}: ${out} overlaps ${input} (the output must be a separate array)`);
  };
  const dim = (fn: string, name: string, v: number): void => {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`TensorKernels.${fn}: ${name} must be an integer ≥ 0, received ${String(v)}`);
  };
  /** Checks a convolution's shape and scratch; `fn` is the full name (a constant: building it would allocate per call). */
  const convChecks = (fn: string, s: Conv2dShape): void => {
    checkConv2dShape(fn, s);
    const need = convScratchBytes(s);
    if (need > convBytes) {
      throw new RangeError(`${fn}: this shape needs ${need} bytes of convolution scratch, ${convBytes} are reserved: list it in tensorKernels({ convShapes })`);
    }
  };

  return {
    simd: memory !== null,
    memory,
    capacity,
    convScratch: convBytes,
    get used() {
      return used;
    },
    alloc(length: number): Float64Array {
      if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`TensorKernels.alloc: length must be an integer ≥ 0, received ${String(length)}`);
      const next = used + Math.ceil((8 * length) / ALIGN) * ALIGN;
      if (next > capacity) throw new RangeError(`TensorKernels.alloc: out of space (${next} bytes needed, ${capacity} reserved)`);
      const view = new Float64Array(buffer, used, length); // fresh memory: the arena never hands out a byte twice
      used = next;
      return view;
    },
    matmul(a, b, c, m, n, k, transA, transB, accumulate) {
      dim('matmul', 'm', m);
      dim('matmul', 'n', n);
      dim('matmul', 'k', k);
      const ao = offset('matmul', 'a', a, m * k);
      const bo = offset('matmul', 'b', b, k * n);
      const co = offset('matmul', 'c', c, m * n);
      disjoint('matmul', 'c', co, m * n, 'a', ao, m * k);
      disjoint('matmul', 'c', co, m * n, 'b', bo, k * n);
      gemmBlocked(ops, H, L, m, n, k, ao, transA ? 1 : k, transA ? m : 1, bo, transB ? 1 : n, transB ? k : 1, false, co, n, accumulate);
    },
    conv2d(x, w, out, s, accumulate) {
      convChecks('TensorKernels.conv2d', s);
      const nx = s.batch * s.inChannels * s.height * s.width;
      const nw = s.outChannels * s.inChannels * s.kernelH * s.kernelW;
      const no = s.batch * s.outChannels * outSize(s.height, s.padH, s.kernelH, s.strideH) * outSize(s.width, s.padW, s.kernelW, s.strideW);
      const xo = offset('conv2d', 'x', x, nx);
      const wo = offset('conv2d', 'w', w, nw);
      const oo = offset('conv2d', 'out', out, no);
      disjoint('conv2d', 'out', oo, no, 'x', xo, nx);
      disjoint('conv2d', 'out', oo, no, 'w', wo, nw);
      conv2dBlocked(ops, H, I32, L, xo, wo, oo, s, accumulate);
    },
    conv2dInputGrad(gOut, w, gx, s, accumulate) {
      convChecks('TensorKernels.conv2dInputGrad', s);
      const nx = s.batch * s.inChannels * s.height * s.width;
      const nw = s.outChannels * s.inChannels * s.kernelH * s.kernelW;
      const no = s.batch * s.outChannels * outSize(s.height, s.padH, s.kernelH, s.strideH) * outSize(s.width, s.padW, s.kernelW, s.strideW);
      const go = offset('conv2dInputGrad', 'gOut', gOut, no);
      const wo = offset('conv2dInputGrad', 'w', w, nw);
      const xo = offset('conv2dInputGrad', 'gx', gx, nx);
      disjoint('conv2dInputGrad', 'gx', xo, nx, 'gOut', go, no);
      disjoint('conv2dInputGrad', 'gx', xo, nx, 'w', wo, nw);
      conv2dInputGradBlocked(ops, H, I32, L, go, wo, xo, s, accumulate);
    },
    conv2dFilterGrad(x, gOut, gw, s, accumulate) {
      convChecks('TensorKernels.conv2dFilterGrad', s);
      const nx = s.batch * s.inChannels * s.height * s.width;
      const nw = s.outChannels * s.inChannels * s.kernelH * s.kernelW;
      const no = s.batch * s.outChannels * outSize(s.height, s.padH, s.kernelH, s.strideH) * outSize(s.width, s.padW, s.kernelW, s.strideW);
      const xo = offset('conv2dFilterGrad', 'x', x, nx);
      const go = offset('conv2dFilterGrad', 'gOut', gOut, no);
      const wo = offset('conv2dFilterGrad', 'gw', gw, nw);
      disjoint('conv2dFilterGrad', 'gw', wo, nw, 'x', xo, nx);
      disjoint('conv2dFilterGrad', 'gw', wo, nw, 'gOut', go, no);
      conv2dFilterGradBlocked(ops, H, I32, L, xo, go, wo, s, accumulate);
    },
  };
}

const outSize = (n: number, pad: number, k: number, stride: number) => Math.floor((n + 2 * pad - k) / stride) + 1;

/**
 * {@link TensorKernels.matmul} as the plain loops of its definition (the order of operations of the module comment):
 * the reference both implementations equal bit for bit. Works on any arrays; slow.
 */
export function matmulJs(a: Float64Array, b: Float64Array, c: Float64Array, m: number, n: number, k: number, transA: boolean, transB: boolean, accumulate: boolean): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = accumulate ? c[i * n + j] : 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  }
}

/** {@link TensorKernels.conv2d} as the plain loops of its definition (see {@link matmulJs}). */
export function conv2dJs(x: Float64Array, w: Float64Array, out: Float64Array, s: Conv2dShape, accumulate: boolean): void {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: O, kernelH: KH, kernelW: KW, strideH: sh, strideW: sw, padH: ph, padW: pw } = s;
  const outH = outSize(H, ph, KH, sh);
  const outW = outSize(W, pw, KW, sw);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < outH; i++)
        for (let j = 0; j < outW; j++) {
          const at = ((n * O + o) * outH + i) * outW + j;
          let sum = accumulate ? out[at] : 0;
          for (let c = 0; c < C; c++)
            for (let p = 0; p < KH; p++)
              for (let q = 0; q < KW; q++) {
                const y = i * sh + p - ph;
                const xc = j * sw + q - pw;
                const xv = y >= 0 && y < H && xc >= 0 && xc < W ? x[((n * C + c) * H + y) * W + xc] : 0;
                sum += w[((o * C + c) * KH + p) * KW + q] * xv;
              }
          out[at] = sum;
        }
}

/** {@link TensorKernels.conv2dInputGrad} as the plain loops of its definition (see {@link matmulJs}). */
export function conv2dInputGradJs(gOut: Float64Array, w: Float64Array, gx: Float64Array, s: Conv2dShape, accumulate: boolean): void {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: O, kernelH: KH, kernelW: KW, strideH: sh, strideW: sw, padH: ph, padW: pw } = s;
  const outH = outSize(H, ph, KH, sh);
  const outW = outSize(W, pw, KW, sw);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const at = ((n * C + c) * H + y) * W + x;
          let sum = accumulate ? gx[at] : 0;
          for (let o = 0; o < O; o++)
            for (let p = 0; p < KH; p++)
              for (let q = 0; q < KW; q++) {
                const Y = y + ph - p;
                const X = x + pw - q;
                const i = Y / sh;
                const j = X / sw;
                const inside = Number.isInteger(i) && Number.isInteger(j) && i >= 0 && i < outH && j >= 0 && j < outW;
                sum += w[((o * C + c) * KH + p) * KW + q] * (inside ? gOut[((n * O + o) * outH + i) * outW + j] : 0);
              }
          gx[at] = sum;
        }
}

/** {@link TensorKernels.conv2dFilterGrad} as the plain loops of its definition (see {@link matmulJs}). */
export function conv2dFilterGradJs(x: Float64Array, gOut: Float64Array, gw: Float64Array, s: Conv2dShape, accumulate: boolean): void {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: O, kernelH: KH, kernelW: KW, strideH: sh, strideW: sw, padH: ph, padW: pw } = s;
  const outH = outSize(H, ph, KH, sh);
  const outW = outSize(W, pw, KW, sw);
  for (let o = 0; o < O; o++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < KH; p++)
        for (let q = 0; q < KW; q++) {
          const at = ((o * C + c) * KH + p) * KW + q;
          let sum = accumulate ? gw[at] : 0;
          for (let n = 0; n < N; n++)
            for (let i = 0; i < outH; i++)
              for (let j = 0; j < outW; j++) {
                const y = i * sh + p - ph;
                const xc = j * sw + q - pw;
                const xv = y >= 0 && y < H && xc >= 0 && xc < W ? x[((n * C + c) * H + y) * W + xc] : 0;
                sum += gOut[((n * O + o) * outH + i) * outW + j] * xv;
              }
          gw[at] = sum;
        }
}
