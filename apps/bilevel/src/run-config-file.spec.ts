// The run configuration file: every problem reported at once with its path; kebab-case keys; fuzzed with random
// JSON and random bytes, every case ends in a configuration or an InputError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { InputError } from '@bilevel/io';
import { readRunConfig } from './run-config-file';

const dir = mkdtempSync(join(tmpdir(), 'bilevel-config-'));
const file = (name: string, text: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('a valid file: camelCase and kebab-case keys, x0 as a number or a list', () => {
  const c = readRunConfig(file('ok.json', JSON.stringify({ solver: 'soba', 'max-iter': 20000, innerStep: 0.05, x0: -1, problem: 'multiclass-hpo', reg: 'class' })));
  assert.deepEqual(c, { solver: 'soba', maxIter: 20000, innerStep: 0.05, x0: [-1], problem: 'multiclass-hpo', reg: 'class' });
  assert.deepEqual(readRunConfig(file('list.json', '{"x0": [1, 2.5]}')).x0, [1, 2.5]);
});

test('every problem is reported at once, each with its path and what was expected', () => {
  const path = file('bad.json', JSON.stringify({ batch: 0, bogus: 1, x0: 'a', innerStep: -1, solver: 'nope', corruption: 2 }));
  assert.throws(
    () => readRunConfig(path),
    (err: unknown) =>
      err instanceof InputError &&
      err.message.startsWith(`${path}: 6 problems in the configuration:`) &&
      /batch: Too small: expected number to be >=1/.test(err.message) &&
      /innerStep: Too small: expected number to be >0/.test(err.message) &&
      /x0: expected a finite number or a non-empty list of finite numbers/.test(err.message) &&
      /solver: Invalid option: expected one of "soba"\|/.test(err.message) &&
      /corruption: Too big: expected number to be <=1/.test(err.message) &&
      /unknown key "bogus"/.test(err.message),
  );
});

test('unreadable, non-JSON, non-object and oversized files are InputErrors naming the file', () => {
  assert.throws(() => readRunConfig(join(dir, 'missing.json')), /missing\.json: cannot read the configuration file \(no such file\)/);
  assert.throws(() => readRunConfig(dir), /cannot read the configuration file \(a folder\)/);
  assert.throws(() => readRunConfig(file('trunc.json', '{"solver": "so')), /trunc\.json: not valid JSON/);
  assert.throws(() => readRunConfig(file('array.json', '[1, 2]')), /array\.json: expected a JSON object of options/);
  assert.throws(() => readRunConfig(file('big.json', ' '.repeat((1 << 20) + 1))), /big\.json: 1048577 bytes; a configuration file is at most 1048576/);
});

/** Every input ends in a configuration or an InputError, never another exception. */
function readsOrInputError(path: string): void {
  try {
    readRunConfig(path);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
  }
}

test('fuzz: random JSON objects, mutated valid files and random bytes end in a configuration or an InputError', () => {
  const valid = JSON.stringify({ solver: 'saba', maxIter: 100, x0: [0, 1], problem: 'datacleaning', corruption: 0.5, reference: 'off' });
  let n = 0;
  const path = join(dir, 'fuzz.json');
  fc.assert(fc.property(fc.dictionary(fc.constantFrom('solver', 'maxIter', 'x0', 'batch', 'seed', 'max-iter', 'noise', 'bogus', 'reg'), fc.jsonValue()), (obj) => {
    writeFileSync(path, JSON.stringify(obj));
    readsOrInputError(path);
    n++;
  }), { numRuns: 400, seed: 5 });
  fc.assert(fc.property(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
    const bytes = Buffer.from(valid);
    bytes[at] = byte;
    writeFileSync(path, bytes);
    readsOrInputError(path);
    n++;
  }), { numRuns: 400, seed: 6 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    writeFileSync(path, bytes);
    readsOrInputError(path);
    n++;
  }), { numRuns: 200, seed: 7 });
  assert.equal(n, 1000);
});
