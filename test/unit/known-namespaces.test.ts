import { describe, expect, it } from 'vitest';
import { knownNamespaces } from '../../activities/resource-restore/known-namespaces.js';

describe('knownNamespaces', () => {
  it('is one set per target and restore, kept across calls (the steps of one restore)', () => {
    const first = knownNamespaces('hub-a', 'r1');
    first.add('cluster-1');
    expect(knownNamespaces('hub-a', 'r1').has('cluster-1')).toBe(true);
    expect(knownNamespaces('hub-a', 'r2').has('cluster-1')).toBe(false);
    expect(knownNamespaces('hub-b', 'r1').has('cluster-1')).toBe(false);
  });

  it('does not confuse a target and restore whose names run together', () => {
    knownNamespaces('a', 'bc').add('x');
    expect(knownNamespaces('ab', 'c').has('x')).toBe(false);
  });

  it('forgets the least recently used restore first, keeping the one in use', () => {
    knownNamespaces('lru', 'kept').add('ns');
    knownNamespaces('lru', 'dropped').add('ns');
    for (let i = 0; i < 7; i++) {
      knownNamespaces('lru', `other-${i}`);
      knownNamespaces('lru', 'kept');
    }
    expect(knownNamespaces('lru', 'kept').has('ns')).toBe(true);
    expect(knownNamespaces('lru', 'dropped').has('ns')).toBe(false);
  });
});
