import { InputError } from '@bilevel/io';

/** A term as a file states it and as the system defines it: a number, or a box {lo, hi}. */
export type StatedTerm = number | { readonly lo: readonly number[]; readonly hi: readonly number[] };

const show = (v: unknown): string => (typeof v === 'number' ? String(v) : JSON.stringify(v));

/**
 * Checks the terms a certificate file states (`stated`, the value of its field `field`; 'certificate' for top-level
 * keys) against the ones that apply (`expected`): each stated key must be one of them and equal to its value (numbers
 * exactly: JSON numbers round-trip doubles; boxes entry by entry). The first difference is one InputError naming the
 * field, the file's value and the owner's (`owner`: "the system 'lane-keeping'", or the verifier for its budget),
 * e.g. "conditions.lambdaB is -103.657 in the file, but the system 'lane-keeping' defines -4". Stating nothing is
 * fine: the verifier reads the system's terms, never the file's.
 */
export function checkStatedTerms(stated: unknown, field: string, expected: Readonly<Record<string, StatedTerm>>, owner: string, path: string): void {
  const rule = "a certificate is checked against the terms of the system it names, never against terms its file states; remove the field or state the system's value";
  const label = (key: string) => (field === 'certificate' ? key : `${field}.${key}`);
  if (stated === null || typeof stated !== 'object' || Array.isArray(stated)) {
    throw new InputError(`${field} must be an object {${Object.keys(expected).join(', ')}} (or absent), received ${show(stated)}`, path);
  }
  for (const [key, value] of Object.entries(stated as Record<string, unknown>)) {
    if (!Object.prototype.hasOwnProperty.call(expected, key)) {
      throw new InputError(`${label(key)} is not a term of ${owner} (its terms: ${Object.keys(expected).join(', ')}); ${rule}`, path);
    }
    const want = expected[key];
    if (!sameTerm(value, want)) throw new InputError(`${label(key)} is ${show(value)} in the file, but ${owner} defines ${show(want)}; ${rule}`, path);
  }
}

function sameTerm(value: unknown, want: StatedTerm): boolean {
  if (typeof want === 'number') return typeof value === 'number' && value === want;
  const v = value as { lo?: unknown; hi?: unknown } | null;
  const same = (a: unknown, b: readonly number[]) => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
  return v !== null && typeof v === 'object' && Object.keys(v).every((k) => k === 'lo' || k === 'hi') && same(v.lo, want.lo) && same(v.hi, want.hi);
}
