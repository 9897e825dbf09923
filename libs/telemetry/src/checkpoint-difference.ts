import type { CheckpointValue } from './checkpoint-format';

/**
 * The first place where two checkpoint values differ, as a path such as `state.x[3]` with a short reason, or
 * undefined when they are identical to the bit: numbers by `Object.is` (so −0 ≠ 0 and NaN = NaN), typed arrays by
 * constructor, length and raw bytes (NaN payloads included), objects by their keys in order. Meant for tests that
 * a resumed run reproduces an uninterrupted one exactly, and for the checkpoint round-trip tests.
 *
 * @example
 * assert.equal(checkpointDifference(resumed, reference), undefined);
 */
export function checkpointDifference(a: CheckpointValue, b: CheckpointValue, path = 'state'): string | undefined {
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b)) return `${path}: one is a typed array, the other is not`;
    if (a.constructor !== b.constructor) return `${path}: ${a.constructor.name} vs ${b.constructor.name}`;
    if (a.byteLength !== b.byteLength) return `${path}: ${a.byteLength} vs ${b.byteLength} bytes`;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `${path}: byte ${i} differs (${x[i]} vs ${y[i]})`;
    return undefined;
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return Object.is(a, b) ? undefined : `${path}: ${show(a)} vs ${show(b)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: one is an array, the other is not`;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = checkpointDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return `${path}: keys ${JSON.stringify(ka.slice(0, 8))} vs ${JSON.stringify(kb.slice(0, 8))}`;
  for (const k of ka) {
    const d = checkpointDifference((a as Record<string, CheckpointValue>)[k], (b as Record<string, CheckpointValue>)[k], `${path}.${k}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v) : String(v);
}
