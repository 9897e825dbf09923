import { fileURLToPath } from 'node:url';

/** The grayscale images whose 96 × 96 crops are bundled in libs/problems/data/imaging (see data/LICENSE.md). */
export const BUNDLED_IMAGES = ['camera', 'coins', 'text', 'brick', 'grass', 'gravel'] as const;

/**
 * Top-left corners (x = column, y = row) of the bundled 96 × 96 crops in the scikit-image originals
 * (camera, brick, grass, gravel 512 × 512; coins 384 × 303; text 448 × 172): a training crop and a disjoint held-out
 * crop per image. A spec checks the files against ../shared/data/images when that folder is present.
 */
export const BUNDLED_CROPS: Readonly<Record<(typeof BUNDLED_IMAGES)[number], { readonly train: readonly [number, number]; readonly heldout: readonly [number, number] }>> = {
  camera: { train: [176, 112], heldout: [240, 272] },
  coins: { train: [16, 16], heldout: [176, 160] },
  text: { train: [96, 40], heldout: [304, 60] },
  brick: { train: [0, 0], heldout: [256, 256] },
  grass: { train: [0, 0], heldout: [256, 256] },
  gravel: { train: [0, 0], heldout: [256, 256] },
};

/** Side of the bundled crops. */
export const BUNDLED_CROP_SIZE = 96;

/**
 * Paths of the bundled 96 × 96 8-bit grayscale PNG crops (`<image>-train.png` or `<image>-heldout.png`, one per
 * image of {@link BUNDLED_IMAGES}, 92 KB in all; CC0 / public domain, see data/LICENSE.md), so the imaging
 * problems run without ../shared.
 */
export function bundledImagePaths(kind: 'train' | 'heldout'): string[] {
  return BUNDLED_IMAGES.map((name) => fileURLToPath(new URL(`../../data/imaging/${name}-${kind}.png`, import.meta.url)));
}
