/** One class of a {@link FewShotDataset}: an Omniglot character, its alphabet, and the rows of its images. */
export interface FewShotClass {
  /** The alphabet (Omniglot's top folder, e.g. `Greek`); classes are split into meta-train and meta-test by it. */
  readonly alphabet: string;
  /** The class within its alphabet (Omniglot's character folder, e.g. `character01`). */
  readonly name: string;
  /** Rows of {@link FewShotDataset.images} holding this class's images, in the order of their file names. */
  readonly indices: Int32Array;
}

/**
 * Images of one size grouped by class, for few-shot learning: `images` holds `count × size²` values, image after
 * image, each row-major (row 0 at the top), in [0, 1] with the stroke (ink) at 1 and the background at 0.
 */
export interface FewShotDataset {
  /** Images are `size × size` pixels. */
  readonly size: number;
  /** `count × size²` pixel values in [0, 1], stroke = 1. */
  readonly images: Float64Array;
  /** The classes, sorted by alphabet then name; every image belongs to exactly one. */
  readonly classes: readonly FewShotClass[];
}

/** The number of images of a data set. */
export function imageCount(ds: FewShotDataset): number {
  return ds.images.length / (ds.size * ds.size);
}

/** `alphabet/name`, the name of a class in messages and episodes. */
export function className(c: FewShotClass): string {
  return `${c.alphabet}/${c.name}`;
}

/**
 * The data set restricted to some of its classes (indices into `ds.classes`, kept in the order given): their images
 * are copied into a new, compact `images` array and their `indices` renumbered.
 */
export function selectClasses(ds: FewShotDataset, which: readonly number[]): FewShotDataset {
  const px = ds.size * ds.size;
  const total = which.reduce((s, k) => s + ds.classes[k].indices.length, 0);
  const images = new Float64Array(total * px);
  const classes: FewShotClass[] = [];
  let row = 0;
  for (const k of which) {
    const c = ds.classes[k];
    const indices = new Int32Array(c.indices.length);
    for (let i = 0; i < c.indices.length; i++, row++) {
      images.set(ds.images.subarray(c.indices[i] * px, (c.indices[i] + 1) * px), row * px);
      indices[i] = row;
    }
    classes.push({ alphabet: c.alphabet, name: c.name, indices });
  }
  return { size: ds.size, images, classes };
}
