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
 */

/** The shape of one 2-D convolution (every field a positive integer, the paddings ≥ 0). */
export interface Conv2dShape {
  readonly batch: number;
  readonly inChannels: number;
  readonly height: number;
  readonly width: number;
  readonly outChannels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
}

/** Output height and width of a convolution: ⌊(H + 2p − k)/s⌋ + 1 (at least 1 when the shape is valid). */
export function conv2dOutSize(s: Conv2dShape): { readonly outH: number; readonly outW: number } {
  return { outH: Math.floor((s.height + 2 * s.padH - s.kernelH) / s.strideH) + 1, outW: Math.floor((s.width + 2 * s.padW - s.kernelW) / s.strideW) + 1 };
}

/** Checks a convolution shape, naming `fn` and the field in the error. */
export function checkConv2dShape(fn: string, s: Conv2dShape): void {
  for (const f of ['batch', 'inChannels', 'height', 'width', 'outChannels', 'kernelH', 'kernelW', 'strideH', 'strideW'] as const) {
    if (!Number.isSafeInteger(s[f]) || s[f] < 1) throw new RangeError(`${fn}: shape.${f} must be a positive integer, received ${String(s[f])}`);
  }
  for (const f of ['padH', 'padW'] as const) {
    if (!Number.isSafeInteger(s[f]) || s[f] < 0) throw new RangeError(`${fn}: shape.${f} must be an integer ≥ 0, received ${String(s[f])}`);
  }
  const { outH, outW } = conv2dOutSize(s);
  if (outH < 1 || outW < 1) {
    throw new RangeError(`${fn}: a ${s.kernelH}×${s.kernelW} kernel does not fit a ${s.height}×${s.width} image padded by (${s.padH}, ${s.padW})`);
  }
}

/** Dense kernels over arrays carved from one arena; see the module comment for layouts and semantics. */
export interface TensorKernels {
  /** Whether the WebAssembly SIMD kernels run (else the JavaScript loops). */
  readonly simd: boolean;
  /** Bytes reserved, and bytes handed out so far. */
  readonly capacity: number;
  readonly used: number;
  /** A zero-filled float64 array of `length` numbers from the arena (16-byte aligned; the arena never grows). */
  alloc(length: number): Float64Array;
  /**
   * C (+)= op(A)·op(B) with op(A) `m × k`, op(B) `k × n`, C `m × n`: A is stored `m × k`, or `k × m` when `transA`;
   * B is stored `k × n`, or `n × k` when `transB`.
   */
  matmul(a: Float64Array, b: Float64Array, c: Float64Array, m: number, n: number, k: number, transA: boolean, transB: boolean, accumulate: boolean): void;
  /** out (+)= conv(x, w): x `[N, C, H, W]`, w `[O, C, KH, KW]`, out `[N, O, outH, outW]`. */
  conv2d(x: Float64Array, w: Float64Array, out: Float64Array, shape: Conv2dShape, accumulate: boolean): void;
  /** gx (+)= the adjoint of conv in x applied to gOut: gx[n,c,y,x'] = Σ w[o,c,p,q]·gOut[n,o,i,j] over i·sh+p−ph = y, j·sw+q−pw = x'. */
  conv2dInputGrad(gOut: Float64Array, w: Float64Array, gx: Float64Array, shape: Conv2dShape, accumulate: boolean): void;
  /** gw (+)= Σ_{n,i,j} x[n, c, i·sh+p−ph, j·sw+q−pw]·gOut[n, o, i, j]. */
  conv2dFilterGrad(x: Float64Array, gOut: Float64Array, gw: Float64Array, shape: Conv2dShape, accumulate: boolean): void;
}

const ALIGN = 16;

/**
 * The JavaScript kernels over an arena of `bytes` bytes (plain memory). Straightforward loops: the innermost loop
 * runs over contiguous memory, each output element sums its terms in increasing order of the reduction index.
 */
export function jsTensorKernels(bytes: number): TensorKernels {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`jsTensorKernels: bytes must be an integer ≥ 0, received ${String(bytes)}`);
  const capacity = Math.ceil(bytes / ALIGN) * ALIGN;
  const buffer = new ArrayBuffer(capacity);
  let used = 0;
  return {
    simd: false,
    capacity,
    get used() {
      return used;
    },
    alloc(length: number): Float64Array {
      if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`TensorKernels.alloc: length must be an integer ≥ 0, received ${String(length)}`);
      const next = used + Math.ceil((8 * length) / ALIGN) * ALIGN;
      if (next > capacity) throw new RangeError(`TensorKernels.alloc: out of space (${next} bytes needed, ${capacity} reserved)`);
      const view = new Float64Array(buffer, used, length);
      used = next;
      return view;
    },
    matmul: matmulJs,
    conv2d: conv2dJs,
    conv2dInputGrad: conv2dInputGradJs,
    conv2dFilterGrad: conv2dFilterGradJs,
  };
}

