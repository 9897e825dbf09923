import { Rng } from '@bilevel/linalg';
import { InputError } from '@bilevel/io';
import type { FewShotDataset } from './few-shot-dataset';
import { selectClasses } from './few-shot-dataset';

/** Options of {@link splitByAlphabet}. */
export interface SplitByAlphabetOptions {
  /**
   * The meta-test alphabets: their names, or how many to draw. Default 2. A number n draws n alphabets
   * deterministically: the first n of a permutation (seeded by `seed`) of the alphabet names sorted.
   */
  readonly testAlphabets?: readonly string[] | number;
  /** Seed of the draw when `testAlphabets` is a number. Default 0. */
  readonly seed?: number;
}

/** The two sides of {@link splitByAlphabet}, and the alphabets of each. */
export interface AlphabetSplit {
  readonly train: FewShotDataset;
  readonly test: FewShotDataset;
  readonly trainAlphabets: readonly string[];
  readonly testAlphabets: readonly string[];
}

/**
 * Splits a data set into meta-training and meta-test classes by alphabet, so that the meta-learner never sees a
 * character of a meta-test alphabet (Lake et al. 2015's background/evaluation split is by alphabet too). With the
 * defaults and the 8 alphabets of the two minimal Omniglot splits, 2 alphabets are held out. Each side is a compact
 * copy ({@link selectClasses}); classes keep their order.
 *
 * Errors ({@link InputError}): an unknown or repeated alphabet name, no test alphabet, or no alphabet left to train on.
 *
 * @example splitByAlphabet(bundledOmniglot()).testAlphabets // two of the eight, the same every time
 */
export function splitByAlphabet(ds: FewShotDataset, options: SplitByAlphabetOptions = {}): AlphabetSplit {
  const who = 'splitByAlphabet';
  const alphabets = [...new Set(ds.classes.map((c) => c.alphabet))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const want = options.testAlphabets ?? 2;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new InputError(`options.seed must be a safe integer, received ${String(seed)}`, who);
  let test: string[];
  if (typeof want === 'number') {
    if (!(Number.isInteger(want) && want >= 1 && want < alphabets.length)) {
      throw new InputError(
        `options.testAlphabets must be a whole number from 1 to ${alphabets.length - 1} (the data set has ${alphabets.length} alphabet(s), and at least one must stay for meta-training), received ${String(want)}`,
        who,
      );
    }
    const order = Rng.fromSeed(seed).permutation(alphabets.length);
    test = Array.from(order.subarray(0, want), (k) => alphabets[k]);
  } else {
    if (!Array.isArray(want) || want.length === 0) throw new InputError('options.testAlphabets must name at least one alphabet', who);
    for (const a of want) {
      if (!alphabets.includes(a)) throw new InputError(`options.testAlphabets: unknown alphabet ${JSON.stringify(a)}; the data set has ${alphabets.join(', ')}`, who);
    }
    if (new Set(want).size !== want.length) throw new InputError(`options.testAlphabets names an alphabet twice: ${want.join(', ')}`, who);
    if (want.length >= alphabets.length) throw new InputError(`options.testAlphabets holds all ${alphabets.length} alphabets; at least one must stay for meta-training`, who);
    test = [...want];
  }
  test.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const isTest = new Set(test);
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  ds.classes.forEach((c, k) => (isTest.has(c.alphabet) ? testIdx : trainIdx).push(k));
  return {
    train: selectClasses(ds, trainIdx),
    test: selectClasses(ds, testIdx),
    trainAlphabets: alphabets.filter((a) => !isTest.has(a)),
    testAlphabets: test,
  };
}
