import type { CliUnderTest } from './cli-under-test';
import type { OptionSpec } from './help-options';
import { parseHelpCommands, parseHelpOptions } from './help-options';

/** What the fuzzer knows about a program, read from its help: its commands, and the options of the commands read. */
export interface Vocabulary {
  /** The commands `PROGRAM --help` lists (`help` included). */
  readonly commands: readonly string[];
  /** The options `PROGRAM COMMAND --help` lists, for each command read. */
  readonly options: Readonly<Record<string, readonly OptionSpec[]>>;
}

/**
 * Reads the commands from `PROGRAM --help` and the options of each command `which` picks from them (default: every
 * command but `help`) from `PROGRAM COMMAND --help`, so that options added later are fuzzed without editing the
 * fuzzer. Throws when a help exits with another code than the program's `ok`.
 *
 * @example readVocabulary(bilevel, () => ['run'])
 */
export async function readVocabulary(cli: CliUnderTest, which: (commands: readonly string[]) => readonly string[] = (c) => c.filter((name) => name !== 'help')): Promise<Vocabulary> {
  const top = await cli.run(['--help']);
  if (top.code !== cli.ok) throw new Error(`readVocabulary: ${cli.name} --help exited ${top.code}`);
  const commands = parseHelpCommands(top.stdout);
  const options: Record<string, OptionSpec[]> = {};
  for (const c of which(commands)) {
    const r = await cli.run([c, '--help']);
    if (r.code !== cli.ok) throw new Error(`readVocabulary: ${cli.name} ${c} --help exited ${r.code}`);
    options[c] = parseHelpOptions(r.stdout);
  }
  return { commands, options };
}
