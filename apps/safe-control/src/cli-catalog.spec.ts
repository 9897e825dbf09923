// The catalog that `safe-control --help` reads instead of the libraries holds exactly what they define.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOG_LEVELS } from '@bilevel/telemetry';
import { LOG_LEVEL_NAMES, SYSTEM_NAMES, TRAIN_CHECKPOINT_SECONDS } from './cli-catalog';
import { APP_SYSTEMS } from './lookup-system';
import { DEFAULT_TRAIN_CHECKPOINT_SECONDS } from './train-checkpoint';

test('the systems, log levels and checkpoint period of --help are the ones the commands use', () => {
  assert.deepEqual(SYSTEM_NAMES, Object.keys(APP_SYSTEMS));
  assert.deepEqual(LOG_LEVEL_NAMES, [...LOG_LEVELS]);
  assert.equal(TRAIN_CHECKPOINT_SECONDS, DEFAULT_TRAIN_CHECKPOINT_SECONDS);
});
