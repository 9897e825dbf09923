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

const POSITIVE = ['batch', 'inChannels', 'height', 'width', 'outChannels', 'kernelH', 'kernelW', 'strideH', 'strideW'] as const;
const NON_NEGATIVE = ['padH', 'padW'] as const;

/** Checks a convolution shape, naming `fn` and the field in the error (allocation-free when the shape is valid). */
export function checkConv2dShape(fn: string, s: Conv2dShape): void {
  if (typeof s !== 'object' || s === null) throw new RangeError(`${fn}: shape must be an object, received ${String(s)}`);
  for (let i = 0; i < POSITIVE.length; i++) {
    const f = POSITIVE[i];
    if (!Number.isSafeInteger(s[f]) || s[f] < 1) throw new RangeError(`${fn}: shape.${f} must be a positive integer, received ${String(s[f])}`);
  }
  for (let i = 0; i < NON_NEGATIVE.length; i++) {
    const f = NON_NEGATIVE[i];
    if (!Number.isSafeInteger(s[f]) || s[f] < 0) throw new RangeError(`${fn}: shape.${f} must be an integer ≥ 0, received ${String(s[f])}`);
  }
  if (s.height + 2 * s.padH < s.kernelH || s.width + 2 * s.padW < s.kernelW) {
    throw new RangeError(`${fn}: a ${s.kernelH}×${s.kernelW} kernel does not fit a ${s.height}×${s.width} image padded by (${s.padH}, ${s.padW})`);
  }
}
