import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrace } from './read-trace';

function tempFile(t: { after: (fn: () => void) => void }, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'read-trace-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'trace.jsonl');
  writeFileSync(path, content);
  return path;
}

test('readTrace parses one object per line and skips blank lines and a missing final newline', (t) => {
  const path = tempFile(t, '{"iter":0,"value":null}\n\n{"iter":1,"value":2}');

  assert.deepEqual(readTrace(path), [
    { iter: 0, value: null },
    { iter: 1, value: 2 },
  ]);
});

test('readTrace of an empty file is an empty array', (t) => {
  assert.deepEqual(readTrace(tempFile(t, '')), []);
});

test('readTrace names the file and the 1-based line of invalid JSON', (t) => {
  const path = tempFile(t, '{"iter":0}\n{"iter":1}\n{"iter":2,"val\n');

  assert.throws(() => readTrace(path), (err: Error) => {
    assert.ok(err instanceof SyntaxError);
    assert.ok(err.message.startsWith(`readTrace: ${path}:3: invalid JSON`), err.message);
    assert.match(err.message, /expected one JSON object per line/);
    return true;
  });
});

test('readTrace rejects a line that is valid JSON but not an object', (t) => {
  const path = tempFile(t, '{"iter":0}\n[1,2]\n');

  assert.throws(() => readTrace(path), new RegExp(`readTrace: .*:2: the line holds an array of 2; expected a JSON object`));
});

test('readTrace validates its path argument', () => {
  assert.throws(() => readTrace(''), /readTrace: path is ""; expected a non-empty file path/);
});

test('readTrace drops a last line that lacks its newline and is not whole JSON (an interrupted write)', (t) => {
  const path = tempFile(t, '{"iter":0}\n{"iter":1}\n{"iter":2,"val');

  assert.deepEqual(readTrace(path), [{ iter: 0 }, { iter: 1 }]);
});
