// Issue 23, item 1, at length: the perturbation property of verify-perturbation.spec.ts over 150 PJ cases and 20
// lane-keeping cases (each certified lane-keeping case costs the sound verifier about 10 s).
import { test } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { perturbationProperty, tally } from './verify-perturbation';

const root = mkdtempSync(join(tmpdir(), 'safe-control-perturb-slow-'));

test('PJ, 150 cases: CERTIFIED only when the independent check of the system conditions holds', async (t) => {
  t.diagnostic(`PJ: ${tally(await perturbationProperty('pj', 150, 2301, join(root, 'pj')))}`);
});

test('lane keeping, 20 cases: CERTIFIED only when the independent check of the system conditions holds', async (t) => {
  t.diagnostic(`lane keeping: ${tally(await perturbationProperty('lane-keeping', 20, 2302, join(root, 'lane-keeping')))}`);
});
