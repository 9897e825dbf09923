import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from '@bilevel/io';
import { cpuMs } from './fuzz-outcome';
import { encodeGrayPng } from '../imaging/encode-gray-png';
import { decodeImage, loadImage } from './png-jpeg';
import type { GrayImage } from './png-jpeg';

const SHARED = new URL('../../../../../shared/data/images/', import.meta.url);
/** Each fuzz case must end within this much CPU time (the slowest measured, a 64×48 JPEG, takes ~20 ms). */
const CASE_MS = 2000;
/** Fuzz runs per input kind (measured ~4 s for all kinds together). */
const RUNS = 250;

/** A smooth test pattern with values in [0, 1]. */
function pattern(width: number, height: number, channel = 0): Float64Array {
  return Float64Array.from({ length: width * height }, (_, p) => 0.5 + 0.45 * Math.sin((p % width) / 3 + channel) * Math.cos(Math.floor(p / width) / 4 - channel));
}

/** An RGBA PNG (pngjs) of a colour pattern, with the given colour type and depth. */
function colourPng(width: number, height: number, colorType: 0 | 2 | 6, bitDepth: 8 | 16): { bytes: Buffer; gray: Float64Array } {
  const max = bitDepth === 16 ? 65535 : 255;
  const png = new PNG({ width, height, bitDepth, colorType, inputColorType: 6, inputHasAlpha: true });
  const data = bitDepth === 16 ? new Uint16Array(width * height * 4) : Buffer.alloc(width * height * 4);
  const gray = new Float64Array(width * height);
  const rgb = [0, 1, 2].map((k) => pattern(width, height, k));
  for (let p = 0; p < width * height; p++) {
    const q = rgb.map((ch) => Math.round(ch[p] * max));
    if (colorType === 0) q[1] = q[2] = q[0];
    data.set([q[0], q[1], q[2], max], 4 * p);
    gray[p] = colorType === 0 ? q[0] / max : (0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2]) / max;
  }
  png.data = data as unknown as Buffer;
  return { bytes: PNG.sync.write(png, { bitDepth, colorType, inputColorType: 6, inputHasAlpha: true }), gray };
}

/** A PNG chunk: length, type, data, CRC-32 of type and data. */
function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A hand-made PNG: signature, IHDR (8-bit grayscale), one IDAT holding `payload` deflated, IEND. */
function handPng(width: number, height: number, interlace: 0 | 1, payload: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, interlace], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(payload)), chunk('IEND', new Uint8Array(0))]);
}

/** Recomputes every complete chunk's CRC, so a mutation reaches the decoder instead of stopping at the CRC test. */
function fixCrcs(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  let offset = 8;
  while (offset + 12 <= out.length) {
    const length = ((out[offset] << 24) >>> 0) + (out[offset + 1] << 16) + (out[offset + 2] << 8) + out[offset + 3];
    if (offset + 12 + length > out.length) break;
    const crc = crc32(out.subarray(offset + 4, offset + 8 + length)) >>> 0;
    out.set([crc >>> 24, (crc >>> 16) & 255, (crc >>> 8) & 255, crc & 255], offset + 8 + length);
    offset += 12 + length;
  }
  return out;
}

const valid = (im: GrayImage, maxPixels: number) =>
  Number.isInteger(im.width) && Number.isInteger(im.height) && im.width * im.height <= maxPixels && im.data.length === im.width * im.height && im.data.every((v) => v >= 0 && v <= 1);

/** Decodes under a time bound: a valid image or an InputError, nothing else. */
function decodesSafely(bytes: Uint8Array, maxPixels = 1 << 16): 'image' | 'error' {
  const start = cpuMs();
  let outcome: 'image' | 'error';
  try {
    const im = decodeImage(bytes, '<fuzz>', { maxPixels });
    assert.ok(valid(im, maxPixels), `invalid image ${im.width}×${im.height}`);
    outcome = 'image';
  } catch (err) {
    if (!(err instanceof InputError)) throw new Error(`not an InputError: ${String(err)}`);
    assert.match(err.message, /^<fuzz>: /);
    outcome = 'error';
  }
  const ms = cpuMs() - start;
  assert.ok(ms < CASE_MS, `took ${ms} ms of CPU time`);
  return outcome;
}

const smallPng = colourPng(24, 16, 2, 8).bytes;
const smallJpeg = jpeg.encode({ width: 24, height: 16, data: rgbaOf(24, 16) }, 90).data;

function rgbaOf(width: number, height: number): Buffer {
  const rgb = [0, 1, 2].map((k) => pattern(width, height, k));
  const out = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) out.set([...rgb.map((ch) => Math.round(ch[p] * 255)), 255], 4 * p);
  return out;
}

