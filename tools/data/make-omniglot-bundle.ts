// Regenerates the Omniglot data bundled with the toolkit (libs/problems/data/omniglot) from the two "minimal"
// background splits as distributed (images_background_small1.zip, images_background_small2.zip):
//
//   node --import tsx tools/data/make-omniglot-bundle.ts [folder of the zips, default ../shared/data/omniglot]
//
// The images are decoded exactly as loadOmniglot does (inverted, 105×105 → 28×28 by area averaging, without the
// cache), so bundledOmniglot() equals loadOmniglot on the zips bit for bit: every value is k/225 for an integer k,
// stored as the byte k. Deterministic: the same zips give the same files (gzip level 9, no name or time in the header).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FewShotBundleMeta } from '@bilevel/problems';
import { BUNDLED_OMNIGLOT_FILES, bundledOmniglotDir, describeFewShot, loadOmniglot } from '@bilevel/problems';

const DENOMINATOR = 225; // 3.75² · 16: a 105×105 1-bit drawing averaged over 3.75×3.75 cells gives multiples of 1/225
const ZIPS = ['images_background_small1.zip', 'images_background_small2.zip'];

const from = process.argv[2] ?? join(import.meta.dirname, '../../../shared/data/omniglot');
const ds = loadOmniglot(
  ZIPS.map((z) => join(from, z)),
  { size: 28, cacheDir: false },
);
let row = 0;
for (const c of ds.classes) for (const i of c.indices) if (i !== row++) throw new Error('the classes are not consecutive rows');
const q = new Uint8Array(ds.images.length);
for (let i = 0; i < q.length; i++) {
  const k = Math.round(ds.images[i] * DENOMINATOR);
  if (k / DENOMINATOR !== ds.images[i]) throw new Error(`pixel ${i} = ${ds.images[i]} is not a multiple of 1/${DENOMINATOR}`);
  q[i] = k;
}
const meta: FewShotBundleMeta = {
  format: 'bilevel-fewshot-u8',
  version: 1,
  description:
    'Omniglot (Lake, Salakhutdinov and Tenenbaum, Science 2015; github.com/brendenlake/omniglot; MIT license): the 8 alphabets of ' +
    'images_background_small1.zip and images_background_small2.zip (Greek and Latin are in both: merged), 242 characters x 20 drawings, ' +
    '105x105 1-bit PNGs inverted (stroke = 1) and area-averaged to 28x28; byte k stands for k/225. Made by tools/data/make-omniglot-bundle.ts.',
  size: ds.size,
  denominator: DENOMINATOR,
  count: q.length / (ds.size * ds.size),
  pixels: BUNDLED_OMNIGLOT_FILES.pixels,
  sha256: createHash('sha256').update(q).digest('hex'),
  classes: ds.classes.map((c) => [c.alphabet, c.name, c.indices.length] as const),
};
const dir = bundledOmniglotDir();
const gz = gzipSync(q, { level: 9 });
writeFileSync(join(dir, BUNDLED_OMNIGLOT_FILES.pixels), gz);
// one class a line
const classLines = meta.classes.map((c) => `  ${JSON.stringify(c)}`).join(',\n');
writeFileSync(join(dir, BUNDLED_OMNIGLOT_FILES.meta), `${JSON.stringify({ ...meta, classes: '<classes>' }, null, 1).replace('"<classes>"', `[\n${classLines}\n ]`)}\n`);
console.log(`${describeFewShot(ds)} -> ${dir}: ${gz.length} bytes of pixels (gzip of ${q.length})`);
