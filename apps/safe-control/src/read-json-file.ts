import { InputError, readJsonFile as readUserJsonFile } from '@bilevel/io';

/**
 * Largest policy or certificate file read: the longest string a JavaScript engine holds (2²⁹ − 24 characters), which
 * the largest network the files allow (16 hidden layers of 1024) needs at about 20 characters a weight.
 */
export const MAX_JSON_FILE_BYTES = 2 ** 29 - 24;

/**
 * Reads and parses a policy or certificate JSON file with the shared reader of user JSON files: a missing or
 * unreadable file, a device, pipe or socket, a file over {@link MAX_JSON_FILE_BYTES}, invalid JSON and a `__proto__`
 * key are each an InputError naming the file.
 */
export function readJsonFile(path: string): unknown {
  return readUserJsonFile(path, { what: 'file', maxBytes: MAX_JSON_FILE_BYTES });
}

/** A finite-number array of the given length, or an InputError naming the file and field. */
export function finiteArray(value: unknown, length: number | null, path: string, field: string): number[] {
  if (!Array.isArray(value)) throw new InputError(`${field} must be an array of numbers, received ${typeof value}`, path);
  if (length !== null && value.length !== length) throw new InputError(`${field} must hold ${length} numbers, received ${value.length}`, path);
  value.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${field}[${i}] must be a finite number, received ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`, path);
  });
  return value as number[];
}

/** Checks the format tag, version and system name shared by the policy and certificate files. */
export function checkHeader(doc: unknown, format: string, version: number, system: string, path: string): Record<string, unknown> {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new InputError(`must be a JSON object (a ${format} file)`, path);
  const d = doc as Record<string, unknown>;
  if (d.format !== format) throw new InputError(`format must be '${format}', received ${JSON.stringify(d.format)}`, path);
  if (d.version !== version) throw new InputError(`version must be ${version}, received ${JSON.stringify(d.version)}`, path);
  if (d.system !== system) throw new InputError(`was written for system ${JSON.stringify(d.system)}, not '${system}' (--system)`, path);
  return d;
}
