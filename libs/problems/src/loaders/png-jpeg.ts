import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from '@bilevel/io';
import { checkMemoryBudget, memoryBudgetOf } from '../memory-budget';
import { readDataFile } from './read-data-file';

/** A grayscale image: `data[r·width + c]` in [0, 1], row-major, row 0 at the top. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float64Array;
  /** Where it came from (a path, or a label such as `<png>`), for messages. */
  readonly source: string;
}

/** Options of {@link decodeImage} and {@link loadImage}. */
export interface ImageLoadOptions {
  /** Refuse images with more pixels than this, before decoding them. Default 16,777,216 (4096 × 4096). */
  readonly maxPixels?: number;
  /** Refuse files larger than this many bytes, before reading them ({@link loadImage} only). Default 64 MiB. */
  readonly maxBytes?: number;
  /**
   * Refuse an image whose decoding would allocate more than this many bytes (`DECODE_BYTES_PER_PIXEL` per pixel
   * of the size its header announces), before decoding it. Default 2 GiB ({@link DEFAULT_MEMORY_BUDGET}).
   */
  readonly memoryBudget?: number;
}

/**
 * Bytes allocated per pixel while decoding, at most: the float64 gray image (8), the decoder's RGBA output (4, or 8
 * for 16-bit PNG samples) and the inflated scanlines or JPEG component planes (≤ 8).
 */
export const DECODE_BYTES_PER_PIXEL = 24;

/** The limits of one decode: the pixel cap and the memory budget. */
interface Limits {
  readonly maxPixels: number;
  readonly budget: number;
}

const DEFAULT_MAX_PIXELS = 4096 * 4096;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Channels of each PNG colour type (PNG spec 11.2.2) and the bit depths it allows. */
const PNG_COLOR_TYPES: Record<number, { channels: number; depths: readonly number[]; name: string }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16], name: 'grayscale' },
  2: { channels: 3, depths: [8, 16], name: 'RGB' },
  3: { channels: 1, depths: [1, 2, 4, 8], name: 'palette' },
  4: { channels: 2, depths: [8, 16], name: 'grayscale + alpha' },
  6: { channels: 4, depths: [8, 16], name: 'RGBA' },
};
/** ITU-R BT.601 luma weights (JPEG's own Y channel, PIL's "L" conversion). */
const LUMA = [0.299, 0.587, 0.114] as const;

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function limitsOf(options: ImageLoadOptions): Limits {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(Number.isInteger(maxPixels) && maxPixels >= 1)) {
    throw new InputError(`maxPixels must be a positive integer, received ${String(maxPixels)}`, 'decodeImage');
  }
  return { maxPixels, budget: memoryBudgetOf(options.memoryBudget, 'decodeImage') };
}

function checkSize(width: number, height: number, limits: Limits, source: string, format: string): void {
  const { maxPixels, budget } = limits;
  if (width < 1 || height < 1) throw new InputError(`${format} header: image size ${width}×${height}; expected a positive width and height`, source);
  if (width * height > maxPixels) {
    throw new InputError(`${format} header: image size ${width}×${height} = ${width * height} pixels, more than the limit of ${maxPixels} (option maxPixels)`, source);
  }
  checkMemoryBudget([{ what: `decoding ${width}×${height} pixels × ${DECODE_BYTES_PER_PIXEL} bytes`, bytes: width * height * DECODE_BYTES_PER_PIXEL }], budget, source, `${format} header`);
}

const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];

/** Bytes of the filtered scanlines (a filter byte per row) of one non-interlaced image or Adam7 pass. */
function rawBytes(width: number, height: number, bitsPerPixel: number): number {
  if (width === 0 || height === 0) return 0;
  return height * (1 + Math.ceil((width * bitsPerPixel) / 8));
}

/** Bytes of the seven Adam7 passes (PNG spec 8.2). */
function adam7Bytes(width: number, height: number, bitsPerPixel: number): number {
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    total += rawBytes(Math.ceil(Math.max(0, width - x0) / dx), Math.ceil(Math.max(0, height - y0) / dy), bitsPerPixel);
  }
  return total;
}

/**
 * Checks a PNG's signature and IHDR chunk before anything is decoded (size against `maxPixels`, bit depth and
 * colour type against the spec); for an interlaced image, whose inflation pngjs does not bound, inflates the IDAT
 * stream once with zlib's `maxOutputLength` set to the exact size the header announces.
 */
function precheckPng(bytes: Uint8Array, limits: Limits, source: string): void {
  if (bytes.length < 33) throw new InputError(`truncated PNG: ${bytes.length} bytes, less than the signature and IHDR chunk (33 bytes)`, source);
  const type = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (u32(bytes, 8) !== 13 || type !== 'IHDR') throw new InputError(`PNG: the first chunk is "${type}" of length ${u32(bytes, 8)}; expected IHDR of length 13`, source);
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  checkSize(width, height, limits, source, 'PNG IHDR');
  const depth = bytes[24];
  const colorType = bytes[25];
  const spec = PNG_COLOR_TYPES[colorType];
  if (!spec) throw new InputError(`PNG IHDR: colour type ${colorType}; expected 0, 2, 3, 4 or 6`, source);
  if (!spec.depths.includes(depth)) throw new InputError(`PNG IHDR: bit depth ${depth} with colour type ${colorType} (${spec.name}); expected one of ${spec.depths.join(', ')}`, source);
  if (bytes[28] > 1) throw new InputError(`PNG IHDR: interlace method ${bytes[28]}; expected 0 or 1`, source);
  if (bytes[28] === 1) {
    const chunks: Uint8Array[] = [];
    let offset = 8;
    while (offset + 12 <= bytes.length) {
      const length = u32(bytes, offset);
      const name = String.fromCharCode(bytes[offset + 4], bytes[offset + 5], bytes[offset + 6], bytes[offset + 7]);
      if (offset + 12 + length > bytes.length) break;
      if (name === 'IDAT') chunks.push(bytes.subarray(offset + 8, offset + 8 + length));
      if (name === 'IEND') break;
      offset += 12 + length;
    }
    const expected = adam7Bytes(width, height, spec.channels * depth);
    try {
      inflateSync(Buffer.concat(chunks), { maxOutputLength: Math.max(1, expected) });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw new InputError(`PNG: the image data inflates to more than the ${expected} bytes its header announces`, source);
      throw new InputError(`PNG: corrupt image data (${describe(err)})`, source);
    }
  }
}

