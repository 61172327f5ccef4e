import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type { AcmBackupType } from '../../core/acm/backup-selection.js';
import { backupName, workflowIds } from '../../core/naming.js';
import { join } from 'node:path';
import { inject } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../devstack/kube/control-plane.js';
import {
  grantCredentialLabellerAccess,
  grantResourceReaderAccess,
  grantResourceRestorerAccess,
} from '../../devstack/kube/worker-access.js';
import { freePorts } from '../../devstack/ports.js';
import { ensureAcmCrds, installAcmCrds } from '../../devstack/tools/acm-crds.js';
import type { ToolPaths } from '../../devstack/tools/build.js';
import type { acmBackup } from '../../workflows/index.js';
import { uniqueName, type TestWorker } from './stack.js';

/**
 * A small ACM hub on the test control plane, made of the real CRDs (devstack/tools/acm-crds.ts): a Hive managed cluster
 * with its namespace, credentials (two of them unlabelled, named by its ClusterDeployment, for the pre-backup
 * labelling), Hive ClusterDeployment and addon config; a local-cluster; policies, placements and
 * a cluster set; generic-labelled objects; and objects of the kinds the operator never backs up. Every name starts
 * with the fixture's id, so assertions read this fixture and nothing of the test files running beside it.
 * `expected` says, per type, which objects the operator's selection puts in that backup, as the resource list names
 * them (`<apiVersion>/<Kind>` to `<namespace>/<name>` or `<name>`).
 */
export interface HubFixture {
  id: string;
  namespaces: { managed: string; imported: string; apps: string; local: string };
  /** The imported cluster's API URL (spec.managedClusterClientConfigs) and its ManagedServiceAccount token. */
  imported: { url: string; token: string };
  expected: Record<AcmBackupType, Record<string, string[]>>;
  /** Objects of this fixture that no type may hold, as `<apiVersion>/<Kind>` to names. */
  nowhere: Record<string, string[]>;
  cleanup(): Promise<void>;
}

const label = (labels: Record<string, string>) => ({ labels });

