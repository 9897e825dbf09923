/** A plain decimal number: optional sign, digits with an optional fraction, optional exponent. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The value of a plain decimal number such as `-1`, `+3.5`, `.25`, `2e-3`; NaN for anything else (empty text,
 * spaces, `NaN`, `Infinity`, `inf`, hexadecimal, `1_000`…) and ±Infinity when it overflows float64. Stricter than
 * `Number()`, which reads `""` as 0 and `0x10` as 16.
 */
export function parseDecimal(text: string): number {
  return DECIMAL.test(text) ? Number(text) : NaN;
}
