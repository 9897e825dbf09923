import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { InputError } from './input-error';

/** Largest options file read, in bytes (a configuration is a few hundred bytes). */
export const MAX_OPTIONS_FILE_BYTES = 1 << 20;

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
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_OPTIONS_FILE_BYTES) throw new InputError(`${bytes.length} bytes; a configuration file is at most ${MAX_OPTIONS_FILE_BYTES}`, path);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read the configuration file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder' : (code ?? String(err))})`, path);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`not valid JSON (${(err as Error).message})`, path);
  }
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
