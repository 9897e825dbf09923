// Test support for the loaders' fuzz specs (not exported from the package): structural mutations of text files.
import fc from 'fast-check';

/** Tokens that break naive number and index parsing. */
export const hostileToken: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '', ' ', '0', '-0', '+0', '1', '-1', '2', '0.5', '.', '+', '-', 'e5', '1e', '1e309', '-1e309', '1e-400', 'NaN', 'nan', 'Infinity', '-Infinity',
    'inf', '0x1F', '0b1', '1_000', '9007199254740993', '4294967296', '2147483648', '67108865', '1e21', ':', '::', '1:', ':1', '1:2:3', '0:1',
    '-3:1', 'qid:1', '#', ',', ',,', '\t', '\r', '\u0000', '\uFFFD', '１', '💥', '"1"',
  ),
  fc.integer({ min: -5, max: 1_000 }).map(String),
  fc.double({ noNaN: true }).map(String),
  fc.string({ maxLength: 8 }),
);

/** One edit of a text, on the lines from `firstLine` on (so a header can be kept). */
export type TextMutation =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'delete-line' | 'duplicate-line'; readonly line: number }
  | { readonly kind: 'swap-lines'; readonly line: number; readonly other: number }
  | { readonly kind: 'insert-line'; readonly line: number; readonly text: string }
  | { readonly kind: 'replace-token'; readonly line: number; readonly token: number; readonly text: string }
  | { readonly kind: 'insert-char' | 'replace-char'; readonly line: number; readonly at: number; readonly text: string }
  | { readonly kind: 'delete-char'; readonly line: number; readonly at: number };

const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: frac }),
  fc.record({ kind: fc.constantFrom('delete-line' as const, 'duplicate-line' as const), line: frac }),
  fc.record({ kind: fc.constant('swap-lines' as const), line: frac, other: frac }),
  fc.record({ kind: fc.constant('insert-line' as const), line: frac, text: fc.oneof(fc.string({ maxLength: 40 }), fc.array(hostileToken, { maxLength: 6 }).map((t) => t.join(' '))) }),
  fc.record({ kind: fc.constant('replace-token' as const), line: frac, token: frac, text: hostileToken }),
  fc.record({ kind: fc.constantFrom('insert-char' as const, 'replace-char' as const), line: frac, at: frac, text: fc.string({ minLength: 1, maxLength: 2 }) }),
  fc.record({ kind: fc.constant('delete-char' as const), line: frac, at: frac }),
);

/** Zero to five edits (zero keeps valid inputs in the mix). */
export const textMutations: fc.Arbitrary<TextMutation[]> = fc.array(textMutation, { maxLength: 5 });

/**
 * Applies the edits to the lines `firstLine…` of `text` (lines split on `\n`; tokens split on spaces, commas and
 * colons, keeping the separators). A truncation cuts the text at a point after the kept lines.
 */
export function applyTextMutations(text: string, mutations: readonly TextMutation[], firstLine = 0): string {
  const lines = text.split('\n');
  const pick = (f: number): number => firstLine + Math.floor(f * Math.max(0, lines.length - firstLine));
  for (const m of mutations) {
    if (m.kind === 'truncate') {
      const keep = lines.slice(0, firstLine).join('\n').length;
      const all = lines.join('\n');
      const cut = keep + Math.floor(m.at * (all.length - keep + 1));
      lines.splice(0, lines.length, ...all.slice(0, cut).split('\n'));
      continue;
    }
    const i = pick(m.line);
    if (i >= lines.length && m.kind !== 'insert-line') continue;
    switch (m.kind) {
      case 'delete-line':
        lines.splice(i, 1);
        break;
      case 'duplicate-line':
        lines.splice(i, 0, lines[i]);
        break;
      case 'swap-lines': {
        const j = pick(m.other);
        if (j < lines.length) [lines[i], lines[j]] = [lines[j], lines[i]];
        break;
      }
      case 'insert-line':
        lines.splice(i, 0, m.text);
        break;
      case 'replace-token': {
        const parts = lines[i].split(/([ ,:\t])/);
        const k = 2 * Math.floor(m.token * Math.ceil(parts.length / 2));
        if (k < parts.length) parts[k] = m.text;
        lines[i] = parts.join('');
        break;
      }
      case 'insert-char':
      case 'replace-char':
      case 'delete-char': {
        const s = lines[i];
        const at = Math.floor(m.at * (s.length + (m.kind === 'insert-char' ? 1 : 0)));
        const tail = m.kind === 'insert-char' ? s.slice(at) : s.slice(at + 1);
        lines[i] = s.slice(0, at) + (m.kind === 'delete-char' ? '' : m.text) + tail;
        break;
      }
    }
  }
  return lines.join('\n');
}
