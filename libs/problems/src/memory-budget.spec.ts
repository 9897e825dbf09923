// The memory budget of the loaders and problem builders (issue 16, item 2): sizes as the command line takes them,
// and one refusal naming every allocation, the budget and the option that raises it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '@bilevel/io';
import { checkMemoryBudget, DEFAULT_MEMORY_BUDGET, formatBytes, memoryBudgetOf, parseByteSize } from './memory-budget';

test('parseByteSize reads bytes and binary or decimal units, and nothing else', () => {
  const cases: [string, number | undefined][] = [
    ['1073741824', 2 ** 30],
    ['4GiB', 4 * 2 ** 30],
    ['4gib', 4 * 2 ** 30],
    ['512MiB', 512 * 2 ** 20],
    ['512M', 512 * 2 ** 20],
    ['64k', 64 * 1024],
    ['1.5GB', 1.5e9],
    [' 2 GiB ', 2 * 2 ** 30],
    ['0', undefined],
    ['0.1', undefined],
    ['-1GiB', undefined],
    ['4 parsecs', undefined],
    ['GiB', undefined],
    ['', undefined],
    ['1e3', undefined],
    ['99999999999TiB', undefined],
  ];
  for (const [text, bytes] of cases) assert.equal(parseByteSize(text), bytes, text);
});

test('formatBytes and the default', () => {
  assert.equal(formatBytes(960), '960 bytes');
  assert.equal(formatBytes(512 * 2 ** 20), '512 MiB');
  assert.equal(formatBytes(20000 * 20000 * 8), '2.98 GiB');
  assert.equal(formatBytes(DEFAULT_MEMORY_BUDGET), '2 GiB');
  assert.equal(memoryBudgetOf(undefined, 'f'), DEFAULT_MEMORY_BUDGET);
  assert.throws(() => memoryBudgetOf(1.5, 'f'), /f: options.memoryBudget must be a positive integer number of bytes, received 1.5/);
});

test('checkMemoryBudget names every allocation, the total, the budget and the option; a platform-sized array is refused whatever the budget', () => {
  assert.doesNotThrow(() => checkMemoryBudget([{ what: 'a', bytes: 10 }, { what: 'b', bytes: 6 }], 16, 'f'));
  assert.throws(
    () => checkMemoryBudget([{ what: 'a 2 × 4 × 8 bytes', bytes: 64 }, { what: 'b', bytes: 1024 }], 1000, 'data.csv', 'line 3'),
    (e: unknown) =>
      e instanceof InputError &&
      e.message ===
        'data.csv: line 3: needs a 2 × 4 × 8 bytes = 64 bytes + b = 1 KiB (1.06 KiB in all), more than the memory budget of 1000 bytes; raise it with --memory-budget SIZE (e.g. 8GiB; option memoryBudget) if the machine has the memory',
  );
  assert.throws(() => checkMemoryBudget([{ what: 'H', bytes: 8e12, elements: 1e12 }], Number.MAX_SAFE_INTEGER, 'f'), /f: H: 1000000000000 elements, more than the 4294967296 of the largest array/);
});
