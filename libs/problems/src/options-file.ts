import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { InputError } from './input-error';

/** Largest options file read, in bytes (a configuration is a few hundred bytes). */
export const MAX_OPTIONS_FILE_BYTES = 1 << 20;

/**
 * Reads a JSON file given by the user (`what` names it in messages: 'configuration file', 'grid file'): a missing,
 * unreadable or oversized file and invalid JSON (with the line and column where parsing stopped) are each one
 * {@link InputError} naming the file.
 */
export function readJsonFile(path: string, options: { readonly what: string; readonly maxBytes: number }): unknown {
  const { what, maxBytes } = options;
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > maxBytes) throw new InputError(`${bytes.length} bytes; a ${what} is at most ${maxBytes}`, path);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read the ${what} (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder' : (code ?? String(err))})`, path);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const offset = jsonErrorOffset(text, message);
    const where = offset === undefined ? undefined : lineColumn(text, offset);
    throw new InputError(`not valid JSON${where ? ` at line ${where.line}, column ${where.column}` : ''} (${message})`, path);
  }
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
  const raw = readJsonFile(path, { what: 'configuration file', maxBytes: MAX_OPTIONS_FILE_BYTES });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`expected a JSON object of options, e.g. ${example}`, path);
  const normalized: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) normalized[camel(key)] = value;
  const parsed = schema.safeParse(normalized);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      const where = issue.path.length ? issue.path.join('.') : '(top level)';
      return `${where}: ${issue.message}`;
    });
    throw new InputError(`${lines.length} problem${lines.length > 1 ? 's' : ''} in the configuration:\n  ${lines.join('\n  ')}`, path);
  }
  return parsed.data;
}
