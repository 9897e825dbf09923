// The readers of user JSON files (issue 16, items 1 and 4): a "__proto__" key is an unknown key, never the prototype
// of what is built from the file; an oversized file is refused before it is read (devices and pipes: see
// read-regular-file.spec.ts and the CLI's hostile-input.spec.ts, which run them in a watched child process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from './input-error';
import { MAX_OPTIONS_FILE_BYTES, readJsonFile, readOptionsFile } from './options-file';

const dir = mkdtempSync(join(tmpdir(), 'options-file-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const SCHEMA = z.strictObject({ out: z.string(), maxIter: z.number().int() }).partial();

test('a "__proto__" key in a configuration is an unknown key, reported with the others; nothing of it is applied', () => {
  const path = file('proto.json', '{"__proto__": {"out": "x"}}');
  assert.throws(
    () => readOptionsFile(path, SCHEMA, '{}'),
    (e: unknown) => e instanceof InputError && e.message === `${path}: 1 problem in the configuration:\n  unknown key "__proto__"`,
  );
  const mixed = file('mixed.json', '{"max-iter": 3, "__proto__": {"out": "x"}, "bogus": 1}');
  assert.throws(() => readOptionsFile(mixed, SCHEMA, '{}'), /unknown keys "__proto__", "bogus"/);
  // nested, inside a value: also reported as an unknown key (with where it is)
  const nested = file('nested.json', '{"maxIter": {"__proto__": {"x": 1}}}');
  assert.throws(() => readOptionsFile(nested, SCHEMA, '{}'), /unknown key "__proto__" in maxIter/);
  // a valid file is untouched by all this
  assert.deepEqual(readOptionsFile(file('ok.json', '{"max-iter": 3, "out": "o"}'), SCHEMA, '{}'), { maxIter: 3, out: 'o' });
  assert.equal(({} as Record<string, unknown>).out, undefined, 'Object.prototype untouched');
});

test('"constructor" and "prototype" keys are unknown keys like any other', () => {
  assert.throws(() => readOptionsFile(file('ctor.json', '{"constructor": {"prototype": {"out": "x"}}}'), SCHEMA, '{}'), /unknown key "constructor"/);
});

test('readJsonFile (grid files, policy and certificate files) refuses a "__proto__" key at any depth, saying where', () => {
  const grid = file('grid.json', '{"name": "g", "problems": [{"overrides": {"__proto__": {"options": {}}}}]}');
  assert.throws(() => readJsonFile(grid, { what: 'grid file', maxBytes: 1 << 20 }), (e: unknown) => e instanceof InputError && e.message === `${grid}: unknown key "__proto__" in problems.0.overrides`);
  const top = file('top.json', '{"__proto__": null}');
  assert.throws(() => readJsonFile(top, { what: 'grid file', maxBytes: 1 << 20 }), /top.json: unknown key "__proto__"$/);
  // deep nesting is walked without recursion
  const deep = file('deep.json', `${'['.repeat(5000)}{"__proto__": 1}${']'.repeat(5000)}`);
  assert.throws(() => readJsonFile(deep, { what: 'grid file', maxBytes: 1 << 20 }), /unknown key "__proto__" in 0\.0\.0/);
});

test('a sparse 1 GiB configuration file is refused by its size, not read whole', () => {
  const big = file('big.json', '');
  truncateSync(big, 2 ** 30);
  const before = process.memoryUsage();
  assert.throws(() => readOptionsFile(big, SCHEMA, '{}'), (e: unknown) => e instanceof InputError && e.message === `${big}: 1073741824 bytes; a configuration file is at most ${MAX_OPTIONS_FILE_BYTES}`);
  const after = process.memoryUsage();
  assert.ok(after.rss - before.rss < 64 << 20, `rss grew by ${after.rss - before.rss} bytes`);
});

test('invalid JSON is one line: a newline of the file quoted in the parser\'s message is written \\n (found by the bilevel CLI fuzzer)', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'options-file-')), 'header-only.csv');
  writeFileSync(path, 'a,b,label\n');
  assert.throws(
    () => readJsonFile(path, { what: 'grid file', maxBytes: 1024 }),
    (e: unknown) => e instanceof InputError && /not valid JSON at line 1, column 1/.test(e.message) && !/[\r\n]/.test(e.message) && e.message.includes('a,b,label\\n'),
  );
});
