import { gzipSync } from 'node:zlib';

/**
 * Writes an array of unsigned bytes in the IDX format read by {@link parseIdx}: magic `00 00 08 r`, the r
 * dimensions as big-endian uint32, then the bytes; gzipped unless `gzip: false`. For fixtures, bundled subsets and
 * round trips.
 *
 * @example encodeIdx({ dims: [2, 2, 2], data: Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7) }) // a gzipped IDX3 file
 */
export function encodeIdx(array: { readonly dims: readonly number[]; readonly data: Uint8Array }, options: { readonly gzip?: boolean } = {}): Uint8Array {
  const { dims, data } = array;
  if (dims.length < 1 || dims.length > 255) throw new RangeError(`encodeIdx: 1 to 255 dimensions expected, received ${dims.length}`);
  for (const d of dims) {
    if (!(Number.isInteger(d) && d >= 0 && d <= 0xffffffff)) throw new RangeError(`encodeIdx: dimension ${d} is not a uint32`);
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new RangeError(`encodeIdx: dimensions ${dims.join('×')} need ${size} bytes, received ${data.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + size);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 + dims.length);
  dims.forEach((d, k) => view.setUint32(4 + 4 * k, d));
  out.set(data, 4 + 4 * dims.length);
  return options.gzip === false ? out : new Uint8Array(gzipSync(out));
}
