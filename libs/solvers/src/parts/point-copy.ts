import type { Reads } from '../solver';

/** A saved copy of a point (z, v, x), for estimators that revisit the previous iterate (SARAH, STORM). */
export class PointCopy implements Reads {
  readonly z: Float64Array;
  readonly v: Float64Array;
  readonly x: Float64Array;
  constructor(dimZ: number, dimX: number) {
    this.z = new Float64Array(dimZ);
    this.v = new Float64Array(dimZ);
    this.x = new Float64Array(dimX);
  }
  /** Copies `reads` into this point (values only). */
  save(reads: Reads): void {
    this.z.set(reads.z);
    this.v.set(reads.v);
    this.x.set(reads.x);
  }
}