/** {@link TensorKernels.matmul} in JavaScript. */
export function matmulJs(a: Float64Array, b: Float64Array, c: Float64Array, m: number, n: number, k: number, transA: boolean, transB: boolean, accumulate: boolean): void {
  if (!accumulate) c.fill(0, 0, m * n);
  if (!transB) {
    // C[i, :] += A(i, p)·B[p, :], p increasing: the row of B is contiguous
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      for (let p = 0; p < k; p++) {
        const aip = transA ? a[p * m + i] : a[i * k + p];
        const bp = p * n;
        for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
      }
    }
    return;
  }
  // op(B) = Bᵀ: C[i, j] += Σ_p A(i, p)·B[j, p], summed in p order, then added
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      if (transA) for (let p = 0; p < k; p++) s += a[p * m + i] * b[bj + p];
      else {
        const ai = i * k;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      }
      c[ci + j] += s;
    }
  }
}

/** {@link TensorKernels.conv2d} in JavaScript (direct loops). */
export function conv2dJs(x: Float64Array, w: Float64Array, out: Float64Array, s: Conv2dShape, accumulate: boolean): void {
  const { outH, outW } = conv2dOutSize(s);
  const { batch: N, inChannels: C, height: H, width: W, outChannels: O, kernelH: KH, kernelW: KW, strideH: sh, strideW: sw, padH: ph, padW: pw } = s;
  if (!accumulate) out.fill(0, 0, N * O * outH * outW);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const ob = (n * O + o) * outH * outW;
      for (let c = 0; c < C; c++) {
        const xb = (n * C + c) * H * W;
        const wb = (o * C + c) * KH * KW;
        for (let p = 0; p < KH; p++) {
          for (let q = 0; q < KW; q++) {
            const wv = w[wb + p * KW + q];
            for (let i = 0; i < outH; i++) {
              const y = i * sh + p - ph;
              if (y < 0 || y >= H) continue;
              const orow = ob + i * outW;
              const xrow = xb + y * W;
              for (let j = 0; j < outW; j++) {
                const xc = j * sw + q - pw;
                if (xc >= 0 && xc < W) out[orow + j] += wv * x[xrow + xc];
              }
            }
          }
        }
      }
    }
  }
}

/** {@link TensorKernels.conv2dInputGrad} in JavaScript (direct loops). */
export function conv2dInputGradJs(gOut: Float64Array, w: Float64Array, gx: Float64Array, s: Conv2dShape, accumulate: boolean): void {
  const { outH, outW } = conv2dOutSize(s);
  const { batch: N, inChannels: C, height: H, width: W, outChannels: O, kernelH: KH, kernelW: KW, strideH: sh, strideW: sw, padH: ph, padW: pw } = s;
  if (!accumulate) gx.fill(0, 0, N * C * H * W);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xb = (n * C + c) * H * W;
      for (let o = 0; o < O; o++) {
        const ob = (n * O + o) * outH * outW;
        const wb = (o * C + c) * KH * KW;
        for (let p = 0; p < KH; p++) {
          for (let q = 0; q < KW; q++) {
            const wv = w[wb + p * KW + q];
            for (let i = 0; i < outH; i++) {
              const y = i * sh + p - ph;
              if (y < 0 || y >= H) continue;
              const orow = ob + i * outW;
              const xrow = xb + y * W;
              for (let j = 0; j < outW; j++) {
                const xc = j * sw + q - pw;
                if (xc >= 0 && xc < W) gx[xrow + xc] += wv * gOut[orow + j];
              }
            }
          }
        }
      }
    }
  }
}

/** {@link TensorKernels.conv2dFilterGrad} in JavaScript (direct loops). */
export function conv2dFilterGradJs(x: Float64Array, gOut: Float64Array, gw: Float64Array, s: Conv2dShape, accumulate: boolean): void {
  const { outH, outW } = conv2dOutSize(s);
  const { batch: N, inChannels: C, height: H, width: W, outChannels: O, kernelH: KH, kernelW: KW, strideH: sh, strideW: sw, padH: ph, padW: pw } = s;
  if (!accumulate) gw.fill(0, 0, O * C * KH * KW);
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      const wb = (o * C + c) * KH * KW;
      for (let p = 0; p < KH; p++) {
        for (let q = 0; q < KW; q++) {
          let acc = gw[wb + p * KW + q];
          for (let n = 0; n < N; n++) {
            const xb = (n * C + c) * H * W;
            const ob = (n * O + o) * outH * outW;
            for (let i = 0; i < outH; i++) {
              const y = i * sh + p - ph;
              if (y < 0 || y >= H) continue;
              const orow = ob + i * outW;
              const xrow = xb + y * W;
              for (let j = 0; j < outW; j++) {
                const xc = j * sw + q - pw;
                if (xc >= 0 && xc < W) acc += x[xrow + xc] * gOut[orow + j];
              }
            }
          }
          gw[wb + p * KW + q] = acc;
        }
      }
    }
  }
}

/**
 * The kernels the tensor engine uses, over an arena of `bytes` bytes: today the JavaScript loops
 * ({@link jsTensorKernels}); `kernels: 'js'` (or `BILEVEL_KERNELS=js`) forces them once faster ones exist.
 */
export function tensorKernels(options: { readonly bytes: number; readonly kernels?: 'auto' | 'js' }): TensorKernels {
  const kernels = options?.kernels ?? 'auto';
  if (kernels !== 'auto' && kernels !== 'js') throw new RangeError(`tensorKernels: options.kernels must be "auto" or "js", received ${String(kernels)}`);
  return jsTensorKernels(options.bytes);
}
