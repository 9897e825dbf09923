// fast-check generators of command lines over a program's vocabulary (its options as `--help` lists them): the
// values of one option, one occurrence of an option, and the four kinds of cases a fuzz run draws.
import fc from 'fast-check';
import type { OptionSpec } from './help-options';

/**
 * Values no parser should trip on: empty and blank, dashes and `=`, every non-finite and signed-zero spelling,
 * overflow and underflow, hex and separators, non-ASCII digits, unicode, a right-to-left override, a NUL byte, very
 * long strings.
 */
export const EXTREME_VALUES: readonly string[] = [
  '', ' ', '\t', '--', '-', '=', '--=', 'NaN', '-0', '0', '-1', '1e308', '-1e308', '1e309', '1e-320', 'Infinity', '-Infinity',
  '0x10', '0b1', '1_000', '1,5', '1.5.2', '9007199254740993', '２', '٣', '1,2,,3', 'null', 'undefined', '{}', '[]', 'true',
  '𝔲𝔫𝔦𝔠𝔬𝔡𝔢 ñ ✓', '\u202eevil', 'a\u0000b', 'x'.repeat(5000), '9'.repeat(400), '../../..', '/',
];

/** How the values of a program's options are generated (see {@link optionValue}). */
export interface ValueRules {
  /** The files and folders path-valued options (placeholder `file`, `dir` or `path`) are given. */
  readonly paths: readonly string[];
  /** The placeholders of numeric options (`/^(n|s)$/`). */
  readonly numeric: RegExp;
  /** Whether numeric options also get comma-separated lists of integers (`1,-2,3`). Default false. */
  readonly numberLists?: boolean;
  /** Values of an option that are valid but too expensive for a time-bounded case, never generated as valid. */
  readonly expensive?: Readonly<Record<string, readonly string[]>>;
  /** The valid values of options whose help lists no choices (`--system`: `pj`, `pendulum` …), by flag. */
  readonly known?: Readonly<Record<string, readonly string[]>>;
}

/** Near misses of a valid value: upper case, a trailing space, one character short, doubled, listed, suffixed. */
function nearMisses(s: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(s.toUpperCase()),
    fc.constant(`${s} `),
    fc.constant(s.slice(0, -1)),
    fc.constant(`${s}${s}`),
    fc.constant(`${s},${s}`),
    fc.string({ maxLength: 3 }).map((t) => `${s}${t}`),
  );
}

/**
 * The generator of a value for one option: by its choices (valid, near misses, extreme values), else by the valid
 * values `rules.known` gives its flag, else by its placeholder: paths for `file`/`dir`/`path`, numbers (integers,
 * any double, short decimals) for the numeric placeholders, strings otherwise, each mixed with {@link EXTREME_VALUES}.
 */
export function optionValue(spec: OptionSpec, rules: ValueRules): fc.Arbitrary<string> {
  const extreme = fc.constantFrom(...EXTREME_VALUES);
  const cheap = (v: string) => !(rules.expensive?.[spec.flag] ?? []).includes(v);
  const fromValid = (valid: readonly string[]) =>
    fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 4 }, { arbitrary: fc.constantFrom(...valid).chain(nearMisses), weight: 2 }, { arbitrary: extreme, weight: 1 });
  if (spec.choices && spec.choices.length > 0) return fromValid(spec.choices.filter(cheap));
  const name = spec.valueName ?? '';
  if (/^(file|dir|path)$/.test(name)) {
    return fc.oneof({ arbitrary: fc.constantFrom(...rules.paths), weight: 4 }, { arbitrary: extreme, weight: 1 });
  }
  const known = rules.known?.[spec.flag];
  if (known && known.length > 0) return fromValid(known);
  if (rules.numeric.test(name)) {
    const numbers = [
      fc.integer({ min: -3, max: 40 }).map(String),
      fc.double({ noNaN: false }).map(String),
      fc.double({ min: -5, max: 5, noNaN: true }).map((x) => x.toPrecision(3)),
      ...(rules.numberLists ? [fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 4 }).map((xs) => xs.join(','))] : []),
    ];
    return fc.oneof({ arbitrary: fc.oneof(...numbers), weight: 3 }, { arbitrary: extreme, weight: 2 });
  }
  return fc.oneof({ arbitrary: fc.string({ maxLength: 12 }), weight: 2 }, { arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }), weight: 1 }, { arbitrary: extreme, weight: 2 });
}

/** One occurrence of an option on the command line: `--opt v`, `--opt=v`, the bare flag, or its short form. */
export function optionOccurrence(spec: OptionSpec, rules: ValueRules): fc.Arbitrary<readonly string[]> {
  if (spec.arity === 'none') {
    return fc.oneof(
      { arbitrary: fc.constant([spec.flag]), weight: 5 },
      { arbitrary: fc.constant(spec.short ? [spec.short] : [spec.flag]), weight: 1 },
      { arbitrary: optionValue(spec, rules).map((v) => [`${spec.flag}=${v}`]), weight: 1 },
    );
  }
  return fc.oneof(
    { arbitrary: optionValue(spec, rules).map((v) => [spec.flag, v]), weight: 6 },
    { arbitrary: optionValue(spec, rules).map((v) => [`${spec.flag}=${v}`]), weight: 2 },
    { arbitrary: fc.constant([spec.flag]), weight: 1 },
  );
}

/** The kinds of generated command lines (a fuzz run's summary counts cases per kind). */
export type CaseKind = 'random-tokens' | 'option-values' | 'mutated-valid' | 'unknown-command';

