// The README stays short (what the toolkit is, the two commands, one example, links: the rest lives in docs/), and its
// test command is the one CI runs: .ci/run installs and then runs "the README's test command", written out there, so
// the two must not drift apart. (Its example runs, and its links resolve, in guides.spec.ts.)
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { extractBlocks } from './guide-blocks';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
/** Lines of README.md at most: a README that grows past this has content that belongs in a guide. */
const README_MAX_LINES = 80;
/** Lines of the README's TypeScript example at most (blank lines not counted). */
const EXAMPLE_MAX_LINES = 16;

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The commands of the first code block under the README's "## The two commands" heading, comments removed. */
function twoCommands(): string[] {
  const start = readme.indexOf('\n## The two commands');
  assert.ok(start >= 0, 'README.md has a "## The two commands" section');
  const block = extractBlocks('README.md', readme.slice(start))[0];
  assert.ok(block, 'the section holds a code block');
  return block.code
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** The npm commands .ci/run executes, in order. */
function ciCommands(): string[] {
  return readFileSync(join(ROOT, '.ci', 'run'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^npm (install|ci|test|run)\b/.test(l));
}

test('the README names two commands, install then test, and .ci/run runs the same two (install flags aside)', () => {
  const [install, testCommand, ...rest] = twoCommands();
  assert.deepEqual(rest, [], 'two commands');
  assert.equal(install, 'npm install');
  const ci = ciCommands();
  assert.equal(ci.length, 2, `.ci/run runs two npm commands: ${ci.join('; ')}`);
  assert.ok(ci[0]?.startsWith(`${install} `) || ci[0] === install, `.ci/run installs with "${install}" (it runs "${ci[0]}")`);
  assert.equal(ci[1], testCommand, "the README's test command is the one CI runs");
});

test(`the README stays short: at most ${README_MAX_LINES} lines, one TypeScript example of at most ${EXAMPLE_MAX_LINES} lines`, () => {
  const lines = readme.split('\n').length;
  assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines: move sections into the guides in docs/`);
  const examples = extractBlocks('README.md', readme).filter((b) => b.kind === 'ts');
  assert.equal(examples.length, 1, 'one example');
  const exampleLines = examples[0]!.code.split('\n').filter((l) => l.trim() !== '').length;
  assert.ok(exampleLines <= EXAMPLE_MAX_LINES, `the example has ${exampleLines} lines`);
  assert.match(examples[0]!.code, /from '@bilevel\/toolkit'/, 'the example imports the front door');
});

test('every guide in docs/ is linked from the README and from the guides\' index, docs/README.md', () => {
  const index = readFileSync(join(ROOT, 'docs', 'README.md'), 'utf8');
  const guides = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  assert.deepEqual(guides.filter((g) => !readme.includes(`](docs/${g}`)), [], 'guides the README does not link');
  assert.deepEqual(guides.filter((g) => !index.includes(`](${g}`)), [], 'guides docs/README.md does not link');
});
