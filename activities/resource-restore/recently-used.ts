/**
 * A few values kept on the worker by key, the least recently used forgotten first once there are `max`: what a
 * restore remembers between its steps (plan-memo.ts, known-namespaces.ts), bounded because a worker runs many
 * restores over its life but only a few at once.
 */
export class RecentlyUsed<V> {
  private readonly values = new Map<string, V>();

  constructor(private readonly max: number) {}

  /** The value kept for `key` (now the most recently used), or `make()`'s, kept from now on. */
  get(key: string, make: () => V): V {
    let value = this.values.get(key);
    if (value !== undefined) {
      this.values.delete(key);
    } else {
      value = make();
      if (this.values.size >= this.max) this.values.delete(this.values.keys().next().value!);
    }
    this.values.set(key, value);
    return value;
  }

  forget(key: string): void {
    this.values.delete(key);
  }
}
