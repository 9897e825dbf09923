// The property-kit example of docs/property-kit.md (once the README's), kept compiling and passing.
import { test } from 'node:test';
import { saba } from '@bilevel/solvers';
import { checkSolver, safeSabaOptions } from '@bilevel/verify';

test('SABA with half the outer step keeps the project properties', () =>
  checkSolver(
    (problem) => {
      const steps = safeSabaOptions(problem);
      return saba({ ...steps, outerStep: steps.outerStep / 2 });
    },
    { convergence: 'linear', seed: 42, numRuns: 8 },
  ));
