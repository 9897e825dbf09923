import { InvalidArgumentError } from 'commander';

/** A safe integer (seeds). */
export function integer(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected an integer, received '${value}'`);
  return n;
}

/** An integer ≥ 0. */
export function nonNegativeInt(value: string): number {
  const n = integer(value);
  if (n < 0) throw new InvalidArgumentError(`expected an integer ≥ 0, received '${value}'`);
  return n;
}

/** An integer ≥ 1. */
export function positiveInt(value: string): number {
  const n = integer(value);
  if (n < 1) throw new InvalidArgumentError(`expected an integer ≥ 1, received '${value}'`);
  return n;
}

/** A finite number > 0. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a finite number > 0, received '${value}'`);
  return n;
}

/** A finite number ≥ 0. */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a finite number ≥ 0, received '${value}'`);
  return n;
}

/** An integer from 1 to `max` (counts whose cost grows with them: samples, trajectories). */
export function countAtMost(max: number): (value: string) => number {
  return (value) => {
    const n = positiveInt(value);
    if (n > max) throw new InvalidArgumentError(`expected an integer from 1 to ${max.toLocaleString('en-US')}, received '${value}'`);
    return n;
  };
}