/** Mutations of a valid file: truncation, bit flips, byte overwrites, insertions and deletions. */
const mutated = (base: Uint8Array) =>
  fc.oneof(
    fc.nat({ max: base.length - 1 }).map((n) => base.subarray(0, n)),
    fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.nat({ max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const out = Uint8Array.from(base);
      for (const [i, bit] of flips) out[i] ^= 1 << bit;
      return out;
    }),
    fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((writes) => {
      const out = Uint8Array.from(base);
      for (const [i, b] of writes) out[i] = b;
      return out;
    }),
    fc.tuple(fc.nat({ max: base.length }), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([i, ins]) => Uint8Array.from([...base.subarray(0, i), ...ins, ...base.subarray(i)])),
    fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 1, max: 64 })).map(([i, n]) => Uint8Array.from([...base.subarray(0, i), ...base.subarray(i + n)])),
  );

test('decodeImage: 8-bit gray PNG round trip (encodeGrayPng) to half a quantization step; RGB, RGBA and 16-bit PNGs by BT.601 luma', () => {
  const data = pattern(7, 5);
  const back = decodeImage(encodeGrayPng(7, 5, data), 'a.png');
  assert.deepEqual([back.width, back.height, back.source], [7, 5, 'a.png']);
  assert.ok(back.data.every((v, i) => Math.abs(v - data[i]) <= 0.5 / 255 + 1e-15));
  for (const [colorType, depth] of [[2, 8], [6, 8], [0, 16], [2, 16]] as const) {
    const { bytes, gray } = colourPng(9, 6, colorType, depth);
    const im = decodeImage(bytes);
    // exact: the samples keep their depth (16-bit is not rescaled to 8 bits) and the luma weights are BT.601's
    assert.ok(im.data.every((v, i) => Math.abs(v - gray[i]) < 1e-12), `colour type ${colorType}, depth ${depth}`);
  }
});

test('decodeImage: a JPEG decodes to the BT.601 luma of its pixels (within JPEG loss) and interlaced PNGs decode', () => {
  const rgba = rgbaOf(32, 24);
  const im = decodeImage(jpeg.encode({ width: 32, height: 24, data: rgba }, 100).data, 'q100.jpg');
  assert.deepEqual([im.width, im.height], [32, 24]);
  let worst = 0;
  for (let p = 0; p < 32 * 24; p++) worst = Math.max(worst, Math.abs(im.data[p] - (0.299 * rgba[4 * p] + 0.587 * rgba[4 * p + 1] + 0.114 * rgba[4 * p + 2]) / 255));
  assert.ok(worst < 0.03, `largest luma difference ${worst}`); // quality 100: measured 0.008
  // a 3×2 Adam7 image: passes 1 (0,0), 2 (none), 3 (none), 4 (2,0), 5 (none), 6 (1,0), 7 row 1 (0..2,1)
  const raw = Uint8Array.from([0, 10, 0, 30, 0, 20, 0, 40, 50, 60]);
  const inter = decodeImage(handPng(3, 2, 1, raw), 'adam7.png');
  assert.deepEqual(Array.from(inter.data, (v) => Math.round(v * 255)), [10, 20, 30, 40, 50, 60]);
});

test('decodeImage: the real test images of ../shared/data/images (sizes, value ranges)', { skip: !existsSync(SHARED) }, () => {
  const expected: Record<string, [number, number]> = { 'camera.png': [512, 512], 'coins.png': [384, 303], 'text.png': [448, 172], 'china.jpg': [640, 427], 'flower.jpg': [640, 427] };
  for (const [name, [w, h]] of Object.entries(expected)) {
    const im = loadImage(new URL(name, SHARED).pathname);
    assert.deepEqual([im.width, im.height], [w, h], name);
    assert.ok(im.data.every((v) => v >= 0 && v <= 1), name);
  }
  assert.equal(loadImage(new URL('camera.png', SHARED).pathname).data[0], 200 / 255); // skimage: camera()[0, 0] = 200
});

test('decodeImage: located InputErrors for what is not an image, truncated files and bad headers', () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(0), /^x: not a PNG or JPEG image \(first bytes: none, the file is empty\); expected the PNG signature/],
    [Buffer.from('GIF89a......'), /^x: not a PNG or JPEG image \(first bytes: 47 49 46 38 39 61 2e 2e\)/],
    [smallPng.subarray(0, 20), /^x: truncated PNG: 20 bytes, less than the signature and IHDR chunk/],
    [smallPng.subarray(0, 60), /^x: PNG: /],
    [handPng(0, 5, 0, new Uint8Array(5)), /^x: PNG IHDR header: image size 0×5; expected a positive width and height/],
    [smallJpeg.subarray(0, 3), /^x: JPEG: no frame header \(SOF segment\)/],
    [smallJpeg.subarray(0, smallJpeg.length - 200), /^x: JPEG: /],
  ];
  for (const [bytes, message] of cases) assert.throws(() => decodeImage(bytes, 'x'), (err: unknown) => err instanceof InputError && message.test(err.message));
  const png = Uint8Array.from(smallPng);
  png[25] = 5; // colour type 5 does not exist
  assert.throws(() => decodeImage(png, 'x'), /x: PNG IHDR: colour type 5; expected 0, 2, 3, 4 or 6/);
  png[25] = 2;
  png[24] = 4; // RGB allows 8 or 16 bits
  assert.throws(() => decodeImage(png, 'x'), /x: PNG IHDR: bit depth 4 with colour type 2 \(RGB\); expected one of 8, 16/);
});

