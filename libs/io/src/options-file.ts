import type { z } from 'zod';
import { InputError } from './input-error';
import { readRegularFile } from './read-regular-file';

/** Largest options file read, in bytes (a configuration is a few hundred bytes). */
export const MAX_OPTIONS_FILE_BYTES = 1 << 20;

/** A key that names an object's prototype: JSON.parse keeps it as an own key, but a copy `o[key] = v` would not. */
const PROTOTYPE_KEY = '__proto__';

/**
 * Reads and parses a JSON file given by the user: the file is read by {@link readRegularFile} (a device, pipe or
 * socket, a missing or unreadable file, and a file over `maxBytes` are refused before it is read), then parsed.
 * Returns the value and the paths (`problems.0.overrides`, `(top level)`) of the objects holding a `__proto__` key.
 */
function parseJsonFile(path: string, what: string, maxBytes: number): { value: unknown; prototypeKeys: string[] } {
  const bytes = readRegularFile(path, {
    maxBytes,
    what,
    unreadable: (why) => `cannot read the ${what} (${why === 'is a directory' ? 'a folder' : why})`,
    tooLarge: (size, grew) => (grew ? `grew past ${maxBytes} bytes while it was read; a ${what} is at most ${maxBytes}` : `${size} bytes; a ${what} is at most ${maxBytes}`),
  });
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const offset = jsonErrorOffset(text, message);
    const where = offset === undefined ? undefined : lineColumn(text, offset);
    // the parser quotes the file's text, line breaks included: written as \n so that the error stays one line
    const oneLine = message.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
    throw new InputError(`not valid JSON${where ? ` at line ${where.line}, column ${where.column}` : ''} (${oneLine})`, path);
  }
  return { value, prototypeKeys: prototypeKeyPaths(value) };
}

/** The paths of the objects inside `value` that hold an own `__proto__` key (iterative: any nesting depth). */
function prototypeKeyPaths(value: unknown): string[] {
  const found: string[] = [];
  const stack: { node: unknown; path: string }[] = [{ node: value, path: '' }];
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: unknown; path: string };
    if (node === null || typeof node !== 'object') continue;
    if (!Array.isArray(node) && Object.prototype.hasOwnProperty.call(node, PROTOTYPE_KEY)) found.push(path || '(top level)');
    for (const key of Object.keys(node)) stack.push({ node: (node as Record<string, unknown>)[key], path: path ? `${path}.${key}` : key });
  }
  return found;
}

const unknownPrototypeKey = (where: string) => `unknown key "${PROTOTYPE_KEY}"${where === '(top level)' ? '' : ` in ${where}`}`;

/**
 * Reads a JSON file given by the user (`what` names it in messages: 'configuration file', 'grid file'): a missing or
 * unreadable file, a device, pipe or socket (refused without reading), a file over `maxBytes` (refused by its size
 * before reading), invalid JSON (with the line and column where parsing stopped) and a `__proto__` key anywhere (an
 * unknown key in every file format: it could reach an object's prototype when copied) are each one
 * {@link InputError} naming the file.
 */
export function readJsonFile(path: string, options: { readonly what: string; readonly maxBytes: number }): unknown {
  const { value, prototypeKeys } = parseJsonFile(path, options.what, options.maxBytes);
  if (prototypeKeys.length > 0) throw new InputError(prototypeKeys.map(unknownPrototypeKey).join('; '), path);
  return value;
}

/**
 * Offset of the character JSON.parse stopped at: from V8's `at position N` when it says so, else the shortest
 * prefix of the text that fails before its end (the parser fails at the first bad character, so
 * longer prefixes fail too: a binary search finds it). Undefined when the text only ends too early.
 */
function jsonErrorOffset(text: string, message: string): number | undefined {
  const at = /at position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  const failsInside = (n: number) => {
    try {
      JSON.parse(text.slice(0, n));
      return false;
    } catch (e) {
      const m = (e as Error).message;
      const pos = /at position (\d+)/.exec(m);
      // V8 reports running out of text as "end of JSON input" or as an error at the prefix's end
      return !/end of JSON input/.test(m) && !(pos && Number(pos[1]) >= n);
    }
  };
  if (!failsInside(text.length)) return undefined;
  let lo = 0;
  let hi = text.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (failsInside(mid)) hi = mid;
    else lo = mid;
  }
  return hi - 1;
}

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Reads a JSON file of command-line options (`--config FILE.json`) and validates it with `schema` (a zod object
 * schema, strict so that unknown keys are errors). Keys may be camelCase (`maxIter`) or kebab-case (`max-iter`).
 * Every problem is reported at once, each with its path and what was expected, in one {@link InputError} naming the
 * file; nothing is half-applied. `example` is shown when the file is not a JSON object.
 *
 * @example readOptionsFile('experiments/soba.json', RUN_CONFIG_SCHEMA, '{"solver": "soba"}')
 */
export function readOptionsFile<S extends z.ZodType>(path: string, schema: S, example: string): z.output<S> {
  const { value: raw, prototypeKeys } = parseJsonFile(path, 'configuration file', MAX_OPTIONS_FILE_BYTES);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`expected a JSON object of options, e.g. ${example}`, path);
  // a prototype-less copy: a "__proto__" key stays an own key (an unknown one, reported below), never the prototype
  const normalized: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) normalized[camel(key)] = value;
  const parsed = schema.safeParse(normalized);
  const nested = prototypeKeys.filter((where) => where !== '(top level)').map(unknownPrototypeKey);
  if (!parsed.success || nested.length > 0) {
    const issues = parsed.success ? [] : parsed.error.issues;
    const lines = [...nested, ...issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      const where = issue.path.length ? issue.path.join('.') : '(top level)';
      return `${where}: ${issue.message}`;
    })];
    throw new InputError(`${lines.length} problem${lines.length > 1 ? 's' : ''} in the configuration:\n  ${lines.join('\n  ')}`, path);
  }
  return parsed.data as z.output<S>;
}
