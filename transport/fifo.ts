/** Minimal FIFO with O(1) shift. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(v: T): void {
    this.items.push(v);
  }
  peek(i = 0): T | undefined {
    return this.items[this.head + i];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
  /** Puts already-sorted older items back at the front, keeping the whole queue sorted by `key`. */
  unshiftSorted(older: T[], key: (v: T) => number): void {
    const rest = this.items.slice(this.head) as T[];
    const merged: T[] = [];
    let i = 0;
    let j = 0;
    while (i < older.length || j < rest.length) {
      const a = older[i];
      const b = rest[j];
      if (b === undefined || (a !== undefined && key(a) <= key(b))) {
        merged.push(a as T);
        i += 1;
      } else {
        merged.push(b);
        j += 1;
      }
    }
    this.items = merged;
    this.head = 0;
  }
  clear(): T[] {
    const all = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return all;
  }
}
