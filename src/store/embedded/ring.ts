/** Fixed-capacity ring buffer: pushing past capacity drops the oldest item. */

export class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size < this.capacity) {
      this.items[(this.start + this.size) % this.capacity] = item;
      this.size++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Item `i` counted from the oldest. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.size) return undefined;
    return this.items[(this.start + i) % this.capacity];
  }

  slice(from: number, to: number): T[] {
    const out: T[] = [];
    for (let i = Math.max(0, from); i < Math.min(to, this.size); i++)
      out.push(this.items[(this.start + i) % this.capacity]!);
    return out;
  }
}
