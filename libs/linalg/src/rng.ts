import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/** murmur3's 32-bit finalizer: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The serializable state of an {@link Rng}: the four 32-bit words of xoroshiro128+. */
export type RngState = readonly number[];

/**
 * Seeded, splittable random numbers on pure-rand's xoroshiro128+ (the generator fast-check uses).
 *
 * `split()` hands out an independent stream by jumping 2⁶⁴ draws ahead, so each consumer (a stream, a sampler,
 * a property run) owns its generator and the order in which consumers draw never changes another's numbers.
 * The whole state is four integers: {@link Rng.state} and {@link Rng.fromState} make a run replayable.
 */
export class Rng {
  private constructor(private readonly gen: JumpableRandomGenerator) {}

  /**
   * A generator from an integer seed: any safe integer, negative ones included, each giving its own stream. The
   * seed's low and high 32-bit words are spread over the 128-bit state by murmur3's finalizer, so nearby seeds
   * (0, 1, −1, 2³²…) start far apart.
   */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`Rng.fromSeed: seed must be a safe integer, received ${seed}`);
    }
    const lo = seed >>> 0; // two's complement low word (exact for |seed| < 2⁵³)
    const hi = Math.floor(seed / 0x100000000) >>> 0;
    const state = [fmix32(lo ^ 0x9e3779b9), fmix32(hi ^ 0x85ebca6b), fmix32(lo ^ 0xc2b2ae35 ^ fmix32(hi)), fmix32(hi ^ 0x27d4eb2f ^ fmix32(lo))];
    if (!state.some((w) => w !== 0)) state[0] = 1; // xoroshiro's state must not be all zero
    const rng = new Rng(xoroshiro128plusFromState(state.map((w) => w | 0)));
    for (let i = 0; i < 16; i++) rng.gen.next();
    return rng;
  }

  /** Restores a generator saved with {@link Rng.state}. */
  static fromState(state: RngState): Rng {
    return new Rng(xoroshiro128plusFromState(state));
  }

  /** The generator's state (copy). */
  state(): number[] {
    return [...this.gen.getState()];
  }

  /** An independent copy that will produce the same numbers as this one from now on. */
  clone(): Rng {
    return new Rng(this.gen.clone());
  }

  /** A new independent generator; this one moves on too, so two splits never coincide. */
  split(): Rng {
    const child = this.gen.clone();
    child.jump();
    this.gen.jump();
    this.gen.jump();
    return new Rng(child);
  }

  /** Uniform in [0, 1), 53 random bits. */
  float(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return uniformInt(this.gen, lo, hi);
  }

  /** Standard normal draw (Marsaglia's polar method). */
  normal(): number {
    for (;;) {
      const u = 2 * this.float() - 1;
      const v = 2 * this.float() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
    }
  }

  /** Fills `out` with standard normal draws and returns it. */
  normals(out: Float64Array): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** Fisher-Yates shuffle of `a` in place; returns `a`. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}
