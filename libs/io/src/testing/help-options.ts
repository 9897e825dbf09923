// The vocabulary of a commander program, read from its own `--help`: the options of a command and the commands.

/** One option as `--help` lists it. */
export interface OptionSpec {
  /** Long name with its dashes: `--max-iter`. */
  readonly flag: string;
  /** Short alias (`-h`), if any. */
  readonly short?: string;
  /** Whether it takes a value: `<v>` required, `[v]` optional, none for a switch. */
  readonly arity: 'none' | 'required' | 'optional';
  /** The placeholder of the value (`n`, `file`, `name` …): it picks the value generator. */
  readonly valueName?: string;
  /** `(choices: …)` of the help text. */
  readonly choices?: readonly string[];
}

/**
 * The options of a commander `--help` text (one entry per option, continuation lines folded in).
 *
 * @example parseHelpOptions('Options:\n  --max-iter <n>  iterations\n') // [{ flag: '--max-iter', arity: 'required', valueName: 'n' }]
 */
export function parseHelpOptions(help: string): OptionSpec[] {
  const section = help.split(/\nOptions:\n/)[1]?.split(/\n(?:Commands|Arguments):\n/)[0] ?? '';
  const entries: string[] = [];
  for (const line of section.split('\n')) {
    if (/^ {2}-/.test(line)) entries.push(line);
    else if (entries.length > 0) entries[entries.length - 1] += ` ${line.trim()}`;
  }
  const specs: OptionSpec[] = [];
  for (const entry of entries) {
    const m = /^ {2}(?:(-[A-Za-z]), )?(--[\w-]+)(?: ([<[])([\w.-]+)[>\]])?/.exec(entry);
    if (!m) continue;
    const choices = /\(choices: ((?:"[^"]*"(?:, ?)?)+)/.exec(entry)?.[1].match(/"([^"]*)"/g)?.map((s) => s.slice(1, -1));
    specs.push({
      flag: m[2],
      ...(m[1] ? { short: m[1] } : {}),
      arity: m[3] === '<' ? 'required' : m[3] === '[' ? 'optional' : 'none',
      ...(m[4] ? { valueName: m[4] } : {}),
      ...(choices ? { choices } : {}),
    });
  }
  return specs;
}

/** The command names of a commander `--help` text (`help` included). */
export function parseHelpCommands(help: string): string[] {
  // the section ends at the first blank line (a program's help may go on with "Exit codes:" and others)
  const section = (help.split(/\nCommands:\n/)[1] ?? '').split(/\n\s*\n/)[0];
  return section
    .split('\n')
    .map((line) => /^ {2}([\w-]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}