/** A generated case: the argv and the kind it came from. */
export interface FuzzCase {
  /** The kind of case it was drawn as. */
  readonly kind: CaseKind;
  /** The command line, without the program name (and without the cheap prefix a run puts after the command). */
  readonly argv: readonly string[];
}

/** What {@link caseArbitrary} draws from: a program's options, valid command lines and tokens. */
export interface CaseSpace {
  /** The options of a command that cases may use (the help and options that wait by design left out). */
  readonly optionsOf: (command: string) => readonly OptionSpec[];
  /** How option values are generated. */
  readonly rules: ValueRules;
  /** Valid command lines (command first): the starting points of `option-values` and `mutated-valid`. */
  readonly validRuns: fc.Arbitrary<readonly string[]>;
  /** The first token of a `random-tokens` case, repeated to weight it (`''`: none). */
  readonly heads: readonly string[];
  /** The single tokens a `random-tokens` case is made of after its head. */
  readonly tokens: fc.Arbitrary<string>;
  /** The program's commands: an `unknown-command` case never draws one. */
  readonly commands: readonly string[];
  /** Near misses of the commands (`Run`, `rn`, …) that `unknown-command` draws besides random strings. */
  readonly unknownCommands: readonly string[];
  /** The command whose options follow an unknown command. */
  readonly unknownCommandOptionsOf: string;
}

/**
 * The tokens of `random-tokens` cases: an option's flag, an extreme value, a short string, a command, a path or
 * one of `words` (valid option values).
 */
export function tokenArbitrary(flags: readonly string[], commands: readonly string[], paths: readonly string[], words: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...flags),
    fc.constantFrom(...EXTREME_VALUES),
    fc.string({ maxLength: 10 }),
    fc.constantFrom(...commands),
    fc.constantFrom(...paths),
    fc.constantFrom(...words),
  );
}

/**
 * A valid command line with one field mutated (`how`, drawn by the caller): 0 the value of the option at `i`
 * replaced by `value`, 1 that value dropped, 2 `extra` (another option) appended, 3 the flag misspelled, 4 the
 * `--opt=value` form, otherwise an end-of-options marker `--` before the field.
 */
export function mutateField(base: readonly string[], i: number, value: string, extra: readonly string[], how: number): string[] {
  const argv = [...base];
  const hasValue = i + 1 < argv.length && !argv[i + 1].startsWith('--');
  switch (how) {
    case 0:
      if (hasValue) argv[i + 1] = value;
      else argv.splice(i + 1, 0, value);
      break;
    case 1:
      if (hasValue) argv.splice(i + 1, 1);
      else argv.splice(i, 1);
      break;
    case 2:
      argv.push(...extra);
      break;
    case 3:
      argv[i] = `${argv[i].slice(0, -1)}${argv[i].endsWith('x') ? 'y' : 'x'}`;
      break;
    case 4:
      argv.splice(i, hasValue ? 2 : 1, `${argv[i]}=${value}`);
      break;
    default:
      argv.splice(i, 0, '--');
  }
  return argv;
}

/**
 * Arbitrary cases of one kind over a program's {@link CaseSpace}: `random-tokens` (a head, then up to 8 tokens),
 * `option-values` (a valid command line or its bare command, then 1–3 real options with generated values),
 * `mutated-valid` (a valid command line with one option's field mutated by {@link mutateField}), `unknown-command`
 * (a string that is no command, then up to 2 options).
 */
export function caseArbitrary(kind: CaseKind, space: CaseSpace): fc.Arbitrary<FuzzCase> {
  const anyOption = (command: string) => fc.constantFrom(...space.optionsOf(command)).chain((o) => optionOccurrence(o, space.rules));
  switch (kind) {
    case 'random-tokens':
      return fc
        .tuple(fc.constantFrom(...space.heads), fc.array(space.tokens, { maxLength: 8 }))
        .map(([head, rest]) => ({ kind, argv: head === '' ? rest : [head, ...rest] }));
    case 'option-values':
      return fc
        .tuple(space.validRuns, fc.boolean())
        .chain(([base, keep]) => fc.tuple(fc.constant(keep ? base : [base[0]]), fc.array(anyOption(base[0]), { minLength: 1, maxLength: 3 })))
        .map(([base, occ]) => ({ kind, argv: [...base, ...occ.flat()] }));
    case 'mutated-valid':
      return fc
        .tuple(space.validRuns, fc.nat())
        .chain(([base, at]) => {
          // the field: one option of the valid command line, its value drawn from that option's generator
          const flags = base.map((t, i) => (t.startsWith('--') ? i : -1)).filter((i) => i >= 0);
          const i = flags[at % flags.length];
          const spec = space.optionsOf(base[0]).find((o) => o.flag === base[i]) ?? { flag: base[i], arity: 'required' as const };
          const how = fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, { arbitrary: fc.nat({ max: 5 }), weight: 3 });
          return fc.tuple(fc.constant(base), fc.constant(i), optionValue(spec, space.rules), anyOption(base[0]), how);
        })
        .map(([base, i, value, extra, how]) => ({ kind, argv: mutateField(base, i, value, extra, how) }));
    case 'unknown-command':
      return fc
        .tuple(fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom(...space.unknownCommands)), fc.array(anyOption(space.unknownCommandOptionsOf), { maxLength: 2 }))
        .filter(([name]) => !space.commands.includes(name) && !name.startsWith('-'))
        .map(([name, occ]) => ({ kind, argv: [name, ...occ.flat()] }));
  }
}
