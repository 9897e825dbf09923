import { InvalidArgumentError } from 'commander';

/** Commander argument parsers that reject bad values with a message saying what was expected. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer ≥ 0.');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive finite number.');
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a finite number ≥ 0.');
  return n;
}

export function probability(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a probability in [0, 1].');
  return n;
}

export function integer(value: string): number {
  const n = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer.');
  return n;
}

/** A finite number or a comma-separated list of finite numbers. */
export function numberList(value: string): number[] {
  const parts = value.split(',');
  const nums = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (nums.some((n) => !Number.isFinite(n))) {
    throw new InvalidArgumentError('expected a finite number or a comma-separated list of finite numbers.');
  }
  return nums;
}

/**
 * The parser of a size in bytes: plain bytes (`1073741824`) or with a unit (`4GiB`, `512MiB`, `1.5GB`, `64k`), by
 * `parseByteSize` of @bilevel/problems (the grammar of `--config` files too), passed in so that this module, which
 * `--help` loads, does not load that library.
 */
export function byteSize(parseByteSize: (text: string) => number | undefined): (value: string) => number {
  return (value) => {
    const n = parseByteSize(value);
    if (n === undefined) throw new InvalidArgumentError('expected a size in bytes, e.g. 4GiB, 512MiB or 1073741824.');
    return n;
  };
}
