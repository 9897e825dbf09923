// `safe-control train --config FILE.json`: every problem reported at once with its path, kebab-case keys, the command
// line wins over the file; fuzzed with random JSON objects and mutated bytes, every case ends in options or an
// InputError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { InputError } from '@bilevel/io';
import { readTrainConfigFile } from './train-config-file';
import { cli } from './in-process-cli';
import { EXIT } from './exit-codes';

const dir = mkdtempSync(join(tmpdir(), 'safe-control-config-'));
const file = (name: string, text: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('a valid file (camelCase and kebab-case) fills the options the command line did not give', async () => {
  assert.deepEqual(readTrainConfigFile(file('ok.json', '{"system": "pj", "max-iter": 3, "checkpointEvery": 0}')), { system: 'pj', maxIter: 3, checkpointEvery: 0 });
  const out = join(dir, 'run');
  const r = await cli(['train', '--config', file('run.json', JSON.stringify({ system: 'pj', maxIter: 50, samples: 500, trajectories: 2, logLevel: 'warn' })), '--max-iter', '2', '--out', out]);
  assert.equal(r.code, EXIT.notCertified, r.stderr);
  const saved = JSON.parse(readFileSync(join(out, 'train-config.json'), 'utf8'));
  assert.equal(saved.maxIter, 2, 'the command line wins');
  assert.equal(saved.samples, 500, 'the file fills the rest');
});

test('every problem at once, each with its path; the program exits 2 with nothing written', async () => {
  const path = file('bad.json', JSON.stringify({ system: 'moon', maxIter: -1, samples: 'x', bogus: 1, track: 'cubic' }));
  assert.throws(
    () => readTrainConfigFile(path),
    (err: unknown) =>
      err instanceof InputError &&
      err.message.startsWith(`${path}: 5 problems in the configuration:`) &&
      /system: Invalid option: expected one of "pj"/.test(err.message) &&
      /maxIter: Too small: expected number to be >=0/.test(err.message) &&
      /samples: Invalid input: expected number, received string/.test(err.message) &&
      /track: Invalid option/.test(err.message) &&
      /unknown key "bogus"/.test(err.message),
  );
  const out = join(dir, 'never');
  const r = await cli(['train', '--config', path, '--out', out]);
  assert.equal(r.code, EXIT.badInput);
  assert.match(r.stderr, /^safe-control: error: .*bad\.json: 5 problems in the configuration:/);
  assert.throws(() => readFileSync(join(out, 'report.json')));
});

test('fuzz: random JSON objects and mutated files end in options or an InputError', () => {
  const path = join(dir, 'fuzz.json');
  const valid = JSON.stringify({ system: 'pj', track: 'poly', maxIter: 10, samples: 100, checkpointEvery: 5 });
  const readsOrInputError = () => {
    try {
      readTrainConfigFile(path);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
    }
  };
  let n = 0;
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('system', 'track', 'maxIter', 'max-iter', 'seed', 'samples', 'checkpointEvery', 'baseline', 'bogus'), fc.jsonValue()), (obj) => {
      writeFileSync(path, JSON.stringify(obj));
      readsOrInputError();
      n++;
    }),
    { numRuns: 300, seed: 11 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const bytes = Buffer.from(valid);
      bytes[at] = byte;
      writeFileSync(path, bytes);
      readsOrInputError();
      n++;
    }),
    { numRuns: 300, seed: 12 },
  );
  assert.equal(n, 600);
});
