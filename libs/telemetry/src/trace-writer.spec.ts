import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TraceWriter } from './trace-writer';
import { readTrace } from './read-trace';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'trace-writer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('records round-trip through a JSON Lines file, one complete line per write', (t) => {
  const path = join(tempDir(t), 'nested', 'trace.jsonl');
  const trace = TraceWriter.open(path);

  trace.write({ iter: 0, value: 1.5, tag: 'start' });
  const afterFirst = readFileSync(path, 'utf8');
  trace.write({ iter: 1, value: 0.75, x: new Float64Array([1, 2.5]), nested: { ok: true } });
  trace.close();

  assert.equal(afterFirst, '{"iter":0,"value":1.5,"tag":"start"}\n');
  assert.equal(trace.lines, 2);
  assert.equal(trace.closed, true);
  assert.deepEqual(readTrace(path), [
    { iter: 0, value: 1.5, tag: 'start' },
    { iter: 1, value: 0.75, x: [1, 2.5], nested: { ok: true } },
  ]);
});

test('non-finite numbers are written as null, in fields and inside Float64Array values; bigint as a string', (t) => {
  const path = join(tempDir(t), 'trace.jsonl');
  const trace = TraceWriter.open(path);

  trace.write({ value: NaN, up: Infinity, down: -Infinity, x: new Float64Array([NaN, 1, -Infinity]), big: 10n });
  trace.close();

  assert.equal(readFileSync(path, 'utf8'), '{"value":null,"up":null,"down":null,"x":[null,1,null],"big":"10"}\n');
});

test('open truncates an existing file; close is idempotent; write after close throws', (t) => {
  const path = join(tempDir(t), 'trace.jsonl');
  writeFileSync(path, 'old content\nold content\n');

  const trace = TraceWriter.open(path);
  trace.write({ a: 1 });
  trace.close();
  trace.close();

  assert.equal(readFileSync(path, 'utf8'), '{"a":1}\n');
  assert.throws(() => trace.write({ a: 2 }), /TraceWriter\.write: the trace .* is closed/);
});

test('bad input is rejected with the function, the value and what was expected', (t) => {
  const trace = TraceWriter.open(join(tempDir(t), 'trace.jsonl'));
  t.after(() => trace.close());
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;

  assert.throws(() => TraceWriter.open(''), /TraceWriter\.open: path is ""; expected a non-empty file path/);
  assert.throws(() => trace.write([1, 2] as never), /TraceWriter\.write: record is an array of 2; expected a plain object/);
  assert.throws(() => trace.write(cyclic), /TraceWriter\.write: record 0 of .* cannot be encoded as JSON/);
  assert.equal(trace.lines, 0);
});

test('a process killed without close() leaves only complete lines', (t) => {
  const path = join(tempDir(t), 'trace.jsonl');
  const moduleUrl = pathToFileURL(fileURLToPath(new URL('./trace-writer.ts', import.meta.url))).href;
  const N = 500;
  const code = `
    import { TraceWriter } from ${JSON.stringify(moduleUrl)};
    const trace = TraceWriter.open(${JSON.stringify(path)});
    for (let i = 0; i < ${N}; i++) trace.write({ iter: i, x: new Float64Array(20).fill(i) });
    process.kill(process.pid, 'SIGKILL');
  `;

  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });

  assert.equal(child.signal, 'SIGKILL', child.stderr);
  const records = readTrace(path);
  assert.equal(records.length, N);
  assert.equal(records[N - 1].iter, N - 1);
});
