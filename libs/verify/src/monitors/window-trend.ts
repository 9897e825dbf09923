/**
 * Ratio of the geometric means of the newer and the older half of `values` (the middle value of an odd count
 * goes to neither): > 1 when the values grew over the window, < 1 when they fell. Values must be > 0.
 */
export function halfRatio(values: readonly number[]): number {
  const h = Math.floor(values.length / 2);
  let older = 0;
  let newer = 0;
  for (let i = 0; i < h; i++) {
    older += Math.log(values[i]);
    newer += Math.log(values[values.length - h + i]);
  }
  return Math.exp((newer - older) / h);
}

/** Mean of the older and of the newer half of `values` (the middle value of an odd count goes to neither). */
export function halfMeans(values: readonly number[]): { older: number; newer: number } {
  const h = Math.floor(values.length / 2);
  let older = 0;
  let newer = 0;
  for (let i = 0; i < h; i++) {
    older += values[i];
    newer += values[values.length - h + i];
  }
  return { older: older / h, newer: newer / h };
}
