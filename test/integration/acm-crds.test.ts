import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterApiFor, type ClusterApi } from '../../activities/kube/cluster-api.js';
import { kubeStatus } from '../../activities/kube/client.js';
import { clusterSchema } from '../../core/config/schema.js';
import {
  AcmKinds,
  apiVersionOf,
  crdName,
  ensureAcmCrds,
  installAcmCrds,
  type AcmKind,
} from '../../devstack/tools/acm-crds.js';
import { uniqueName } from '../helpers/stack.js';

// The real ACM, Hive and OpenShift CRDs, fetched through the Go module proxy and cached (devstack/tools/acm-crds.ts),
// installed on the test control plane: every kind the ACM tests use is served as its CRD defines it, and objects
// valid under the real schemas are accepted while an invalid one is refused, so the schemas are in force.
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const objects = KubernetesObjectApi.makeApiClient(kc);

type WithSpec<S> = KubernetesObject & { spec: S };

const header = (k: AcmKind, name: string, namespace?: string) => ({
  apiVersion: apiVersionOf(k),
  kind: k.kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
});

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

function managedCluster(name: string): KubernetesObject {
  return {
    apiVersion: apiVersionOf(AcmKinds.ManagedCluster),
    kind: 'ManagedCluster',
    metadata: {
      name,
      labels: { cloud: 'Amazon', vendor: 'OpenShift', 'cluster.open-cluster-management.io/clusterset': 'default' },
    },
    spec: { hubAcceptsClient: true, leaseDurationSeconds: 60 },
  } as KubernetesObject;
}

/** An installed AWS cluster as Hive records it after provisioning. */
function clusterDeployment(namespace: string, name: string, platform?: unknown): KubernetesObject {
  return {
    apiVersion: apiVersionOf(AcmKinds.ClusterDeployment),
    kind: 'ClusterDeployment',
    metadata: { name, namespace },
    spec: {
      baseDomain: 'example.com',
      clusterName: name,
      ...(platform ? { platform } : {}),
      pullSecretRef: { name: `${name}-pull-secret` },
      installed: true,
      clusterMetadata: {
        clusterID: '0b6a3c1e-7f0d-4e59-a8d2-5c9e1f4b7a30',
        infraID: `${name}-x7k2p`,
        adminKubeconfigSecretRef: { name: `${name}-admin-kubeconfig` },
        adminPasswordSecretRef: { name: `${name}-admin-password` },
      },
    },
  } as KubernetesObject;
}

const AWS = { aws: { region: 'us-east-1', credentialsSecretRef: { name: 'aws-creds' } } };

describe('the real ACM CRDs', () => {
  let api: ClusterApi;
  let files: string[];
  let names: string[];
  const namespace = uniqueName('acm-crds');
  const clusterName = uniqueName('prod-east');

  beforeAll(async () => {
    // A cold cache downloads the modules (seconds on a quick proxy): the hook's time allows for a slow one.
    files = await ensureAcmCrds();
    names = await installAcmCrds(kc, files);
    api = await clusterApiFor(clusterSchema.parse({ name: 'acm-crds', api: { kubeconfig: inject('kubeconfig') } }));
    await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  }, 600_000);

  afterAll(async () => {
    await api?.close();
    const gone = (err: unknown) => {
      if (kubeStatus(err) !== 404) throw err;
    };
    await objects.delete(managedCluster(clusterName)).catch(gone);
    await objects.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }).catch(gone);
  });

  it('takes every CRD from the cache, downloads nothing the second time, and installs again over itself', async () => {
    expect(files.every((f) => existsSync(f))).toBe(true);
    const said: string[] = [];
    const record = (message: string) => void said.push(message);
    expect(await ensureAcmCrds({ step: record, tick: record, done: record })).toEqual(files);
    expect(said).toEqual([]);
    expect([...names].sort()).toEqual(Object.values(AcmKinds).map(crdName).sort());
    // Again over the CRDs just made, as a second test file or a long-lived control plane does.
    expect(await installAcmCrds(kc, files)).toEqual(names);
  });

  it('serves every kind through discovery, with its scope', async () => {
    const byGroupVersion = new Map<string, AcmKind[]>();
    for (const k of Object.values(AcmKinds))
      byGroupVersion.set(apiVersionOf(k), [...(byGroupVersion.get(apiVersionOf(k)) ?? []), k]);
    for (const [groupVersion, kinds] of byGroupVersion) {
      const list = await api.get<ApiResourceList>(`/apis/${groupVersion}`);
      for (const k of kinds)
        expect(list.resources, `${k.kind} in ${groupVersion}`).toContainEqual(
          expect.objectContaining({ name: k.plural, kind: k.kind, namespaced: k.namespaced }),
        );
    }
  });

  it('accepts a ManagedCluster and a ClusterDeployment valid under the real schemas', async () => {
    await objects.create(managedCluster(clusterName));
    await objects.create(clusterDeployment(namespace, clusterName, AWS));

    const mc = await objects.read<WithSpec<unknown>>(header(AcmKinds.ManagedCluster, clusterName));
    expect(mc.spec).toMatchObject({ hubAcceptsClient: true, leaseDurationSeconds: 60 });
    const cd = await objects.read<WithSpec<{ platform: unknown; clusterMetadata: { infraID: string } }>>(
      header(AcmKinds.ClusterDeployment, clusterName, namespace),
    );
    expect(cd.spec.platform).toEqual(AWS);
    expect(cd.spec.clusterMetadata.infraID).toBe(`${clusterName}-x7k2p`);
  });

  it('refuses a ClusterDeployment without the platform its schema requires', async () => {
    const refused = await objects
      .create(clusterDeployment(namespace, `${clusterName}-bad`))
      .catch((err: unknown) => err);
    expect(kubeStatus(refused)).toBe(422);
    expect(String((refused as Error).message)).toContain('spec.platform');
  });
});
