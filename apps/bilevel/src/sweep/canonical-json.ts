/**
 * The canonical JSON text of a value: JSON.stringify's encoding with the keys of every object sorted (by UTF-16
 * code units, recursively) and no whitespace, so two values equal up to key order give the same text. Properties
 * whose value is undefined are left out and non-finite numbers become `null`, as in JSON.
 *
 * @example
 * canonicalJson({ b: 1, a: { d: [2, 1], c: 0 } }); // '{"a":{"c":0,"d":[2,1]},"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`canonicalJson: received a ${proto?.constructor?.name ?? 'non-plain'} object; expected plain objects, arrays and primitives`);
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays data
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
}
