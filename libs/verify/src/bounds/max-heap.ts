/**
 * A binary max-heap on a numeric key; ties go to the earlier insertion, so the pop order is deterministic.
 */
export class MaxHeap<T> {
  private readonly items: { key: number; seq: number; value: T }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(key: number, value: T): void {
    const items = this.items;
    items.push({ key, seq: this.seq++, value });
    let i = items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      [items[i], items[p]] = [items[p], items[i]];
      i = p;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.above(l, m)) m = l;
        if (r < items.length && this.above(r, m)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m], items[i]];
        i = m;
      }
    }
    return top.value;
  }

  /** All values, highest key first (does not empty the heap). */
  values(): T[] {
    return [...this.items].sort((a, b) => b.key - a.key || a.seq - b.seq).map((e) => e.value);
  }

  private above(i: number, j: number): boolean {
    const a = this.items[i];
    const b = this.items[j];
    return a.key > b.key || (a.key === b.key && a.seq < b.seq);
  }
}
