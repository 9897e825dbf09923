import { fileURLToPath } from 'node:url';

/**
 * Path of a data file bundled with the toolkit (libs/problems/data), so a default run needs nothing outside the
 * repository. Bundled: `breast_cancer.csv` (UCI Breast Cancer Wisconsin (Diagnostic), as distributed with
 * scikit-learn; data CC BY 4.0, see data/LICENSE.md).
 */
export function bundledDataPath(name: 'breast_cancer.csv'): string {
  return fileURLToPath(new URL(`../data/${name}`, import.meta.url));
}
