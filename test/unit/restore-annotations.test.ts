import { describe, expect, it } from 'vitest';
import { controlPlaneReplicas, PAUSED_REPLICAS_ANNOTATION, rememberedCount } from '../../core/restore-annotations.js';

describe('what a restore remembered in annotations', () => {
  it('reads a count, and nothing from a missing, empty or garbled annotation', () => {
    expect(rememberedCount({ k: '3' }, 'k')).toBe(3);
    expect(rememberedCount({ k: '0' }, 'k')).toBe(0);
    expect(rememberedCount({}, 'k')).toBeUndefined();
    expect(rememberedCount(undefined, 'k')).toBeUndefined();
    expect(rememberedCount({ k: 'three' }, 'k')).toBeUndefined();
    expect(rememberedCount({ k: '-1' }, 'k')).toBeUndefined();
    expect(rememberedCount({ k: '1.5' }, 'k')).toBeUndefined();
  });

  it('a paused control plane comes back to the remembered count, an unpaused one keeps its own', () => {
    expect(controlPlaneReplicas({ spec: { replicas: 2, selector: {}, template: {} } })).toBe(2);
    expect(
      controlPlaneReplicas({
        metadata: { annotations: { [PAUSED_REPLICAS_ANNOTATION]: '3' } },
        spec: { replicas: 0, selector: {}, template: {} },
      }),
    ).toBe(3);
    expect(controlPlaneReplicas({})).toBe(1);
  });
});
