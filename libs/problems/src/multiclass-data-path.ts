import { fileURLToPath } from 'node:url';

/**
 * Path of the multiclass data bundled with the toolkit (libs/problems/data), so `--problem multiclass-hpo` runs with
 * nothing outside the repository: `wine_data.csv` (UCI Wine, 178 × 13, 3 classes, UCI header CSV, as distributed
 * with scikit-learn; data CC BY 4.0, see data/LICENSE.md).
 */
export function multiclassDataPath(name: 'wine_data.csv' = 'wine_data.csv'): string {
  return fileURLToPath(new URL(`../data/${name}`, import.meta.url));
}
