import { PNG } from 'pngjs';
import { InputError } from '@bilevel/io';

/**
 * Encodes a grayscale image with values in [0, 1] (row-major `data[r·width + c]`) as an 8-bit grayscale PNG
 * (pngjs): each value is clipped to [0, 1] and rounded to the nearest of 0…255; NaN encodes as 0.
 *
 * @example writeFileSync('out.png', encodeGrayPng(32, 32, new Float64Array(1024).fill(0.5)))
 */
export function encodeGrayPng(width: number, height: number, data: ArrayLike<number>): Buffer {
  if (!(Number.isInteger(width) && width >= 1 && Number.isInteger(height) && height >= 1)) {
    throw new InputError(`image size ${width}×${height}; expected positive integers`, 'encodeGrayPng');
  }
  if (data.length !== width * height) {
    throw new InputError(`${data.length} values for a ${width}×${height} image; expected ${width * height}`, 'encodeGrayPng');
  }
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  const bytes = Buffer.alloc(width * height);
  for (let p = 0; p < bytes.length; p++) {
    const v = data[p];
    bytes[p] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
  }
  png.data = bytes;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
}