export async function createHubFixture(kc: KubeConfig, id: string): Promise<HubFixture> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const managed = `${id}-mc`;
  const apps = `${id}-apps`;
  const local = `${id}-local`;
  const imported = `${id}-imp`;
  const importedUrl = `https://${imported}.example.test:6443`;
  const importedToken = `token-of-${imported}`;
  const created: KubernetesObject[] = [];
  const create = async (object: KubernetesObject & Record<string, unknown>) => {
    await api.create(object);
    created.push(object);
  };

  for (const name of [managed, imported, apps, local])
    await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

  // Credentials: Secrets and ConfigMaps carrying one of the three labels; an unlabelled Secret stays out.
  await create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `${id}-admin-kubeconfig`,
      namespace: managed,
      ...label({ 'hive.openshift.io/secret-type': 'kubeconfig' }),
    },
    stringData: { kubeconfig: 'apiVersion: v1\nkind: Config\n' },
  });
  await create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${id}-ca`, namespace: managed, ...label({ 'cluster.open-cluster-management.io/type': 'ca' }) },
    data: { 'ca.crt': 'not a real CA' },
  });
  await create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${id}-plain`, namespace: managed },
    stringData: { value: 'not a credential' },
  });
  // Unlabelled, but named by the ClusterDeployment: the pre-backup step labels them, so they are in the backup.
  await create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${id}-pull`, namespace: managed },
    stringData: { '.dockerconfigjson': '{"auths":{}}' },
  });
  await create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${id}-bundle`, namespace: managed },
    stringData: { 'ca.crt': 'not a real bundle' },
  });

  // Managed clusters: the activation kinds.
  await create({
    apiVersion: 'cluster.open-cluster-management.io/v1',
    kind: 'ManagedCluster',
    metadata: { name: managed },
    spec: { hubAcceptsClient: true },
  });
  await create({
    apiVersion: 'cluster.open-cluster-management.io/v1',
    kind: 'ManagedCluster',
    metadata: { name: local, ...label({ 'local-cluster': 'true' }) },
    spec: { hubAcceptsClient: true },
  });
  // An imported (non-Hive) cluster: a URL and a ManagedServiceAccount token, unlabelled until the pre-backup step.
  await create({
    apiVersion: 'cluster.open-cluster-management.io/v1',
    kind: 'ManagedCluster',
    metadata: { name: imported },
    spec: { hubAcceptsClient: true, managedClusterClientConfigs: [{ url: importedUrl }] },
  });
  await create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'auto-import-account',
      namespace: imported,
      ...label({ 'authentication.open-cluster-management.io/is-managed-serviceaccount': 'true' }),
    },
    stringData: { token: importedToken },
  });
  await create({
    apiVersion: 'hive.openshift.io/v1',
    kind: 'ClusterDeployment',
    metadata: { name: managed, namespace: managed },
    spec: {
      baseDomain: 'example.com',
      clusterName: managed,
      platform: { aws: { region: 'us-east-1', credentialsSecretRef: { name: `${id}-aws` } } },
      pullSecretRef: { name: `${id}-pull` },
      certificateBundles: [{ name: 'bundle', certificateSecretRef: { name: `${id}-bundle` } }],
      installed: true,
      clusterMetadata: {
        clusterID: `${id}-cluster-id`,
        infraID: `${id}-infra`,
        adminKubeconfigSecretRef: { name: `${id}-admin-kubeconfig` },
      },
    },
  });
  await create({
    apiVersion: 'agent.open-cluster-management.io/v1',
    kind: 'KlusterletAddonConfig',
    metadata: { name: managed, namespace: managed },
    spec: {
      clusterName: managed,
      clusterNamespace: managed,
      applicationManager: { enabled: true },
      certPolicyController: { enabled: true },
      policyController: { enabled: true },
      searchCollector: { enabled: true },
    },
  });

  // Resources: placements, policies, cluster sets; a replicated (child) policy and the local-cluster's namespace stay out.
  await create({
    apiVersion: 'cluster.open-cluster-management.io/v1beta1',
    kind: 'Placement',
    metadata: { name: `${id}-placement`, namespace: apps },
    spec: {},
  });
  await create({
    apiVersion: 'cluster.open-cluster-management.io/v1beta1',
    kind: 'Placement',
    metadata: { name: `${id}-local-placement`, namespace: local },
    spec: {},
  });
  await create({
    apiVersion: 'policy.open-cluster-management.io/v1',
    kind: 'Policy',
    metadata: { name: `${id}-policy`, namespace: apps },
    spec: { disabled: false, 'policy-templates': [] },
  });
  await create({
    apiVersion: 'policy.open-cluster-management.io/v1',
    kind: 'Policy',
    metadata: {
      name: `${apps}.${id}-policy`,
      namespace: managed,
      ...label({ 'policy.open-cluster-management.io/root-policy': `${apps}.${id}-policy` }),
    },
    spec: { disabled: false, 'policy-templates': [] },
  });
  await create({
    apiVersion: 'cluster.open-cluster-management.io/v1beta2',
    kind: 'ManagedClusterSet',
    metadata: { name: `${id}-set` },
    spec: {},
  });

  // Generic: any other kind labelled cluster.open-cluster-management.io/backup.
  await create({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: `${id}-generic`,
      namespace: apps,
      ...label({ 'cluster.open-cluster-management.io/backup': 'generic' }),
    },
  });

  // Never backed up: an excluded group (ManifestWork) and an excluded kind (the OCM ClusterClaim).
  await create({
    apiVersion: 'work.open-cluster-management.io/v1',
    kind: 'ManifestWork',
    metadata: { name: `${id}-work`, namespace: managed },
    spec: { workload: { manifests: [] } },
  });
  await create({
    apiVersion: 'cluster.open-cluster-management.io/v1alpha1',
    kind: 'ClusterClaim',
    metadata: { name: `${id}-claim` },
    spec: { value: 'x' },
  });

  return {
    id,
    namespaces: { managed, imported, apps, local },
    imported: { url: importedUrl, token: importedToken },
    expected: {
      credentials: {
        'v1/Secret': [
          `${imported}/auto-import-account`,
          `${managed}/${id}-admin-kubeconfig`,
          `${managed}/${id}-bundle`,
          `${managed}/${id}-pull`,
        ],
        'v1/ConfigMap': [`${managed}/${id}-ca`],
      },
      'managed-clusters': {
        'cluster.open-cluster-management.io/v1/ManagedCluster': [imported, managed],
        'hive.openshift.io/v1/ClusterDeployment': [`${managed}/${managed}`],
        'agent.open-cluster-management.io/v1/KlusterletAddonConfig': [`${managed}/${managed}`],
      },
      'resources-generic': {
        'v1/ServiceAccount': [`${apps}/${id}-generic`],
      },
      resources: {
        'cluster.open-cluster-management.io/v1beta1/Placement': [`${apps}/${id}-placement`],
        'policy.open-cluster-management.io/v1/Policy': [`${apps}/${id}-policy`],
        'cluster.open-cluster-management.io/v1beta2/ManagedClusterSet': [`${id}-set`],
      },
    },
    nowhere: {
      'v1/Secret': [`${managed}/${id}-plain`],
      'cluster.open-cluster-management.io/v1/ManagedCluster': [local],
      'cluster.open-cluster-management.io/v1beta1/Placement': [`${local}/${id}-local-placement`],
      'policy.open-cluster-management.io/v1/Policy': [`${managed}/${apps}.${id}-policy`],
      'work.open-cluster-management.io/v1/ManifestWork': [`${managed}/${id}-work`],
      'cluster.open-cluster-management.io/v1alpha1/ClusterClaim': [`${id}-claim`],
    },
    async cleanup() {
      for (const object of created.reverse()) await api.delete(object).catch(() => undefined);
    },
  };
}

