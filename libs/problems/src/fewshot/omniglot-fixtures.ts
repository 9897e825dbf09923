// Test support for the few-shot specs (not exported from the package): synthetic Omniglot-shaped zips, a small real
// one cut from ../shared/data/omniglot, and raw edits of zip bytes that adm-zip's writer would not make.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';
import { Rng } from '@bilevel/linalg';
import { encodeGrayPng } from '../imaging/encode-gray-png';

/** The folder of the real Omniglot zips (tests skip, saying so, when it is absent). */
export const SHARED_OMNIGLOT = fileURLToPath(new URL('../../../../../shared/data/omniglot/', import.meta.url));
export const SHARED_ZIPS = ['images_background_small1.zip', 'images_background_small2.zip'].map((z) => `${SHARED_OMNIGLOT}${z}`);
export const sharedSkip: string | false = SHARED_ZIPS.every((z) => existsSync(z)) ? false : `SKIPPED: no Omniglot zips in ${SHARED_OMNIGLOT}`;

/** A `width × height` 0/1 drawing: a few random strokes (1 = ink). */
export function drawing(seed: number, width = 105, height = 105): Float64Array {
  const rng = Rng.fromSeed(seed);
  const ink = new Float64Array(width * height);
  for (let stroke = 0; stroke < 3; stroke++) {
    let r = rng.int(0, height - 1);
    let c = rng.int(0, width - 1);
    for (let step = 0; step < 2 * (width + height); step++) {
      ink[r * width + c] = 1;
      r = Math.min(height - 1, Math.max(0, r + rng.int(-1, 1)));
      c = Math.min(width - 1, Math.max(0, c + rng.int(-1, 1)));
    }
  }
  return ink;
}

/** A drawing as Omniglot stores it: black (0) strokes on white (1), as an 8-bit grayscale PNG. */
export function drawingPng(ink: Float64Array, width = 105, height = 105): Buffer {
  return encodeGrayPng(width, height, Float64Array.from(ink, (v) => 1 - v));
}

/** A zip (adm-zip, deflate) of the given entries, in order; names ending in "/" are folders. */
export function makeZip(entries: readonly { readonly name: string; readonly data?: Buffer }[]): Buffer {
  const zip = new AdmZip();
  for (const e of entries) zip.addFile(e.name, e.data ?? Buffer.alloc(0));
  return zip.toBuffer();
}

/** A synthetic Omniglot archive: `top/<alphabet>/<character>/<nn>.png` for the given shape, drawings from `seed`. */
export function syntheticOmniglotZip(shape: Readonly<Record<string, number>>, drawings: number, seed = 1, top = 'images_background'): Buffer {
  const entries: { name: string; data?: Buffer }[] = [];
  let s = seed;
  for (const [alphabet, characters] of Object.entries(shape)) {
    for (let c = 1; c <= characters; c++) {
      const character = `character${String(c).padStart(2, '0')}`;
      for (let d = 1; d <= drawings; d++) entries.push({ name: `${top}/${alphabet}/${character}/${String(d).padStart(2, '0')}.png`, data: drawingPng(drawing(s++)) });
    }
  }
  return makeZip(entries);
}

/**
 * A small real Omniglot zip: the first `characters` characters of the first `alphabets` alphabets of
 * images_background_small1.zip, `drawings` drawings each, copied unchanged (or undefined without ../shared).
 */
export function smallRealZip(alphabets = 2, characters = 2, drawings = 3): Buffer | undefined {
  if (sharedSkip) return undefined;
  const src = new AdmZip(readFileSync(SHARED_ZIPS[0]));
  const byCharacter = new Map<string, AdmZip.IZipEntry[]>();
  for (const e of src.getEntries()) {
    if (e.isDirectory) continue;
    const [, alphabet, character] = e.entryName.split('/');
    const key = `${alphabet}/${character}`;
    byCharacter.set(key, [...(byCharacter.get(key) ?? []), e]);
  }
  const keys = [...byCharacter.keys()].sort();
  const chosenAlphabets = [...new Set(keys.map((k) => k.split('/')[0]))].slice(0, alphabets);
  const entries: { name: string; data: Buffer }[] = [];
  for (const a of chosenAlphabets) {
    for (const k of keys.filter((key) => key.startsWith(`${a}/`)).slice(0, characters)) {
      for (const e of (byCharacter.get(k) as AdmZip.IZipEntry[]).sort((x, y) => (x.entryName < y.entryName ? -1 : 1)).slice(0, drawings)) {
        entries.push({ name: e.entryName, data: e.getData() });
      }
    }
  }
  return makeZip(entries);
}

/** Replaces every occurrence of `from` by `to` (same length: offsets stay valid), e.g. to forge entry names. */
export function replaceBytes(zip: Buffer, from: string, to: string): Buffer {
  if (Buffer.byteLength(from) !== Buffer.byteLength(to)) throw new RangeError('replaceBytes: same length only');
  const out = Buffer.from(zip);
  const needle = Buffer.from(from);
  for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, at + 1)) Buffer.from(to).copy(out, at);
  return out;
}

/** Offsets of the central directory headers (signature PK\1\2) of a zip. */
export function centralHeaders(zip: Buffer): number[] {
  const sig = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  const out: number[] = [];
  for (let at = zip.indexOf(sig); at >= 0; at = zip.indexOf(sig, at + 1)) out.push(at);
  return out;
}

/** Offsets of the local file headers (signature PK\3\4) of a zip. */
export function localHeaders(zip: Buffer): number[] {
  const sig = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
  const out: number[] = [];
  for (let at = zip.indexOf(sig); at >= 0; at = zip.indexOf(sig, at + 1)) out.push(at);
  return out;
}
