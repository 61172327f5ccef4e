import { describe, expect, it } from 'vitest';
import { itemSkip, nameSkip, NEVER_RESTORED, neverRestored } from '../../core/resources/restore-skips.js';

function obj(
  meta: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    owner?: { apiVersion: string; kind: string; name: string; controller?: boolean };
  } = {},
  rest: Record<string, unknown> = {},
): Record<string, unknown> {
  const { owner, ...metadata } = meta;
  return {
    metadata: {
      name: 'x',
      namespace: 'shop',
      ...metadata,
      ...(owner ? { ownerReferences: [{ uid: 'u-1', controller: true, ...owner }] } : {}),
    },
    ...rest,
  };
}

const RS = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc' };
const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const CRONJOB = { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly' };

describe('NEVER_RESTORED', () => {
  it("holds Velero's nonRestorableResources, and Lifeboat's additions marked as such", () => {
    expect(NEVER_RESTORED.filter((n) => n.source === 'velero').map((n) => n.groupResource)).toEqual([
      'nodes',
      'events',
      'events.events.k8s.io',
      'backups.velero.io',
      'restores.velero.io',
      'resticrepositories.velero.io',
      'backuprepositories.velero.io',
      'csinodes.storage.k8s.io',
      'volumeattachments.storage.k8s.io',
    ]);
    expect(NEVER_RESTORED.filter((n) => n.source === 'lifeboat').map((n) => n.groupResource)).toEqual([
      'leases.coordination.k8s.io',
      'ipaddresses.networking.k8s.io',
      'csistoragecapacities.storage.k8s.io',
    ]);
    for (const n of NEVER_RESTORED) expect(n.reason.length).toBeGreaterThan(20);
  });

  it('is found by groupResource or kubectl alias, any case', () => {
    expect(neverRestored('Nodes')?.groupResource).toBe('nodes');
    expect(neverRestored('no')?.groupResource).toBe('nodes');
    expect(neverRestored('ev')?.groupResource).toBe('events');
    expect(neverRestored('configmaps')).toBeUndefined();
  });
});

describe('Pods', () => {
  it('skips a mirror Pod', () => {
    const mirror = obj({ annotations: { 'kubernetes.io/config.mirror': 'abc' } }, { status: { phase: 'Running' } });
    expect(itemSkip('pods', mirror)?.code).toBe('recreated-by-controller');
    expect(itemSkip('pods', mirror)!.reason).toMatch(/mirror Pod/);
  });

  it('skips a Pod its controller recreates, when the owner is restored (or nothing says otherwise)', () => {
    const owned = obj({ owner: RS }, { status: { phase: 'Running' } });
    expect(itemSkip('pods', owned)).toEqual({
      code: 'recreated-by-controller',
      reason: 'its ReplicaSet web-abc is restored and its controller creates it again; restoring both would race it',
    });
    expect(itemSkip('pods', owned, { ownerRestored: () => true })?.code).toBe('recreated-by-controller');
  });

  it('restores a controller-owned Pod whose owner is not restored, and tells ownerRestored who the owner is', () => {
    const seen: unknown[] = [];
    const owned = obj({ owner: RS }, { status: { phase: 'Running' } });
    expect(itemSkip('pods', owned, { ownerRestored: (o) => (seen.push(o), false) })).toBeUndefined();
    expect(seen).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', namespace: 'shop' }]);
  });

  it('restores a Pod owned without controller: true, and a standalone one', () => {
    const weak = obj({ owner: { ...RS, controller: false } }, { status: { phase: 'Running' } });
    expect(itemSkip('pods', weak)).toBeUndefined();
    expect(itemSkip('pods', obj({}, { status: { phase: 'Pending' } }))).toBeUndefined();
  });

  it('skips completed Pods (Succeeded, Failed), even standalone', () => {
    expect(itemSkip('pods', obj({}, { status: { phase: 'Succeeded' } }))).toEqual({
      code: 'completed',
      reason: 'a Succeeded Pod: restoring it would run it again',
    });
    expect(itemSkip('pods', obj({}, { status: { phase: 'Failed' } }))?.code).toBe('completed');
  });
});

describe('ReplicaSets, ControllerRevisions, Jobs', () => {
  it("skips a Deployment's ReplicaSet, restores one of another owner or none", () => {
    expect(itemSkip('replicasets.apps', obj({ owner: DEPLOYMENT }))?.reason).toMatch(/Deployment web/);
    expect(
      itemSkip('replicasets.apps', obj({ owner: { apiVersion: 'x.io/v1', kind: 'Rollout', name: 'r' } })),
    ).toBeUndefined();
    expect(itemSkip('replicasets.apps', obj())).toBeUndefined();
    expect(itemSkip('replicasets.apps', obj({ owner: DEPLOYMENT }), { ownerRestored: () => false })).toBeUndefined();
  });

  it("skips a StatefulSet's or DaemonSet's ControllerRevision", () => {
    const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' };
    const ds = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent' };
    expect(itemSkip('controllerrevisions.apps', obj({ owner: sts }))?.code).toBe('recreated-by-controller');
    expect(itemSkip('controllerrevisions.apps', obj({ owner: ds }))?.code).toBe('recreated-by-controller');
    expect(itemSkip('controllerrevisions.apps', obj())).toBeUndefined();
  });

  it("skips a CronJob's Job; restores a standalone running one", () => {
    expect(itemSkip('jobs.batch', obj({ owner: CRONJOB }), {})?.reason).toMatch(/CronJob nightly/);
    expect(itemSkip('jobs.batch', obj({}, { status: { active: 1 } }))).toBeUndefined();
  });

  it('skips a completed Job (completionTime), and one that failed for good', () => {
    expect(itemSkip('jobs.batch', obj({}, { status: { completionTime: '2026-12-01T00:00:00Z' } }))).toEqual({
      code: 'completed',
      reason: 'a completed Job: restoring it would run it again',
    });
    const failed = obj({}, { status: { conditions: [{ type: 'Failed', status: 'True' }] } });
    expect(itemSkip('jobs.batch', failed)?.reason).toMatch(/failed Job/);
    const notYet = obj({}, { status: { conditions: [{ type: 'Failed', status: 'False' }] } });
    expect(itemSkip('jobs.batch', notYet)).toBeUndefined();
  });

  it('applies the owner rule only to the kinds whose controllers recreate them', () => {
    expect(itemSkip('configmaps', obj({ owner: DEPLOYMENT }))).toBeUndefined();
    expect(
      itemSkip('deployments.apps', obj({ owner: { apiVersion: 'x.io/v1', kind: 'App', name: 'a' } })),
    ).toBeUndefined();
  });
});

describe('Secrets', () => {
  const token = (name: string, account?: string) =>
    obj(
      { name, ...(account ? { annotations: { 'kubernetes.io/service-account.name': account } } : {}) },
      { type: 'kubernetes.io/service-account-token', data: { token: 'abc' } },
    );

  it('skips a token the ServiceAccount controller generated (<sa>-token-*), as Velero does', () => {
    expect(itemSkip('secrets', token('builder-token-x7k2p', 'builder'))).toMatchObject({
      code: 'recreated-by-controller',
    });
    expect(itemSkip('secrets', token('builder-token-x7k2p', 'builder'))!.reason).toMatch(/builder/);
  });

  it('restores a token Secret someone made (restore-object strips its token), and any other Secret', () => {
    expect(itemSkip('secrets', token('ci-long-lived', 'builder'))).toBeUndefined();
    expect(itemSkip('secrets', token('other-token-abc', 'builder'))).toBeUndefined();
    expect(itemSkip('secrets', token('builder-token-abc'))).toBeUndefined();
    expect(itemSkip('secrets', obj({ name: 'builder-token-x' }, { type: 'Opaque' }))).toBeUndefined();
  });
});

describe('objects the control plane maintains', () => {
  it('skips auto-registered APIServices, restores an aggregated one', () => {
    const auto = obj({ name: 'v1.apps', labels: { 'kube-aggregator.kubernetes.io/automanaged': 'onstart' } });
    expect(itemSkip('apiservices.apiregistration.k8s.io', auto)?.code).toBe('recreated-by-controller');
    expect(itemSkip('apiservices.apiregistration.k8s.io', obj({ name: 'v1beta1.metrics.k8s.io' }))).toBeUndefined();
  });

  it("skips the EndpointSlice controllers' slices, restores a hand-managed one", () => {
    const managed = (by: string) => obj({ labels: { 'endpointslice.kubernetes.io/managed-by': by } });
    expect(itemSkip('endpointslices.discovery.k8s.io', managed('endpointslice-controller.k8s.io'))?.code).toBe(
      'recreated-by-controller',
    );
    expect(itemSkip('endpointslices.discovery.k8s.io', managed('endpointslicemirroring-controller.k8s.io'))?.code).toBe(
      'recreated-by-controller',
    );
    expect(itemSkip('endpointslices.discovery.k8s.io', managed('my-operator'))).toBeUndefined();
  });

  it("skips the endpoints controller's Endpoints (a Service with a selector), restores hand-written ones", () => {
    const managed = obj({
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-12-01T00:00:00Z' },
    });
    expect(itemSkip('endpoints', managed)?.reason).toMatch(/endpoints controller/);
    expect(
      itemSkip('endpoints', obj({ labels: { 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' } }))?.code,
    ).toBe('recreated-by-controller');
    expect(itemSkip('endpoints', obj({ name: 'external-db' }))).toBeUndefined();
  });

  it('skips default RBAC the API server reconciles, unless autoupdate is turned off', () => {
    const defaults = (annotations: Record<string, string> = {}) =>
      obj({
        name: 'admin',
        namespace: undefined,
        labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
        annotations,
      });
    expect(itemSkip('clusterroles.rbac.authorization.k8s.io', defaults())?.code).toBe('recreated-by-controller');
    expect(
      itemSkip(
        'clusterrolebindings.rbac.authorization.k8s.io',
        defaults({ 'rbac.authorization.kubernetes.io/autoupdate': 'true' }),
      )?.code,
    ).toBe('recreated-by-controller');
    expect(
      itemSkip(
        'clusterroles.rbac.authorization.k8s.io',
        defaults({ 'rbac.authorization.kubernetes.io/autoupdate': 'false' }),
      ),
    ).toBeUndefined();
    expect(itemSkip('clusterroles.rbac.authorization.k8s.io', obj({ name: 'reader' }))).toBeUndefined();
  });

  it("skips the API server's own priority and fairness objects", () => {
    const apf = obj({ name: 'system-nodes', annotations: { 'apf.kubernetes.io/autoupdate-spec': 'true' } });
    expect(itemSkip('flowschemas.flowcontrol.apiserver.k8s.io', apf)?.code).toBe('recreated-by-controller');
    expect(itemSkip('prioritylevelconfigurations.flowcontrol.apiserver.k8s.io', apf)?.code).toBe(
      'recreated-by-controller',
    );
    expect(itemSkip('flowschemas.flowcontrol.apiserver.k8s.io', obj({ name: 'mine' }))).toBeUndefined();
  });
});

describe('nameSkip (decided in the plan, and again by itemSkip)', () => {
  it("skips the API server's default/kubernetes Service, Endpoints and EndpointSlice", () => {
    for (const gr of ['services', 'endpoints', 'endpointslices.discovery.k8s.io']) {
      expect(nameSkip({ groupResource: gr, namespace: 'default', name: 'kubernetes' })?.code).toBe(
        'recreated-by-controller',
      );
      expect(itemSkip(gr, obj({ name: 'kubernetes', namespace: 'default' }))?.code).toBe('recreated-by-controller');
    }
    expect(nameSkip({ groupResource: 'services', namespace: 'shop', name: 'kubernetes' })).toBeUndefined();
  });

  it("skips every namespace's kube-root-ca.crt ConfigMap", () => {
    expect(nameSkip({ groupResource: 'configmaps', namespace: 'shop', name: 'kube-root-ca.crt' })?.reason).toMatch(
      /root CA publisher/,
    );
    expect(nameSkip({ groupResource: 'configmaps', namespace: 'shop', name: 'app' })).toBeUndefined();
    expect(nameSkip({ groupResource: 'secrets', namespace: 'shop', name: 'kube-root-ca.crt' })).toBeUndefined();
  });
});

describe('anything else', () => {
  it('is restored, and input that is not an object is left to the reader to report', () => {
    expect(itemSkip('deployments.apps', obj())).toBeUndefined();
    expect(itemSkip('widgets.example.lifeboat.dev', obj({ owner: DEPLOYMENT }))).toBeUndefined();
    expect(itemSkip('pods', null)).toBeUndefined();
    expect(itemSkip('pods', 'text')).toBeUndefined();
    expect(itemSkip('pods', {})).toBeUndefined();
  });
});
