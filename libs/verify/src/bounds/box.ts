/** An axis-aligned box {x : lo ≤ x ≤ hi} of input space. */
export interface Box {
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

/** A validated copy of a box: same lengths, finite bounds, lo ≤ hi; `fn` names the caller in errors. */
export function checkedBox(fn: string, field: string, box: { lo: ArrayLike<number>; hi: ArrayLike<number> }, n: number): Box {
  if (!box || box.lo?.length !== n || box.hi?.length !== n) {
    throw new RangeError(`${fn}: ${field} must have lo and hi of length ${n}, received lengths ${box?.lo?.length} and ${box?.hi?.length}`);
  }
  for (let i = 0; i < n; i++) {
    if (!(Number.isFinite(box.lo[i]) && Number.isFinite(box.hi[i]) && box.lo[i] <= box.hi[i])) {
      throw new RangeError(`${fn}: ${field} must have finite lo[i] ≤ hi[i], received lo[${i}]=${box.lo[i]}, hi[${i}]=${box.hi[i]}`);
    }
  }
  return { lo: Float64Array.from(box.lo), hi: Float64Array.from(box.hi) };
}
