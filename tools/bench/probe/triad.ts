/**
 * The STREAM triad `a ← b + s·c` (McCalpin, "Memory bandwidth and machine balance", IEEE TCCA newsletter 1995) on
 * float64 arrays: 2 flops and 24 bytes per element as STREAM counts them (read b and c, write a; the cache's
 * write-allocate read of a is not counted, so on write-allocate caches the bus moves 32 bytes). On arrays much
 * larger than the last-level cache it measures memory bandwidth; on arrays that fit in L1 or L2 it measures the
 * load/store rate of the JIT's scalar loop.
 */
export function triad(a: Float64Array, b: Float64Array, c: Float64Array, s: number): void {
  const n = a.length;
  if (b.length !== n || c.length !== n) throw new RangeError(`triad: lengths ${n}, ${b.length}, ${c.length} differ, expected equal`);
  for (let i = 0; i < n; i++) a[i] = b[i] + s * c[i];
}

/** Bytes per element of {@link triad} as STREAM counts them. */
export const TRIAD_BYTES_PER_ELEMENT = 24;
