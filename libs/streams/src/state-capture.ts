/** A typed array a captured state holds (copied bit for bit). */
export type StateTypedArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray;

/**
 * A captured state: numbers (NaN and ±Infinity included), strings, booleans, null, typed arrays, arrays and plain
 * objects, so that it encodes as a checkpoint (libs/telemetry) unchanged. `undefined` is kept as {@link UNDEFINED}.
 */
export type StateTree = number | string | boolean | null | StateTypedArray | StateTree[] | { [key: string]: StateTree };

/** How an `undefined` property is recorded (restored as undefined; JSON has no undefined). */
export const UNDEFINED: { readonly $undefined: true } = Object.freeze({ $undefined: true as const });

/** Why a state could not be captured or restored: the path of the offending value and what was found. */
export class StateShapeError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'StateShapeError';
  }
}

function isTypedArray(v: unknown): v is StateTypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

function isUndefinedMarker(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && (v as { $undefined?: unknown }).$undefined === true && Object.keys(v).length === 1;
}

/**
 * Captures everything mutable reachable from `root`: the own enumerable properties of every object (plain or class
 * instance, private TypeScript fields included: they are ordinary properties at run time), typed arrays copied,
 * numbers, strings, booleans, null and undefined. Functions are not state and are left out; so are the objects in
 * `skip` (the problem and its wrappers: rebuilt, not saved). A Map, Set, ES `#private` field holder or a cycle cannot
 * be captured faithfully and throws a {@link StateShapeError} naming the path, so a part whose state is not
 * capturable is refused up front instead of resuming wrongly.
 *
 * The solver parts keep "everything the update needs" in the state their `init` returns (see StreamPart), so
 * capturing those states and restoring them into freshly initialized parts continues a run to the bit.
 */
export function captureState(root: unknown, skip: ReadonlySet<object> = new Set(), path = 'state'): StateTree {
  const ancestors = new Set<object>();
  const walk = (v: unknown, p: string): StateTree | undefined => {
    if (v === null) return null;
    switch (typeof v) {
      case 'number':
      case 'string':
      case 'boolean':
        return v;
      case 'undefined':
        return UNDEFINED as unknown as StateTree;
      case 'function':
        return undefined; // behaviour, not state
      case 'bigint':
      case 'symbol':
        throw new StateShapeError(p, `a ${typeof v} cannot be captured`);
    }
    const obj = v as object;
    if (skip.has(obj)) return undefined;
    if (isTypedArray(obj)) return obj.slice() as StateTypedArray;
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) throw new StateShapeError(p, `a ${obj.constructor.name} cannot be captured (only typed arrays)`);
    if (obj instanceof Map || obj instanceof Set || obj instanceof WeakMap || obj instanceof WeakSet || obj instanceof Promise) {
      throw new StateShapeError(p, `a ${obj.constructor.name} cannot be captured; keep state in plain objects, arrays and typed arrays`);
    }
    if (ancestors.has(obj)) throw new StateShapeError(p, 'the state refers back to one of its own containers (a cycle)');
    ancestors.add(obj);
    try {
      if (Array.isArray(obj)) {
        return obj.map((e, i) => {
          const c = walk(e, `${p}[${i}]`);
          return c === undefined ? (UNDEFINED as unknown as StateTree) : c;
        });
      }
      const out: { [key: string]: StateTree } = {};
      for (const key of Object.keys(obj)) {
        const c = walk((obj as Record<string, unknown>)[key], `${p}.${key}`);
        if (c !== undefined) out[key] = c;
      }
      return out;
    } finally {
      ancestors.delete(obj);
    }
  };
  const tree = walk(root, path);
  if (tree === undefined) throw new StateShapeError(path, 'the root is a function or skipped');
  return tree;
}

/**
 * Writes a captured state back into `target`, a state of the same shape (made by the same `init` on the same
 * problem): typed arrays are overwritten in place (same type and length), primitives assigned, arrays and objects
 * descended into. What the run created after `init` (a list that grew, a record set later, a resized buffer) is
 * rebuilt as plain data. Properties the capture left out (functions, skipped objects) keep their fresh values. A
 * value of another kind than the state holds throws a {@link StateShapeError} naming the path; the target may then be partly written, so
 * restore only into a state made for this purpose.
 */
export function restoreState(target: unknown, tree: StateTree, path = 'state'): void {
  const assignInto = (holder: Record<string, unknown> | unknown[], key: string | number, saved: StateTree, p: string): void => {
    const current = (holder as Record<string | number, unknown>)[key];
    if (isUndefinedMarker(saved)) {
      (holder as Record<string | number, unknown>)[key] = undefined;
      return;
    }
    if (saved === null || typeof saved !== 'object') {
      (holder as Record<string | number, unknown>)[key] = saved;
      return;
    }
    if (isTypedArray(saved)) {
      if (isTypedArray(current) && current.constructor === saved.constructor && current.length === saved.length) {
        current.set(saved as never);
        return;
      }
      if (current === undefined || current === null || isTypedArray(current)) {
        // made or resized during the run (a batch view, a lazily allocated buffer): a copy takes its place
        (holder as Record<string | number, unknown>)[key] = saved.slice();
        return;
      }
      throw new StateShapeError(p, `saved a ${saved.constructor.name} where the state holds ${describe(current)}`);
    }
    if (current === undefined || current === null) {
      // made during the run (curvature pairs, a lazily resolved record): rebuilt as plain data
      (holder as Record<string | number, unknown>)[key] = materialize(saved);
      return;
    }
    if (typeof current !== 'object') {
      throw new StateShapeError(p, `saved ${Array.isArray(saved) ? 'an array' : 'an object'} where the state holds ${describe(current)}`);
    }
    restoreInto(current, saved, p);
  };
  const restoreInto = (obj: object, saved: StateTree, p: string): void => {
    if (Array.isArray(saved)) {
      if (!Array.isArray(obj)) throw new StateShapeError(p, `saved an array where the state holds ${describe(obj)}`);
      // lists that grow during a run (histories, pairs) take the saved length; new entries are rebuilt as plain data
      if (obj.length > saved.length) obj.length = saved.length;
      saved.forEach((e, i) => (i < obj.length ? assignInto(obj, i, e, `${p}[${i}]`) : obj.push(materialize(e))));
      return;
    }
    if (isTypedArray(saved) || saved === null || typeof saved !== 'object') throw new StateShapeError(p, 'expected an object');
    for (const key of Object.keys(saved)) assignInto(obj as Record<string, unknown>, key, (saved as Record<string, StateTree>)[key], `${p}.${key}`);
  };
  if (target === null || typeof target !== 'object') throw new StateShapeError(path, `cannot restore into ${describe(target)}`);
  restoreInto(target, tree, path);
}

/** A captured subtree as fresh plain data (typed arrays copied, undefined markers back to undefined). */
function materialize(tree: StateTree): unknown {
  if (tree === null || typeof tree !== 'object') return tree;
  if (isTypedArray(tree)) return tree.slice();
  if (isUndefinedMarker(tree)) return undefined;
  if (Array.isArray(tree)) return tree.map(materialize);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(tree)) out[key] = materialize((tree as Record<string, StateTree>)[key]);
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'no prototype'})`;
  return `a ${typeof v}`;
}
