// What `safe-control --help`, `--version` and the option checks need from the control library and the logger, as
// plain data, so that they load neither (nor HiGHS, rxjs, pino): the commands import them when they run.
// cli-catalog.spec.ts checks every entry against the registry or constant it copies.

/** The benchmark systems of `--system` (the keys of `APP_SYSTEMS` of lookup-system.ts). */
export const SYSTEM_NAMES: readonly string[] = [
  'pj',
  'pendulum',
  'lane-keeping',
  'cartpole',
  'pj-paper',
  'pendulum-paper',
  'lane-keeping-paper',
  'lane-keeping-paper-lyapunov',
  'attitude',
  'inverted-pendulum',
];

/** pino's levels (`LOG_LEVELS` of @bilevel/telemetry). */
export const LOG_LEVEL_NAMES = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Default seconds between training checkpoints (`DEFAULT_TRAIN_CHECKPOINT_SECONDS` of train-checkpoint.ts). */
export const TRAIN_CHECKPOINT_SECONDS = 60;