/** One hub backup set of `policy` at the nominal time `set` (ISO), run to its end. */
export async function backUpHub(tw: TestWorker, cluster: string, policy: string, set: string) {
  const handle = await tw.client.workflow.start<typeof acmBackup>('acmBackup', {
    args: [{ cluster, policy, requestedAt: set }],
    taskQueue: tw.taskQueue,
    workflowId: workflowIds.acmBackup(cluster, policy, backupName(policy, new Date(set))),
  });
  return handle.result();
}

/** A control plane of a test's own with the ACM CRDs, and the identities production ships, each its kubeconfig. */
export interface PrivateHub {
  plane: ControlPlane;
  /** Cluster-admin, for the fixture and the assertions. */
  kc: KubeConfig;
  reader: string;
  restorer: string;
  labeller: string;
}

/**
 * A hub that only this test file backs up and restores into: the shared test control plane holds the other files'
 * objects, which a hub backup (it selects across the cluster) would take in and a restore would bring back.
 */
export async function startPrivateHub(name: string): Promise<PrivateHub> {
  const [apiServerPort, etcdClientPort, etcdPeerPort, schedulerPort] = (await freePorts(4)) as [
    number,
    number,
    number,
    number,
  ];
  const dataDir = join(inject('dataDir'), uniqueName(name));
  const [crds, plane] = await Promise.all([
    ensureAcmCrds(),
    startControlPlane({
      tools: inject('tools') as ToolPaths,
      dataDir,
      apiServerPort,
      etcdClientPort,
      etcdPeerPort,
      schedulerPort,
      unsafeNoFsync: true,
    }),
  ]);
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(plane.adminKubeconfig);
    await installAcmCrds(kc, crds);
    const [reader, restorer, labeller] = await Promise.all([
      grantResourceReaderAccess(plane, dataDir),
      grantResourceRestorerAccess(plane, dataDir),
      grantCredentialLabellerAccess(plane, dataDir),
    ]);
    return { plane, kc, reader, restorer, labeller };
  } catch (err) {
    // The caller never gets this plane to stop: it would outlive the test run.
    await plane.stop();
    throw err;
  }
}
