// @bilevel/io/testing: the argv fuzzer of a command-line program run in process, shared by the specs of both
// programs (`bilevel`, `safe-control`). The generic half lives here: the vocabulary read from the program's `--help`,
// fast-check generators of command lines by kind, the checks of one case (a documented exit code, one error line
// naming what was wrong, nothing written on bad input, a bound on CPU time, no uncaught error) and the tally; each
// program's specs give their own valid command lines, value rules, cheap options and fixtures. Loads fast-check
// (an optional peer of this package).
export type { OptionSpec } from './testing/help-options';
export { parseHelpCommands, parseHelpOptions } from './testing/help-options';
export type { CliOutput, CliUnderTest } from './testing/cli-under-test';
export type { Vocabulary } from './testing/read-vocabulary';
export { readVocabulary } from './testing/read-vocabulary';
export type { CaseKind, CaseSpace, FuzzCase, ValueRules } from './testing/argv-arbitraries';
export { caseArbitrary, EXTREME_VALUES, mutateField, optionOccurrence, optionValue, tokenArbitrary } from './testing/argv-arbitraries';
export type { CaseResult } from './testing/run-case';
export { runCase } from './testing/run-case';
export { keepOnlyTrap, withUncaughtTrap } from './testing/uncaught-trap';
export type { KnownIssue, Tally } from './testing/tally';
export { emptyTally, formatTally, record } from './testing/tally';
export type { FuzzCliOptions } from './testing/fuzz-cli';
export { fuzzCli } from './testing/fuzz-cli';
export type { FixtureFolder } from './testing/fixture-folder';
export { fixtureFolder, GARBAGE_BYTES } from './testing/fixture-folder';
