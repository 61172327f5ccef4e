import { describe, expect, it } from 'vitest';
import { countersDetails, outcomeText } from '../../core/resources/progress.js';

const counters = { resourcesDone: 0, resourcesTotal: 0, items: 0, bytes: 0, warnings: 0, errors: 0 };

describe('countersDetails', () => {
  it('names the resource being listed as N of M, counting the one in progress', () => {
    expect(
      countersDetails({
        ...counters,
        resourcesDone: 2,
        resourcesTotal: 40,
        current: 'deployments.apps',
        items: 1200,
        bytes: 345_678,
        warnings: 1,
        errors: 3,
      }),
    ).toBe('resource 3 of 40 (deployments.apps), 1200 items, 345678 bytes stored, 1 warning, 3 errors');
  });

  it('never counts past the total while the last resource is listed', () => {
    expect(countersDetails({ ...counters, resourcesDone: 5, resourcesTotal: 5, current: 'namespaces' })).toMatch(
      /^resource 5 of 5 \(namespaces\), /,
    );
  });

  it('says how many are done between resources and at the end', () => {
    expect(countersDetails({ ...counters, resourcesDone: 1, resourcesTotal: 1, items: 1, bytes: 1 })).toBe(
      '1 of 1 resource done, 1 item, 1 byte stored, 0 warnings, 0 errors',
    );
    expect(countersDetails(counters)).toBe('0 of 0 resources done, 0 items, 0 bytes stored, 0 warnings, 0 errors');
  });
});

describe('outcomeText', () => {
  const counts = (warnings: number, errors: number) => ({ items: 9, resources: {}, warnings, errors });

  it.each([
    ['Completed', 0, 0, 'Completed'],
    ['CompletedWithWarnings', 1, 0, 'Completed with 1 warning'],
    ['CompletedWithWarnings', 4, 0, 'Completed with 4 warnings'],
    ['CompletedWithErrors', 0, 1, 'Completed with 1 error'],
    ['CompletedWithErrors', 2, 3, 'Completed with 3 errors and 2 warnings'],
  ] as const)('%s with %i warning(s), %i error(s): %s', (outcome, warnings, errors, text) => {
    expect(outcomeText({ outcome, counts: counts(warnings, errors) })).toBe(text);
  });
});
