import { mkdirSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { DataCleaning, LogregHpo } from '@bilevel/problems';
import { CLASSES, denseRow } from '@bilevel/problems';

/** SABA's settings as the numpy peer reads them from `header.json`. */
export interface PeerSteps {
  readonly batchSize: number;
  readonly innerStep: number;
  readonly outerStep: number;
}

/** What {@link exportProblem} wrote: the header as written and the bytes of data. */
export interface ExportedProblem {
  readonly header: Readonly<Record<string, unknown>>;
  readonly bytes: number;
}

function writeRaw(dir: string, name: string, a: Float64Array | Int32Array): number {
  writeFileSync(join(dir, `${name}.bin`), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return a.byteLength;
}

/**
 * Writes the exact matrices a problem's oracles use into `dir` for tools/bench/peer/saba_numpy.py: raw little-endian
 * `A.bin`, `yA.bin`, `B.bin`, `yB.bin` (training and validation rows, row-major) and `header.json` (problem, sizes,
 * SABA's batch and steps).
 *
 * - logreg-hpo: the standardized float64 features and the ±1 labels (float64) of the training and validation splits.
 * - datacleaning: the standardized features as dense float64 rows (`denseRow`: a_ip = (u_ip − μ_p)/s_p, the values
 *   our sparse-byte kernels use implicitly), the *corrupted* training labels and the clean validation labels (int32),
 *   and C. 20,000 × 784 doubles are 125 MB: the numpy side works on the dense matrix, the straightforward layout.
 *
 * Throws on a big-endian machine (the files are the typed arrays' bytes).
 */
export function exportProblem(problem: LogregHpo | DataCleaning, steps: PeerSteps, dir: string): ExportedProblem {
  if (endianness() !== 'LE') throw new Error(`exportProblem: this machine is big-endian; the peer files are little-endian`);
  mkdirSync(dir, { recursive: true });
  const common = { batch: steps.batchSize, innerStep: steps.innerStep, outerStep: steps.outerStep, dimX: problem.dimX, dimZ: problem.dimZ };
  let bytes = 0;
  let header: Record<string, unknown>;
  if (problem.name === 'logreg-hpo') {
    const p = problem as LogregHpo;
    bytes += writeRaw(dir, 'A', p.A.data) + writeRaw(dir, 'yA', p.yA) + writeRaw(dir, 'B', p.B.data) + writeRaw(dir, 'yB', p.yB);
    header = { problem: p.name, n: p.nInner, m: p.nOuter, d: p.A.cols, reg: p.reg, ...common };
  } else {
    const p = problem as DataCleaning;
    const d = p.pixels;
    const dense = (rows: DataCleaning['train'], count: number) => {
      const out = new Float64Array(count * d);
      for (let r = 0; r < count; r++) denseRow(rows, p.scaling, r, out.subarray(r * d, (r + 1) * d));
      return out;
    };
    bytes += writeRaw(dir, 'A', dense(p.train, p.nInner)) + writeRaw(dir, 'yA', p.trainLabels);
    bytes += writeRaw(dir, 'B', dense(p.val, p.nOuter)) + writeRaw(dir, 'yB', p.valLabels);
    header = { problem: p.name, n: p.nInner, m: p.nOuter, d, classes: CLASSES, C: p.C, ...common };
  }
  writeFileSync(join(dir, 'header.json'), JSON.stringify(header, null, 2) + '\n');
  return { header, bytes };
}
