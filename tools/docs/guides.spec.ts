// Every code block of the README and of the guides in docs/ runs: `ts` blocks as programs through tsx (importing the workspace packages
// as a user's code does, `@bilevel/...`), `sh` blocks through bash, `json` blocks are parsed. A block that throws, exits
// non-zero or fails its own assertions fails its test, named by guide and line. A TypeScript block runs from the
// repository's root (its paths are a clone's) from a file in a scratch folder outside the repository whose
// node_modules is the workspace's; a shell block runs in a folder of its own there, so that what it writes goes away.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { blockKind, documentFiles, extractBlocks, guideBlocks, headingAnchors } from './guide-blocks';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
/** Safety net only: a block normally ends in seconds; a hung one is killed (with its process group) after this. */
const BLOCK_TIMEOUT_MS = 180_000;

const scratch = mkdtempSync(join(tmpdir(), 'bilevel-guides-'));
symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'), 'dir');
writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'guide-blocks', private: true, type: 'module' }));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/** Runs a command in its own process group, which is killed whatever happens (timeout included). */
function runProcess(command: string, args: string[], cwd: string): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // tsx maps @bilevel/* to the workspace's sources through the root tsconfig's paths, from any folder
      env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'), FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(killGroup, BLOCK_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(); // anything the block started in the background
      done({ code, signal, output });
    });
  });
}

describe('guide code blocks', () => {
  it('are recognised by their info string, and an unknown language is refused', () => {
    const blocks = extractBlocks('g.md', '# t\n```ts\nconst a = 1;\n```\n```sh no-run\nnpm run bench\n```\n```\nh(x)\n```\n');
    assert.deepEqual(
      blocks.map((b) => [b.line, b.kind, b.code]),
      [
        [2, 'ts', 'const a = 1;\n'],
        [5, 'skip', 'npm run bench\n'],
        [8, 'text', 'h(x)\n'],
      ],
    );
    assert.throws(() => blockKind('tsx', 'g.md:3'), /g\.md:3: code block language "tsx"/);
    assert.throws(() => extractBlocks('g.md', '```ts\nx\n'), /g\.md:1: code block is not closed/);
  });
});

// GUIDES=problems.md,README.md runs the blocks of those files only (while writing them); the full suite runs all
const only = process.env.GUIDES?.split(',').filter((g) => g !== '');
const blocks = guideBlocks(ROOT).filter((b) => !only || only.includes(b.guide) || only.includes(basename(b.guide)));

describe('the README and the guides', { concurrency: 2 }, () => {
  it('link to files that exist, and to headings that exist in Markdown files', () => {
    const broken: string[] = [];
    for (const path of documentFiles(ROOT)) {
      const text = readFileSync(path, 'utf8');
      for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [file = '', anchor] = target.split('#');
        const resolved = file === '' ? path : resolve(dirname(path), file);
        if (!existsSync(resolved)) broken.push(`${relative(ROOT, path)}: ${target}`);
        else if (anchor !== undefined && resolved.endsWith('.md') && !headingAnchors(readFileSync(resolved, 'utf8')).has(anchor)) {
          broken.push(`${relative(ROOT, path)}: ${target} (no such heading)`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });
  it('know the anchors GitHub gives headings', () => {
    const anchors = headingAnchors('# The `bilevel` program\n## Tests, benchmarks\n```sh\n# not a heading\n```\n## Options\n## Options\n');
    assert.deepEqual([...anchors], ['the-bilevel-program', 'tests-benchmarks', 'options', 'options-1']);
  });
  it('include the README, whose example runs', () => {
    assert.ok(only || blocks.some((b) => b.guide === 'README.md' && b.kind === 'ts'), 'the README has a TypeScript example');
  });
  it('exist and hold code', () => {
    assert.ok(only || blocks.filter((b) => b.kind === 'ts').length >= 9, 'at least one TypeScript block per guide');
  });
  for (const block of blocks) {
    if (block.kind === 'skip' || block.kind === 'text') continue;
    const name = `${block.guide}:${block.line} (${block.info.trim()})`;
    it(name, async () => {
      if (block.kind === 'json') {
        assert.doesNotThrow(() => JSON.parse(block.code), `${name} is not valid JSON`);
        return;
      }
      const dir = join(scratch, `${block.guide.replace(/\.md$/, '').replaceAll('/', '-')}-${block.line}`);
      mkdirSync(dir);
      let outcome: Outcome;
      if (block.kind === 'ts') {
        const file = join(dir, 'block.ts');
        writeFileSync(file, block.code);
        outcome = await runProcess(process.execPath, ['--import', 'tsx', file], ROOT); // paths as from a clone's root
      } else {
        outcome = await runProcess('bash', ['-e', '-o', 'pipefail', '-c', block.code], dir);
      }
      assert.equal(outcome.code, 0, `${name} exited with ${outcome.code ?? outcome.signal}:\n${outcome.output}`);
    });
  }
});
