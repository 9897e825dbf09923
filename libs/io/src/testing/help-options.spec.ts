// The vocabulary read from a commander help text: options with their short forms, placeholders, choices and
// continuation lines; commands up to the blank line that ends their section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHelpCommands, parseHelpOptions } from './help-options';

const HELP = `Usage: prog run [options]

Run a solver.

Options:
  --max-iter <n>            iterations (default: 100)
  -j, --json                print JSON
  --reference <mode>        reference solve (choices: "auto", "on", "off",
                            default: "auto")
  --out [dir]               output folder
  --label <name>            label column
                            of a CSV file
  -h, --help                display help for command
`;

const TOP = `Usage: prog [options] [command]

Options:
  -V, --version   output the version number
  -h, --help      display help for command

Commands:
  run [options]   run a solver
  sweep <grid>    run a grid
  help [command]  display help for command

Exit codes: 0 done; 2 bad input
  3 diverged
`;

test('the options of a help text: flag, short form, arity, placeholder and choices (continued on the next line)', () => {
  assert.deepEqual(parseHelpOptions(HELP), [
    { flag: '--max-iter', arity: 'required', valueName: 'n' },
    { flag: '--json', short: '-j', arity: 'none' },
    { flag: '--reference', arity: 'required', valueName: 'mode', choices: ['auto', 'on', 'off'] },
    { flag: '--out', arity: 'optional', valueName: 'dir' },
    { flag: '--label', arity: 'required', valueName: 'name' },
    { flag: '--help', short: '-h', arity: 'none' },
  ]);
  assert.deepEqual(parseHelpOptions('Usage: prog\n'), []);
});

test('the commands of a help text, and nothing of the sections after them', () => {
  assert.deepEqual(parseHelpCommands(TOP), ['run', 'sweep', 'help']);
  assert.deepEqual(parseHelpCommands(HELP), []);
});
