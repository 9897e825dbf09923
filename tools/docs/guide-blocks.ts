// Extracts the fenced code blocks of the README and of the Markdown guides in docs/, for the test that runs every one
// of them.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What the runner does with a block, from its info string (the words after the opening fence). */
export type BlockKind = 'ts' | 'sh' | 'json' | 'skip' | 'text';

/** One fenced block of a guide. */
export interface GuideBlock {
  /** The file's path from the repository's root: `README.md`, `docs/problems.md`. */
  readonly guide: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly info: string;
  readonly kind: BlockKind;
  readonly code: string;
}

/**
 * The kind of a block from its info string: `ts` and `typescript` blocks run as programs, `sh` (or `bash`) blocks as
 * shell scripts, `json` blocks are parsed; `sh no-run` (any language followed by `no-run`) is shown only, and so is a
 * block with no language or with `text`/`math` (formulas, output). Any other language is refused, so that no block is
 * left out by a typo.
 */
export function blockKind(info: string, where: string): BlockKind {
  const [lang = '', ...flags] = info.trim().split(/\s+/);
  if (flags.includes('no-run')) return 'skip';
  if (lang === 'ts' || lang === 'typescript') return 'ts';
  if (lang === 'sh' || lang === 'bash') return 'sh';
  if (lang === 'json') return 'json';
  if (lang === '' || lang === 'text' || lang === 'math') return 'text';
  throw new Error(`${where}: code block language "${lang}" is not one the guide test knows (ts, sh, json, text; add "no-run" to show only)`);
}

/** The fenced blocks of one Markdown text (``` fences; an unclosed fence is an error naming its line). */
export function extractBlocks(guide: string, markdown: string): GuideBlock[] {
  const lines = markdown.split('\n');
  const blocks: GuideBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '');
    if (i >= lines.length) throw new Error(`${guide}:${start + 1}: code block is not closed`);
    const info = open[1] ?? '';
    blocks.push({ guide, line: start + 1, info, kind: blockKind(info, `${guide}:${start + 1}`), code: body.join('\n') + '\n' });
  }
  return blocks;
}

/** The guides: every `*.md` file directly in `docsDir` (docs/api and docs/benchmark are generated, not guides). */
export function guideFiles(docsDir: string): string[] {
  return readdirSync(docsDir)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(docsDir, name));
}

/** The documents a user reads, whose blocks run and whose links must resolve: the README, then the guides in docs/. */
export function documentFiles(root: string): string[] {
  return [join(root, 'README.md'), ...guideFiles(join(root, 'docs'))];
}

/** Every block of the README and of every guide, each named by its file's path from `root`. */
export function guideBlocks(root: string): GuideBlock[] {
  return documentFiles(root).flatMap((path) => extractBlocks(relative(root, path), readFileSync(path, 'utf8')));
}

/**
 * The anchors of a Markdown text's headings as GitHub makes them (`## The grid file` → `the-grid-file`): lower case,
 * every character that is not a letter, digit, space, `-` or `_` dropped, spaces made `-`; a repeated anchor gets
 * `-1`, `-2`… Headings inside fenced code blocks are not headings.
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = (heading[1] ?? '').toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    let anchor = base;
    for (let k = 1; anchors.has(anchor); k++) anchor = `${base}-${k}`;
    anchors.add(anchor);
  }
  return anchors;
}
