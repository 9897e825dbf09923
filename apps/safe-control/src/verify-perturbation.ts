// Test support for verify-perturbation.spec.ts and .slow.ts (issue 23, item 1): valid trained files (fixtures/, made
// by fixtures/make-fixtures.ts) with one numeric field perturbed (scaled, sign-flipped, noised or set to 0), run
// through `safe-control verify`; whenever it says CERTIFIED, the independent float64 check of the system's conditions
// (independent-check.ts: 10⁵ samples per condition and the best point of its own counterexample search) must hold.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cli } from './in-process-cli';
import { EXIT } from './exit-codes';
import type { IndependentResult, IndependentSystem } from './independent-check';
import { LANE_KEEPING_INDEPENDENT, PJ_INDEPENDENT, independentCheck } from './independent-check';

const here = dirname(fileURLToPath(import.meta.url));

export type FixtureSystem = 'pj' | 'lane-keeping';

/** The independent definition of each fixture's system. */
export const INDEPENDENT: Readonly<Record<FixtureSystem, IndependentSystem>> = { pj: PJ_INDEPENDENT, 'lane-keeping': LANE_KEEPING_INDEPENDENT };

/** The trained policy.json and certificate.json of a system, parsed. */
export function fixture(system: FixtureSystem): { policy: Record<string, unknown>; certificate: Record<string, unknown> } {
  const read = (file: string) => JSON.parse(readFileSync(join(here, 'fixtures', system, file), 'utf8')) as Record<string, unknown>;
  return { policy: read('policy.json'), certificate: read('certificate.json') };
}

/** A path to a numeric field of a JSON document: keys and indices. */
export type LeafPath = readonly (string | number)[];

/** Every numeric field of a document (the version, dimensions, exponents, coefficients, θ, stated terms, c*…). */
export function numericLeaves(doc: unknown, path: LeafPath = []): LeafPath[] {
  if (typeof doc === 'number') return [path];
  if (Array.isArray(doc)) return doc.flatMap((v, i) => numericLeaves(v, [...path, i]));
  if (doc !== null && typeof doc === 'object') return Object.entries(doc).flatMap(([k, v]) => numericLeaves(v, [...path, k]));
  return [];
}

/** How a field is perturbed. */
export type Perturbation = { readonly op: 'scale'; readonly by: number } | { readonly op: 'flip' } | { readonly op: 'noise'; readonly by: number } | { readonly op: 'zero' };

/** One case: which file, which of its numeric fields (an index taken modulo their number), and how. */
export interface PerturbationCase {
  readonly file: 'policy' | 'certificate';
  readonly leaf: number;
  readonly perturbation: Perturbation;
}

/** Scale by a factor near 1 or far from it, flip the sign, add noise from 1e-9 to 1 (absolute), or set to 0. */
export const perturbationArb: fc.Arbitrary<PerturbationCase> = fc.record({
  file: fc.constantFrom('policy' as const, 'certificate' as const),
  leaf: fc.nat({ max: 10_000 }),
  perturbation: fc.oneof(
    fc.record({ op: fc.constant('scale' as const), by: fc.oneof(fc.constantFrom(0.5, 0.9, 0.99, 0.999999, 1.000001, 1.01, 1.1, 2, 10, -1e-3), fc.double({ min: -3, max: 3, noNaN: true })) }),
    fc.constant({ op: 'flip' as const }),
    fc.record({ op: fc.constant('noise' as const), by: fc.integer({ min: -9, max: 0 }).chain((k) => fc.double({ min: -1, max: 1, noNaN: true }).map((d) => d * 10 ** k)) }),
    fc.constant({ op: 'zero' as const }),
  ),
});

/** A deep copy of `doc` with the field at `path` perturbed. */
export function perturb(doc: Record<string, unknown>, path: LeafPath, p: Perturbation): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const key = path[path.length - 1];
  const v = parent[key] as number;
  parent[key] = p.op === 'scale' ? v * p.by : p.op === 'flip' ? -v : p.op === 'noise' ? v + p.by : 0;
  return copy;
}

/** What one case did: verify's exit code and, when it certified, the independent check. */
export interface PerturbationOutcome {
  readonly code: number;
  readonly field: string;
  readonly stderr: string;
  readonly independent: IndependentResult | null;
}

/** Samples per condition of verify's sampled stage in these cases (the sound stage decides CERTIFIED). */
export const VERIFY_SAMPLES = '2000';

/**
 * Writes the fixture of `system` with the case's perturbation into `dir`, runs `safe-control verify` on it and, when it
 * says CERTIFIED (exit 0), runs the independent check (10⁵ samples per condition and the counterexample search).
 */
export async function runPerturbation(system: FixtureSystem, c: PerturbationCase, dir: string): Promise<PerturbationOutcome> {
  const docs = fixture(system);
  const leaves = numericLeaves(docs[c.file]);
  const path = leaves[c.leaf % leaves.length];
  const perturbed = { ...docs, [c.file]: perturb(docs[c.file], path, c.perturbation) };
  mkdirSync(dir, { recursive: true });
  const policyPath = join(dir, 'policy.json');
  const certificatePath = join(dir, 'certificate.json');
  writeFileSync(policyPath, JSON.stringify(perturbed.policy));
  writeFileSync(certificatePath, JSON.stringify(perturbed.certificate));
  const r = await cli(['verify', '--system', system, '--policy', policyPath, '--certificate', certificatePath, '--samples', VERIFY_SAMPLES, '--log-level', 'warn']);
  const field = `${c.file}.${path.join('.')} ${c.perturbation.op}${'by' in c.perturbation ? ` ${c.perturbation.by}` : ''}`;
  const independent = r.code === EXIT.ok ? independentCheck(INDEPENDENT[system], perturbed.policy, perturbed.certificate) : null;
  return { code: r.code, field, stderr: r.stderr, independent };
}

/**
 * The property over `runs` fast-check cases (seed `seed`) of `system`, files under `root`: verify exits 0, 2 or 3 (a
 * refusal in one line), and every CERTIFIED verdict passes the independent check. Returns the outcomes.
 */
export async function perturbationProperty(system: FixtureSystem, runs: number, seed: number, root: string): Promise<PerturbationOutcome[]> {
  const outcomes: PerturbationOutcome[] = [];
  let n = 0;
  await fc.assert(
    fc.asyncProperty(perturbationArb, async (c) => {
      const o = await runPerturbation(system, c, join(root, `${seed}-${n++}`));
      outcomes.push(o);
      assert.ok(o.code === EXIT.ok || o.code === EXIT.notCertified || o.code === EXIT.badInput, `${o.field}: exit ${o.code}\n${o.stderr}`);
      if (o.code === EXIT.badInput) assert.match(o.stderr, /^safe-control: error: .*\n$/, `${o.field}: one line`);
      if (o.code === EXIT.ok) assert.ok(o.independent?.holds, `${o.field}: CERTIFIED, but the independent check fails: ${JSON.stringify(o.independent?.worst)}`);
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  return outcomes;
}

/** Certified / not certified / refused counts of a run of the property. */
export const tally = (outcomes: readonly PerturbationOutcome[]): string =>
  `${outcomes.filter((o) => o.code === EXIT.ok).length} certified (independent check held), ${outcomes.filter((o) => o.code === EXIT.notCertified).length} not certified, ${outcomes.filter((o) => o.code === EXIT.badInput).length} refused`;
