// Lint for every project: typescript-eslint's recommended rules plus Nx module boundaries that encode the
// layering of ../shared/docs/style.md: apps → streams → solvers → problems → linalg. autodiff builds problems from
// user tfjs functions (a problem factory), so it sits beside the problem families: autodiff → problems → linalg.
// io (the error type of bad input, safe reads of user files, output-folder checks) sits at the bottom beside linalg:
// problems, autodiff and both apps use it, and it depends on no library.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

const noLogging = ['pino', 'pino-pretty', 'cli-progress', 'commander'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', 'runs/**', 'bench-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { '@nx': nx },
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setImmediate: 'readonly', clearImmediate: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use the seeded RNG from @bilevel/linalg.' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          // @bilevel/autodiff has two entry points: the engine (imported statically) and @bilevel/autodiff/tfjs (loaded
          // lazily, so that only --oracles autodiff loads TensorFlow.js); Nx sees one library imported both ways. The
          // benchmarks import @bilevel/cli statically, and tools/bench/main.ts loads each benchmark's module lazily. The
          // programs' main.ts load @bilevel/problems (--memory-budget's parser) and @bilevel/telemetry (the logger, at a
          // command's run) lazily, so that --help and a refused option load neither; the commands import them statically
          checkDynamicDependenciesExceptions: ['@bilevel/autodiff', '@bilevel/cli', '@bilevel/problems', '@bilevel/telemetry'],
          depConstraints: [
            { sourceTag: 'scope:linalg', onlyDependOnLibsWithTags: [], bannedExternalImports: ['rxjs', '@tensorflow/*', ...noLogging] },
            { sourceTag: 'scope:io', onlyDependOnLibsWithTags: [], bannedExternalImports: ['rxjs', '@tensorflow/*', ...noLogging] },
            { sourceTag: 'scope:autodiff', onlyDependOnLibsWithTags: ['scope:linalg', 'scope:io', 'scope:problems'], bannedExternalImports: ['rxjs', ...noLogging] },
            { sourceTag: 'scope:problems', onlyDependOnLibsWithTags: ['scope:linalg', 'scope:io'], bannedExternalImports: ['rxjs', '@tensorflow/*', ...noLogging] },
            { sourceTag: 'scope:solvers', onlyDependOnLibsWithTags: ['scope:linalg', 'scope:autodiff', 'scope:problems'], bannedExternalImports: ['rxjs', ...noLogging] },
            { sourceTag: 'scope:telemetry', onlyDependOnLibsWithTags: ['scope:linalg'] },
            { sourceTag: 'scope:streams', onlyDependOnLibsWithTags: ['scope:linalg', 'scope:autodiff', 'scope:problems', 'scope:solvers', 'scope:telemetry'] },
            { sourceTag: 'scope:verify', onlyDependOnLibsWithTags: ['scope:linalg', 'scope:autodiff', 'scope:problems', 'scope:solvers', 'scope:streams'], bannedExternalImports: noLogging },
            { sourceTag: 'scope:control', onlyDependOnLibsWithTags: ['scope:linalg', 'scope:autodiff', 'scope:problems', 'scope:solvers', 'scope:streams', 'scope:verify'], bannedExternalImports: noLogging },
            { sourceTag: 'scope:toolkit', onlyDependOnLibsWithTags: ['scope:linalg', 'scope:io', 'scope:autodiff', 'scope:problems', 'scope:solvers', 'scope:streams', 'scope:verify'], bannedExternalImports: noLogging },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['scope:linalg', 'scope:io', 'scope:autodiff', 'scope:problems', 'scope:solvers', 'scope:streams', 'scope:verify', 'scope:control', 'scope:telemetry'] },
            { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['scope:toolkit', 'scope:linalg', 'scope:io', 'scope:autodiff', 'scope:problems', 'scope:solvers', 'scope:streams', 'scope:verify', 'scope:control', 'scope:telemetry', 'type:app'] },
          ],
        },
      ],
    },
  },
);
