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

/** Runs `code` (an ES module) in a child node whose files may not grow beyond `kib` KiB (RLIMIT_FSIZE: EFBIG). */
function withFileSizeLimit(kib: number, code: string) {
  return spawnSync('bash', ['-c', `ulimit -f ${kib} && exec "$0" --import tsx --input-type=module -e "$1"`, process.execPath, code], { encoding: 'utf8' });
}

test('a line that cannot be written whole is not written at all: the file is cut back and the writer goes on', (t) => {
  // RLIMIT_FSIZE of 1 KiB: the third 400-byte line is cut after 224 bytes, then write() fails with EFBIG
  const path = join(tempDir(t), 'trace.jsonl');
  const moduleUrl = pathToFileURL(fileURLToPath(new URL('./trace-writer.ts', import.meta.url))).href;
  const code = `
    import { TraceWriter } from ${JSON.stringify(moduleUrl)};
    const trace = TraceWriter.open(${JSON.stringify(path)});
    const out = [];
    for (let i = 0; i < 4; i++) {
      try {
        trace.write({ iter: i, pad: 'x'.repeat(400 - 20) });
        out.push('ok');
      } catch (err) {
        out.push(err.name + ' ' + err.code + ' ' + err.path + ' | ' + err.message);
      }
    }
    out.push(trace.bytes, trace.lines);
    trace.close();
    console.log(JSON.stringify(out));
  `;

  const child = withFileSizeLimit(1, code);

  assert.equal(child.status, 0, child.stderr);
  const out = JSON.parse(child.stdout) as (string | number)[];
  assert.deepEqual(out.slice(0, 2), ['ok', 'ok']);
  assert.match(String(out[2]), new RegExp(`^WriteError EFBIG ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\| TraceWriter\\.write: could not write record 2 to .*trace\\.jsonl \\(EFBIG: file too large, write\\); the trace ends after its last whole line$`));
  assert.match(String(out[3]), /^WriteError EFBIG/);
  assert.deepEqual(out.slice(4), [800, 2]);
  const text = readFileSync(path, 'utf8');
  assert.equal(text.length, 800, 'cut back to the last whole line');
  assert.ok(text.endsWith('}\n'));
  assert.deepEqual(readTrace(path).map((r) => r.iter), [0, 1]);
});

test('a full device (/dev/full): WriteError with ENOSPC, the writer keeps its counts', () => {
  const trace = TraceWriter.open('/dev/full');
  try {
    assert.throws(
      () => trace.write({ iter: 0 }),
      (err: Error & { code?: string; path?: string }) => err.name === 'WriteError' && err.code === 'ENOSPC' && err.path === '/dev/full' && /could not write record 0 to \/dev\/full \(ENOSPC/.test(err.message),
    );
    assert.equal(trace.bytes, 0);
    assert.equal(trace.lines, 0);
  } finally {
    trace.close();
  }
});

test('resume cuts a partial last line (a line without its newline) inside the saved position, and says so', (t) => {
  const path = join(tempDir(t), 'trace.jsonl');
  // what an old writer left after a short write followed by a whole one: the saved position ends mid-line
  const whole = '{"iter":0}\n{"iter":1}\n';
  writeFileSync(path, `${whole}{"iter":2,"x":[1,2{"iter":2,"x":[1,2,3]}\n`);
  const position = { bytes: whole.length + 18, lines: 3 };

  const trace = TraceWriter.resume(path, position);
  trace.write({ iter: 3 });
  trace.close();

  assert.equal(trace.droppedBytes, 18);
  assert.equal(trace.lines, 3, 'two whole lines kept, one written');
  assert.equal(readFileSync(path, 'utf8'), `${whole}{"iter":3}\n`);
});
