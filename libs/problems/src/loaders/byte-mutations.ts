// Test support for the loaders' fuzz specs (not exported from the package): structural mutations of byte strings.
import fc from 'fast-check';

/** A position in a byte string of any length: absolute from the start or the end (header, trailer), or a fraction. */
export type Position = { readonly from: 'start' | 'end'; readonly at: number } | { readonly from: 'fraction'; readonly at: number };

/** One edit of a byte string. */
export type ByteMutation =
  | { readonly kind: 'truncate'; readonly pos: Position }
  | { readonly kind: 'flip'; readonly pos: Position; readonly mask: number }
  | { readonly kind: 'insert'; readonly pos: Position; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly pos: Position; readonly count: number }
  | { readonly kind: 'duplicate'; readonly pos: Position; readonly count: number }
  | { readonly kind: 'uint32'; readonly pos: Position; readonly value: number };

/** Positions biased to the first and last 24 bytes (headers, gzip trailers) and spread over the rest. */
export const position: fc.Arbitrary<Position> = fc.oneof(
  fc.record({ from: fc.constantFrom('start' as const, 'end' as const), at: fc.integer({ min: 0, max: 24 }) }),
  fc.record({ from: fc.constant('fraction' as const), at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }) }),
);

/** Big-endian uint32 values that matter in headers: small, boundary and huge. */
export const interestingUint32: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.constantFrom(0x801, 0x803, 0x800, 0x8ff, 0xd03, 0x1f8b0800, 60000, 2 ** 16, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
);

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), pos: position }),
  fc.record({ kind: fc.constant('flip' as const), pos: position, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), pos: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), pos: position, count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), pos: position, count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('uint32' as const), pos: position, value: interestingUint32 }),
);

/** Zero to six edits (zero keeps valid inputs in the mix, so the checks of results run too). */
export const byteMutations: fc.Arbitrary<ByteMutation[]> = fc.array(byteMutation, { maxLength: 6 });

function resolve(pos: Position, length: number): number {
  if (pos.from === 'start') return Math.min(pos.at, length);
  if (pos.from === 'end') return Math.max(0, length - pos.at);
  return Math.floor(pos.at * (length + 1));
}

/** Applies the edits in order to a copy. */
export function applyByteMutations(input: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(input);
  for (const m of mutations) {
    const at = resolve(m.pos, b.length);
    switch (m.kind) {
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'flip':
        if (at < b.length) b[at] ^= m.mask;
        break;
      case 'insert':
        b = concat(b.subarray(0, at), m.bytes, b.subarray(at));
        break;
      case 'delete':
        b = concat(b.subarray(0, at), b.subarray(at + m.count));
        break;
      case 'duplicate':
        b = concat(b.subarray(0, at + m.count), b.subarray(at));
        break;
      case 'uint32': {
        const v = Uint8Array.of(m.value >>> 24, (m.value >>> 16) & 255, (m.value >>> 8) & 255, m.value & 255);
        b = concat(b.subarray(0, at), v, b.subarray(Math.min(b.length, at + 4)));
        break;
      }
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
