import { describe, expect, it } from 'vitest';
import {
  controlPlaneReplicas,
  jobPodLabels,
  labelSelector,
  PAUSED_REPLICAS_ANNOTATION,
  podsOfJobSelector,
  rememberedCount,
  restoreJobsSelector,
  serviceSlicesSelector,
} from '../../core/kube-metadata.js';

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

describe('labels and the selectors built from them', () => {
  it('a selector matches every label given, and nothing given matches everything', () => {
    expect(labelSelector({ app: 'etcd', tier: 'control-plane' })).toBe('app=etcd,tier=control-plane');
    expect(labelSelector({})).toBe('');
    expect(labelSelector(undefined)).toBe('');
  });

  it("finds Lifeboat's restore Jobs, a Job's Pods and a Service's EndpointSlices", () => {
    expect(restoreJobsSelector).toBe('app.kubernetes.io/managed-by=lifeboat,lifeboat.dev/restore');
    expect(podsOfJobSelector('lifeboat-restore-1')).toBe('job-name=lifeboat-restore-1');
    expect(serviceSlicesSelector('etcd-client')).toBe('kubernetes.io/service-name=etcd-client');
  });

  it("a Job's Pods say who manages them and which Job they belong to", () => {
    expect(jobPodLabels('lifeboat-snapshot-1')).toEqual({
      'app.kubernetes.io/managed-by': 'lifeboat',
      'lifeboat.dev/job': 'lifeboat-snapshot-1',
    });
  });
});
