import { describe, expect, it } from 'vitest';
import { Slots, TaskWindow } from '../../activities/resource-restore/slots.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('Slots', () => {
  it('runs at most its count at once, the waiting ones in the order they asked', async () => {
    const slots = new Slots(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        slots.run(async () => {
          running++;
          peak = Math.max(peak, running);
          order.push(i);
          await tick();
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('frees the slot of a task that failed', async () => {
    const slots = new Slots(1);
    await expect(slots.run(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(await slots.run(() => Promise.resolve(42))).toBe(42);
  });
});

describe('TaskWindow', () => {
  it('lets start return only while fewer than its size are unfinished, and drain wait for all', async () => {
    const window = new TaskWindow(3);
    let running = 0;
    let peak = 0;
    let done = 0;
    for (let i = 0; i < 10; i++) {
      await window.start(async () => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        running--;
        done++;
      });
      expect(running).toBeLessThan(3);
    }
    await window.drain();
    expect(peak).toBe(3);
    expect(done).toBe(10);
  });

  it('throws the first failure from the next start, and from drain', async () => {
    const window = new TaskWindow(2);
    await window.start(() => Promise.reject(new Error('cancelled')));
    await window.start(() => tick().then(() => undefined)).catch(() => undefined);
    await expect(window.start(() => Promise.resolve())).rejects.toThrow('cancelled');
    await expect(window.drain()).rejects.toThrow('cancelled');
  });
});
