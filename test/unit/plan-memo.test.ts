import { describe, expect, it } from 'vitest';
import { memoPlan, type MemoPlan } from '../../activities/resource-restore/plan-memo.js';
import type { RestoreStepInput } from '../../core/resources/restore-run.js';

const input = (restore: string, resourceListKey = 'b/resource-list.json.gz') =>
  ({
    restore,
    groupResources: ['secrets'],
    source: { location: 'main', resourceListKey },
  }) as unknown as RestoreStepInput;

const made = (): MemoPlan => ({ plan: { steps: [] } as unknown as MemoPlan['plan'], planned: new Set() });

describe('memoPlan', () => {
  it('plans a restore once for all its steps on a worker, and another restore or backup on its own', async () => {
    let calls = 0;
    const make = () => Promise.resolve((calls++, made()));
    const first = await memoPlan(input('r1'), make);
    expect(await memoPlan(input('r1'), make)).toBe(first);
    expect(calls).toBe(1);
    await memoPlan(input('r2'), make);
    await memoPlan(input('r1', 'other/resource-list.json.gz'), make);
    expect(calls).toBe(3);
  });

  it('does not keep a plan whose reading failed: the retry reads again', async () => {
    await expect(memoPlan(input('r3'), () => Promise.reject(new Error('the bucket went away')))).rejects.toThrow(
      'the bucket went away',
    );
    const plan = made();
    expect(await memoPlan(input('r3'), () => Promise.resolve(plan))).toBe(plan);
  });

  it('keeps two restores at once, forgetting the least recently used', async () => {
    let calls = 0;
    const make = () => Promise.resolve((calls++, made()));
    await memoPlan(input('a'), make);
    await memoPlan(input('b'), make);
    await memoPlan(input('a'), make);
    await memoPlan(input('c'), make); // forgets b
    await memoPlan(input('a'), make);
    expect(calls).toBe(3);
    await memoPlan(input('b'), make);
    expect(calls).toBe(4);
  });
});