/** The segment markers that start a frame and hold its size (SOF0–SOF15 except DHT C4, JPG C8, DAC CC). */
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** Walks a JPEG's segments up to the first frame header and checks the size it announces against `maxPixels`. */
function precheckJpeg(bytes: Uint8Array, limits: Limits, source: string): void {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) throw new InputError(`JPEG: byte ${offset} is 0x${bytes[offset].toString(16)}, expected a segment marker 0xff`, source);
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image or start of scan before any frame: jpeg-js reports it
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // standalone markers
      continue;
    }
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    if (length < 2) throw new InputError(`JPEG: segment 0x${marker.toString(16)} at byte ${offset} has length ${length}; expected at least 2`, source);
    if (SOF_MARKERS.has(marker)) {
      if (offset + 9 > bytes.length) throw new InputError(`truncated JPEG: the frame header at byte ${offset} is cut off`, source);
      const height = (bytes[offset + 5] << 8) | bytes[offset + 6];
      const width = (bytes[offset + 7] << 8) | bytes[offset + 8];
      checkSize(width, height, limits, source, 'JPEG frame');
      return;
    }
    offset += 2 + length;
  }
  throw new InputError('JPEG: no frame header (SOF segment) before the image data or the end of the file', source);
}

function grayFromRgba(data: ArrayLike<number>, width: number, height: number, maxValue: number, gray: boolean): Float64Array {
  const out = new Float64Array(width * height);
  const inv = 1 / maxValue;
  for (let p = 0, q = 0; p < out.length; p++, q += 4) {
    out[p] = gray ? data[q] * inv : (LUMA[0] * data[q] + LUMA[1] * data[q + 1] + LUMA[2] * data[q + 2]) * inv;
  }
  return out;
}

function decodePng(bytes: Uint8Array, limits: Limits, source: string): GrayImage {
  precheckPng(bytes, limits, source);
  let png;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (err) {
    throw new InputError(`PNG: ${describe(err)}`, source);
  }
  const { width, height, depth, colorType } = png as unknown as { width: number; height: number; depth: number; colorType: number };
  // without rescaling, samples keep their bit depth except palette entries, which are 8-bit colours
  const maxValue = colorType === 3 ? 255 : 2 ** depth - 1;
  const gray = colorType === 0 || colorType === 4;
  return { width, height, data: grayFromRgba(png.data as unknown as ArrayLike<number>, width, height, maxValue, gray), source };
}

function decodeJpeg(bytes: Uint8Array, limits: Limits, source: string): GrayImage {
  precheckJpeg(bytes, limits, source);
  const { maxPixels } = limits;
  let img;
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      // RGBA output plus jpeg-js's per-component planes: a generous multiple of the announced size
      maxMemoryUsageInMB: Math.max(16, Math.ceil((maxPixels * 16) / 2 ** 20)),
    });
  } catch (err) {
    throw new InputError(`JPEG: ${describe(err)}`, source);
  }
  checkSize(img.width, img.height, limits, source, 'JPEG');
  return { width: img.width, height: img.height, data: grayFromRgba(img.data, img.width, img.height, 255, false), source };
}

/**
 * Decodes a PNG (pngjs) or baseline/progressive JPEG (jpeg-js) held in memory into a {@link GrayImage} with
 * values in [0, 1]. The format is recognized by its magic bytes. Colour is converted with the BT.601 luma weights
 * 0.299 R + 0.587 G + 0.114 B; alpha is ignored (pixels that a PNG tRNS chunk marks transparent read as pngjs
 * gives them, black). 16-bit PNG samples keep their precision.
 *
 * Hostile input: the size announced by the header (PNG IHDR, JPEG SOF) is checked against `maxPixels` and `memoryBudget` before
 * any pixel buffer is allocated, an interlaced PNG's inflation is bounded by the size its header announces (pngjs
 * bounds the non-interlaced case itself), and jpeg-js runs with its resolution and memory limits set from
 * `maxPixels`. Every failure is an {@link InputError} at `source` saying what was wrong and what was expected.
 *
 * @example decodeImage(readFileSync('camera.png'), 'camera.png') // { width: 512, height: 512, data, source }
 */
export function decodeImage(bytes: Uint8Array, source = '<image>', options: ImageLoadOptions = {}): GrayImage {
  const limits = limitsOf(options);
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return decodePng(bytes, limits, source);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return decodeJpeg(bytes, limits, source);
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new InputError(
    `not a PNG or JPEG image (first bytes: ${head || 'none, the file is empty'}); expected the PNG signature 89 50 4e 47 0d 0a 1a 0a or the JPEG start ff d8 ff`,
    source,
  );
}

/** Reads and decodes a PNG or JPEG file ({@link decodeImage}); an unreadable or oversized file is an {@link InputError}. */
export function loadImage(path: string, options: ImageLoadOptions = {}): GrayImage {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(Number.isInteger(maxBytes) && maxBytes >= 1)) throw new InputError(`maxBytes must be a positive integer, received ${String(maxBytes)}`, 'loadImage');
  return decodeImage(readDataFile(path, maxBytes), path, options);
}
