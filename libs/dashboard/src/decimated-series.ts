/**
 * A bounded history of a series that keeps its whole span: points are kept every `stride` pushes; when the kept
 * points reach `capacity`, every other one is dropped and the stride doubles, so a long run is held as at most
 * `capacity` points evenly spread over all of it (plus the latest, always). Memory is O(capacity) whatever the
 * run's length, and a push is O(1) amortized.
 *
 * @example
 * const s = new DecimatedSeries<number>(4);
 * for (let i = 0; i < 10; i++) s.push(i);
 * s.points(); // [0, 4, 8, 9]: every 4th point, and the latest
 */
export class DecimatedSeries<T> {
  #kept: T[] = [];
  #stride = 1;
  #pushed = 0;
  #latest: T | undefined;
  #latestKept = false;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`DecimatedSeries: capacity must be an integer ≥ 2, received ${capacity}`);
  }

  /** Points pushed so far. */
  get pushed(): number {
    return this.#pushed;
  }

  /** Keeps one of every this many points at present. */
  get stride(): number {
    return this.#stride;
  }

  push(point: T): void {
    this.#latest = point;
    this.#latestKept = this.#pushed % this.#stride === 0;
    if (this.#latestKept) {
      this.#kept.push(point);
      if (this.#kept.length >= this.capacity) {
        this.#kept = this.#kept.filter((_, i) => i % 2 === 0);
        this.#stride *= 2;
        this.#latestKept = this.#kept.at(-1) === point;
      }
    }
    this.#pushed++;
  }

  /** The kept points in order, then the latest point when it was not kept. */
  points(): T[] {
    return this.#latest === undefined || this.#latestKept ? [...this.#kept] : [...this.#kept, this.#latest];
  }
}
