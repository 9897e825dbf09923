// The policy and certificate files, and `train --config`, read through the shared reader of user JSON files (issue
// 16, items 1 and 4): a device or a pipe is refused at once (run in a watched child process: before the shared
// reader, /dev/zero filled memory and a FIFO with no writer hung forever), a "__proto__" key is an unknown key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './in-process-cli';
import { EXIT } from './exit-codes';

const dir = mkdtempSync(join(tmpdir(), 'safe-control-json-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** Calls readJsonFile on each path in a child process: one JSON line per path; killed past 2 GiB or 5 minutes. */
function readInChild(paths: readonly string[]): Promise<{ results: { path: string; error?: string }[]; killed?: string }> {
  const script = `
    const { readJsonFile } = await import(${JSON.stringify(new URL('./read-json-file.ts', import.meta.url).href)});
    for (const path of JSON.parse(process.env.PATHS)) {
      try { readJsonFile(path); process.stdout.write(JSON.stringify({ path }) + '\\n'); }
      catch (err) { process.stdout.write(JSON.stringify({ path, error: err.message }) + '\\n'); }
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, PATHS: JSON.stringify(paths) }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let killed: string | undefined;
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const kill = (why: string) => {
    if (child.exitCode === null && child.signalCode === null) {
      killed ??= why;
      child.kill('SIGKILL');
    }
  };
  const watch = setInterval(() => {
    try {
      const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
      if (rss > 2 * 2 ** 30) kill('memory');
    } catch {
      // no /proc, or the child has ended
    }
  }, 100);
  const safety = setTimeout(() => kill('timeout'), 300_000);
  return new Promise((resolve) =>
    child.on('close', () => {
      clearInterval(watch);
      clearTimeout(safety);
      resolve({ results: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), ...(killed ? { killed } : {}) });
    }),
  );
}

test('a policy or certificate given as /dev/zero or as a FIFO with no writer is refused at once', { skip: existsSync('/dev/zero') ? false : 'no /dev/zero' }, async () => {
  const fifo = join(dir, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const { results, killed } = await readInChild(['/dev/zero', fifo]);
  assert.equal(killed, undefined, `the child was killed (${killed}) after ${results.length} files`);
  assert.deepEqual(results, [
    { path: '/dev/zero', error: '/dev/zero: cannot read the file (not a regular file but a character device; devices, pipes and sockets are not read, give a file)' },
    { path: fifo, error: `${fifo}: cannot read the file (not a regular file but a pipe (FIFO); devices, pipes and sockets are not read, give a file)` },
  ]);
});

test('a "__proto__" key in a policy file is refused like an unknown key', async () => {
  const policy = file('policy.json', '{"__proto__": {"format": "safe-control.policy"}}');
  const r = await cli(['simulate', '--system', 'pj', '--policy', policy]);
  assert.equal(r.code, EXIT.badInput, r.stderr);
  assert.match(r.stderr, /policy\.json: unknown key "__proto__"/);
});

test('a "__proto__" key in `train --config` is reported as an unknown key and nothing is written', async () => {
  const out = join(dir, 'out');
  const config = file('proto.json', `{"__proto__": {"system": "pj", "maxIter": 0, "out": ${JSON.stringify(out)}}}`);
  const r = await cli(['train', '--config', config]);
  assert.equal(r.code, EXIT.badInput, r.stderr);
  assert.match(r.stderr, /proto\.json: 1 problem in the configuration:\n {2}unknown key "__proto__"/);
  assert.equal(existsSync(out), false);
});
