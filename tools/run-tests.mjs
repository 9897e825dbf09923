#!/usr/bin/env node
// Runs node's built-in test runner over every `*.spec.ts` (or, with --slow, `*.slow.ts`) file below the given
// folders, through tsx. Node 20's runner cannot glob TypeScript files itself, hence this small finder.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const slow = args.includes('--slow');
const roots = args.filter((a) => !a.startsWith('--'));
const suffix = slow ? '.slow.ts' : '.spec.ts';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(suffix)) out.push(path);
  }
  return out;
}

const files = roots.flatMap((r) => walk(r, [])).sort();
if (files.length === 0) {
  console.log(`no ${suffix} files under ${roots.join(', ')}`);
  process.exit(0);
}
const reporter = process.env.TEST_REPORTER ?? 'spec';
// tsx maps the @bilevel/* imports to the sources (the packages' `exports` lead to the compiled dist/) through the
// `paths` of the root tsconfig.json, named here for the tests and every process they start (as bin/*.mjs do)
const env = { ...process.env, TSX_TSCONFIG_PATH: process.env.TSX_TSCONFIG_PATH ?? fileURLToPath(new URL('../tsconfig.json', import.meta.url)) };
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-reporter=${reporter}`, ...files.map((f) => relative(process.cwd(), f))],
  { stdio: 'inherit', env },
);
process.exit(result.status ?? 1);
