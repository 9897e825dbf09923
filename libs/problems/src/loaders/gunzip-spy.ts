// Test support for the loaders' specs (not exported from the package).
import zlib from 'node:zlib';
import { syncBuiltinESMExports } from 'node:module';

/** One call of zlib.gunzipSync seen by the spy. */
export interface GunzipCall {
  readonly inputBytes: number;
  /** The `maxOutputLength` the caller asked for (Infinity when unbounded). */
  readonly maxOutputLength: number;
  /** Bytes returned, or −1 when the call threw. */
  readonly outputBytes: number;
}

/**
 * Wraps node:zlib's `gunzipSync` (and, through `syncBuiltinESMExports`, every ES-module binding to it) to record the
 * bound each call asked for: a loader that refuses an announced size "before allocating" never asks zlib for an
 * output that large. `restore()` puts the original back.
 */
export function spyGunzip(): { readonly calls: GunzipCall[]; restore(): void } {
  const original = zlib.gunzipSync;
  const calls: GunzipCall[] = [];
  const spy = (buf: zlib.InputType, options?: zlib.ZlibOptions): Buffer => {
    const inputBytes = (buf as Uint8Array).byteLength;
    const maxOutputLength = options?.maxOutputLength ?? Infinity;
    try {
      const out = original(buf, options);
      calls.push({ inputBytes, maxOutputLength, outputBytes: out.length });
      return out;
    } catch (err) {
      calls.push({ inputBytes, maxOutputLength, outputBytes: -1 });
      throw err;
    }
  };
  (zlib as { gunzipSync: unknown }).gunzipSync = spy;
  syncBuiltinESMExports();
  return {
    calls,
    restore() {
      (zlib as { gunzipSync: unknown }).gunzipSync = original;
      syncBuiltinESMExports();
    },
  };
}
