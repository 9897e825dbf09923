import { z } from 'zod';
import { readOptionsFile } from '@bilevel/io';
import { LOG_LEVELS } from '@bilevel/telemetry';
import { APP_SYSTEMS } from './lookup-system';
import { MAX_SAMPLES, MAX_TRAJECTORIES } from './limits';

const count = z.number().int().min(1);

/**
 * The keys of `safe-control train --config FILE.json`: the command-line options in camelCase (`maxIter`,
 * `checkpointEvery`…; kebab-case accepted), with the same types and ranges. Unknown keys are errors.
 */
export const TRAIN_CONFIG_SCHEMA = z
  .strictObject({
    system: z.enum(Object.keys(APP_SYSTEMS) as [string, ...string[]]),
    track: z.enum(['poly', 'neural']),
    seed: z.number().int().refine(Number.isSafeInteger, 'expected a safe integer'),
    out: z.string().min(1),
    maxIter: z.number().int().min(0),
    maxSeconds: z.number().positive().finite(),
    baseline: z.enum(['svg']),
    samples: count.max(MAX_SAMPLES),
    trajectories: count.max(MAX_TRAJECTORIES),
    checkpointEvery: z.number().min(0).finite(),
    json: z.boolean(),
    logLevel: z.enum(LOG_LEVELS),
  })
  .partial();

export type TrainConfigFile = z.infer<typeof TRAIN_CONFIG_SCHEMA>;

/** Reads and validates a training configuration file: every problem at once, with its path, in one InputError. */
export function readTrainConfigFile(path: string): TrainConfigFile {
  return readOptionsFile(path, TRAIN_CONFIG_SCHEMA, '{"system": "pj", "maxIter": 100}');
}