test('decodeImage: sizes beyond maxPixels are refused from the header, before any pixel buffer exists', () => {
  // a header announcing 2³¹−1 × 2³¹−1 pixels with no data: refused at once (it would need 36 EB)
  const huge = handPng(0x7fffffff, 0x7fffffff, 0, new Uint8Array(10));
  assert.throws(() => decodeImage(huge, 'big.png'), /big\.png: PNG IHDR header: image size 2147483647×2147483647 = .* pixels, more than the limit of 16777216 \(option maxPixels\)/);
  assert.throws(() => decodeImage(smallPng, 'p.png', { maxPixels: 100 }), /image size 24×16 = 384 pixels, more than the limit of 100/);
  const jpegHuge = Uint8Array.from(smallJpeg);
  const sof = jpegHuge.findIndex((b, i) => b === 0xff && jpegHuge[i + 1] === 0xc0);
  jpegHuge.set([0xff, 0xff, 0xff, 0xff], sof + 5); // 65535 × 65535
  assert.throws(() => decodeImage(jpegHuge, 'big.jpg'), /big\.jpg: JPEG frame header: image size 65535×65535 = 4294836225 pixels, more than the limit/);
  assert.throws(() => decodeImage(smallPng, 'p', { maxPixels: 0 }), /decodeImage: maxPixels must be a positive integer, received 0/);
});

test('decodeImage: a decompression bomb (50 MB of zeros behind a 4×4 header) is refused without inflating it', () => {
  const bomb = new Uint8Array(50_000_000);
  const compressed = deflateSync(bomb);
  /** Fastest of three runs, in ms of this process's CPU time, so another program's load counts on neither side. */
  const fastest = (f: () => void) => Math.min(...[0, 1, 2].map(() => { const t0 = cpuMs(); f(); return cpuMs() - t0; }));
  // the yardstick: inflating the whole 50 MB once (~100 ms here); the bounded inflation stops after the first chunk
  const fullInflate = fastest(() => inflateSync(compressed));
  for (const interlace of [0, 1] as const) {
    const bytes = handPng(4, 4, interlace, bomb);
    assert.throws(() => decodeImage(bytes, 'bomb.png'), (err: unknown) => err instanceof InputError && /^bomb\.png: PNG/.test(err.message));
    const refused = fastest(() => assert.throws(() => decodeImage(bytes, 'bomb.png')));
    assert.ok(refused < fullInflate / 3, `interlace ${interlace}: refused in ${refused.toFixed(1)} ms, full inflation ${fullInflate.toFixed(1)} ms`);
  }
});

test('loadImage: unreadable paths and oversized files are InputErrors naming the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'png-jpeg-'));
  try {
    assert.throws(() => loadImage(join(dir, 'none.png')), /none\.png: cannot read data file \(no such file\)/);
    assert.throws(() => loadImage(dir), /cannot read data file \(is a directory\)/);
    const file = join(dir, 'a.png');
    writeFileSync(file, smallPng);
    assert.equal(loadImage(file).width, 24);
    assert.throws(() => loadImage(file, { maxBytes: 100 }), /a\.png: the file has \d+ bytes, more than the limit of 100 \(option maxBytes\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(`fuzz: ${RUNS} mutated PNGs (CRCs as mutated), ${RUNS} with CRCs repaired, ${RUNS} mutated JPEGs, ${RUNS} random byte strings: an image or an InputError, in time`, () => {
  const outcomes: Record<string, Record<string, number>> = {};
  const tally = (kind: string, o: string) => ((outcomes[kind] ??= {})[o] = (outcomes[kind][o] ?? 0) + 1);
  const gray16 = colourPng(20, 12, 0, 16).bytes;
  fc.assert(fc.property(mutated(smallPng), (b) => void tally('png', decodesSafely(b))), { numRuns: RUNS, seed: 1 });
  fc.assert(fc.property(fc.oneof(mutated(smallPng), mutated(gray16)).map(fixCrcs), (b) => void tally('png-crc-fixed', decodesSafely(b))), { numRuns: RUNS, seed: 2 });
  fc.assert(fc.property(mutated(smallJpeg), (b) => void tally('jpeg', decodesSafely(b))), { numRuns: RUNS, seed: 3 });
  const magic = fc.constantFrom([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0xff, 0xd8, 0xff], []);
  fc.assert(
    fc.property(magic, fc.uint8Array({ maxLength: 512 }), (m, rest) => void tally('random', decodesSafely(Uint8Array.from([...m, ...rest])))),
    { numRuns: RUNS, seed: 4 },
  );
  // the mutations reach the decoders: some mutated files still decode, most are refused
  for (const kind of ['png-crc-fixed', 'jpeg']) assert.ok((outcomes[kind].image ?? 0) > 0 && (outcomes[kind].error ?? 0) > 0, JSON.stringify(outcomes));
});
