// What a new user trips on first (issue 20, item 7): --version, each default stated once in --help, and file-system
// errors said in words rather than as raw system codes (ENOENT, EISDIR, ENOTDIR).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cli } from './in-process-cli';
import { EXIT } from './exit-codes';

const tmp = () => mkdtempSync(join(tmpdir(), 'safe-control-newcomer-'));
/** A system error code as Node names it (ENOENT, EISDIR, ENOTDIR, EACCES…). */
const RAW_CODE = /\bE[A-Z]{3,}\b/;

test('--version prints the package version and exits 0', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const r = await cli(['--version']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.equal(r.stdout.trim(), pkg.version);
});

for (const command of ['train', 'verify', 'simulate']) {
  test(`${command} --help states each default once`, async () => {
    const r = await cli([command, '--help']);
    assert.equal(r.code, EXIT.ok, r.stderr);
    const help = r.stdout.replace(/\s+/g, ' ');
    // an option whose description ends in "[200]" and that commander also follows with "(default: 200)"
    const twice = [...help.matchAll(/\[([^\]]+)\] \(default: "?([^)"]+)"?\)/g)].filter((m) => m[1]!.replace(/,/g, '') === m[2]);
    assert.deepEqual(twice.map((m) => m[0]), []);
  });
}

test('train --resume of a file, not a folder: a sentence, not a system code', async () => {
  const file = join(tmp(), 'not-a-run');
  writeFileSync(file, 'x');
  const r = await cli(['train', '--resume', file]);
  assert.equal(r.code, EXIT.badInput);
  assert.match(r.stderr, /not a folder/);
  assert.doesNotMatch(r.stderr, RAW_CODE);
});

test('train --out below a file: the reason in words, not ENOTDIR', async () => {
  const file = join(tmp(), 'a-file');
  writeFileSync(file, 'x');
  const r = await cli(['train', '--system', 'pj', '--max-iter', '1', '--out', join(file, 'sub')]);
  assert.equal(r.code, EXIT.badInput);
  assert.match(r.stderr, /not a folder/);
  assert.doesNotMatch(r.stderr, RAW_CODE);
});

for (const [what, make] of [
  ['missing', (dir: string) => join(dir, 'none.json')],
  ['a folder', (dir: string) => dir],
] as const) {
  test(`verify --policy ${what}: the reason in words, not a system code`, async () => {
    const path = make(tmp());
    const r = await cli(['verify', '--system', 'pj', '--policy', path, '--certificate', path]);
    assert.equal(r.code, EXIT.badInput);
    assert.match(r.stderr, /cannot read the file \((no such file|a folder)\)/);
    assert.doesNotMatch(r.stderr, RAW_CODE);
  });
}

test('safe-control --help loads neither HiGHS nor vega (they load with the commands that use them)', () => {
  const hook = `export async function resolve(s, c, next) { const r = await next(s, c); const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url); if (m) process.stderr.write('@@load ' + m[1] + '\\n'); return r; }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  const bin = fileURLToPath(new URL('../bin/safe-control.mjs', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, bin, '--help'], { encoding: 'utf8', timeout: 120_000 });
  const loaded = new Set([...r.stderr.matchAll(/^@@load (.+)$/gm)].map((m) => m[1]!));
  assert.equal(r.status, EXIT.ok, r.stderr);
  assert.ok(loaded.has('commander'), 'the hook sees the packages loaded');
  assert.deepEqual(['highs', 'vega', 'vega-lite', '@tensorflow/tfjs'].filter((p) => loaded.has(p)), []);
});
