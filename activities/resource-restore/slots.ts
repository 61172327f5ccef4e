/**
 * A fixed number of slots, taken in the order asked for: what bounds a step's writes (RESTORE_CONCURRENCY) while
 * the items behind them are already read and decided, and their namespaces already being made.
 */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(count: number) {
    this.free = count;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * Tasks started one after another, at most `size` unfinished: `start` returns once there is room for the next. Not
 * Promise.race over the running ones, which at a few hundred tasks attached a few hundred callbacks per item. The
 * first task to fail makes the next `start` (or `drain`) throw.
 */
export class TaskWindow {
  private running = 0;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly size: number) {}

  async start(task: () => Promise<void>): Promise<void> {
    this.running++;
    task().then(
      () => this.finished(),
      (error: unknown) => {
        this.failure ??= { error };
        this.finished();
      },
    );
    while (this.running >= this.size && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure.error;
  }

  async drain(): Promise<void> {
    while (this.running > 0) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure.error;
  }

  private finished(): void {
    this.running--;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
