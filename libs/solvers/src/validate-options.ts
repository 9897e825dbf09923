/** Validation helpers for solver options: each error names the function, the field, the value and the expectation. */
export function positiveNumber(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${fn}: ${field} must be a positive finite number, received ${String(value)}`);
  }
  return value;
}

export function nonNegativeNumber(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${fn}: ${field} must be a finite number ≥ 0, received ${String(value)}`);
  }
  return value;
}

export function positiveInteger(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${fn}: ${field} must be a positive integer, received ${String(value)}`);
  }
  return value;
}

/** Rejects keys that the options type does not know (a typo would otherwise be silently ignored). */
export function knownKeys(fn: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new RangeError(`${fn}: unknown option "${key}"; expected one of ${known.join(', ')}`);
  }
}

/** One of `allowed`, else a RangeError naming the function, the field, the choices and the value received. */
export function enumOption<T extends string>(fn: string, field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new RangeError(`${fn}: ${field} must be one of ${allowed.join(', ')}, received ${String(value)}`);
  }
  return value as T;
}
