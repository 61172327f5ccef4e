import { randomBytes } from 'node:crypto';
import { AcmKinds, apiVersionOf, type AcmKind } from '../../devstack/tools/acm-crds.js';
import type { RawApi } from './resource-load.js';

/**
 * A simulated ACM hub for bench/acm-hub.ts, made of the real ACM/Hive CRDs (devstack/tools/acm-crds.ts), in ACM's
 * published proportions for a hub of ~3,500 managed clusters (51,422 managed-cluster items, 29,387 credential items,
 * 14,886 resource items: per cluster ~15, ~8 and ~4). Per managed cluster, in its own namespace:
 *   - managed-clusters (15): the ManagedCluster (cluster-scoped), a Hive ClusterDeployment, two MachinePools, a
 *     KlusterletAddonConfig and ten ManagedClusterAddOns (the addons an ACM 2.x hub enables per cluster);
 *   - credentials (8): seven Secrets and a ConfigMap labelled as the operator's selection and its pre-backup step leave
 *     them (hive.openshift.io/secret-type, cluster.open-cluster-management.io/type or .../backup with the value the
 *     labeller writes): admin kubeconfig and password, pull secret, install config, cloud credentials, SSH key,
 *     certificate bundle, CA ConfigMap; all already labelled, as after a first set, so the labelling step patches nothing;
 *   - never backed up (4): the import Secret (unlabelled), two ManifestWorks (an excluded group) and a replicated
 *     Policy (labelled root-policy, which the resources type leaves out).
 * Hub resources, ~4.25 per cluster, indexed by cluster so a hub of the first M clusters holds the first of them: a
 * root Policy, its Placement and PlacementBinding, an application Subscription or Placement; per 10 clusters a
 * PlacementDecision, per 20 a Channel, a ManagedClusterSet and its binding. Generic (cluster.open-cluster-management.io/
 * backup): a ServiceAccount per 100 clusters, an activation-labelled Placement per 200. Hub-wide: a local-cluster
 * (which no type holds), the MultiClusterHub's namespace with its `charts-v1` Channel (which the resources type leaves
 * out) and 10 ClusterImageSets. Payloads are random base64 where real ones are keys and certificates.
 */

const ADDONS = [
  'application-manager',
  'cert-policy-controller',
  'cluster-proxy',
  'config-policy-controller',
  'governance-policy-framework',
  'managed-serviceaccount',
  'observability-controller',
  'search-collector',
  'work-manager',
  'hypershift-addon',
];
const IMAGE_SETS = 10;
const MCH_NAMESPACE = 'open-cluster-management';
export const LOCAL_CLUSTER = 'local-cluster';

export interface HubObject {
  path: string;
  body: Record<string, unknown>;
}

export const clusterName = (i: number) => `cluster-${String(i).padStart(5, '0')}`;
const setName = (i: number) => `set-${Math.floor(i / 20)}`;
/** The hub-resource namespaces: one policies and one apps namespace per 250 clusters of the whole hub. */
export const hubNamespaceCount = (clusters: number) => Math.max(1, Math.ceil(clusters / 250));
const policiesNs = (i: number, n: number) => `policies-${i % n}`;
const appsNs = (i: number, n: number) => `apps-${i % n}`;

const b64 = (bytes: number) => randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');

function collection(kind: AcmKind, namespace?: string): string {
  return `/apis/${kind.group}/${kind.version}${namespace ? `/namespaces/${namespace}` : ''}/${kind.plural}`;
}

function custom(kind: AcmKind, name: string, namespace: string | undefined, rest: Record<string, unknown>) {
  return {
    path: collection(kind, namespace),
    body: {
      apiVersion: apiVersionOf(kind),
      kind: kind.kind,
      metadata: { name, ...(namespace ? { namespace } : {}), ...(rest['metadata'] as object | undefined) },
      ...Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'metadata')),
    },
  };
}

function secret(namespace: string, name: string, labels: Record<string, string>, data: Record<string, number>) {
  return {
    path: `/api/v1/namespaces/${namespace}/secrets`,
    body: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, labels },
      type: 'Opaque',
      data: Object.fromEntries(Object.entries(data).map(([k, bytes]) => [k, b64(bytes)])),
    },
  };
}

export function namespaceObject(name: string, labels: Record<string, string> = {}): HubObject {
  return { path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } };
}

/** What each typed backup should hold of a hub of `clusters` clusters, by this load's construction. */
export function expectedCounts(clusters: number): Record<string, number> {
  const per = (every: number) => Math.ceil(clusters / every);
  return {
    'managed-clusters': clusters * 15 + IMAGE_SETS,
    credentials: clusters * 8,
    resources: clusters * 4 + per(10) + 3 * per(20),
    'resources-generic': per(100) + per(200),
  };
}

/** The hub-wide objects (namespaces first): the hub-resource namespaces, local-cluster, the MultiClusterHub's. */
export function hubBase(totalClusters: number): HubObject[] {
  const n = hubNamespaceCount(totalClusters);
  const objects: HubObject[] = [
    namespaceObject(LOCAL_CLUSTER),
    namespaceObject(MCH_NAMESPACE),
    ...Array.from({ length: n }, (_, k) => namespaceObject(policiesNs(k, n))),
    ...Array.from({ length: n }, (_, k) => namespaceObject(appsNs(k, n))),
    custom(AcmKinds.ManagedCluster, LOCAL_CLUSTER, undefined, {
      metadata: { labels: { 'local-cluster': 'true', cloud: 'Amazon', vendor: 'OpenShift' } },
      spec: { hubAcceptsClient: true, leaseDurationSeconds: 60 },
    }),
    custom(AcmKinds.Placement, 'local-placement', LOCAL_CLUSTER, { spec: {} }),
    custom(AcmKinds.Channel, 'charts-v1', MCH_NAMESPACE, {
      spec: { type: 'HelmRepo', pathname: 'http://multiclusterhub-repo.open-cluster-management.svc:3000/charts' },
    }),
  ];
  for (let k = 0; k < IMAGE_SETS; k++)
    objects.push(
      custom(AcmKinds.ClusterImageSet, `img4.14.${k}-x86-64-appsub`, undefined, {
        metadata: { labels: { channel: 'fast', visible: 'true' } },
        spec: { releaseImage: `quay.io/openshift-release-dev/ocp-release:4.14.${k}-x86_64` },
      }),
    );
  return objects;
}

/** Cluster i's namespace, then everything in it and its share of the hub resources. */
export function clusterObjects(i: number, totalClusters: number): HubObject[] {
  const c = clusterName(i);
  const n = hubNamespaceCount(totalClusters);
  const pns = policiesNs(i, n);
  const ans = appsNs(i, n);
  const objects: HubObject[] = [];
  objects.push(
    custom(AcmKinds.ManagedCluster, c, undefined, {
      metadata: {
        labels: {
          cloud: 'Amazon',
          vendor: 'OpenShift',
          name: c,
          region: ['us-east-1', 'eu-west-1', 'ap-south-1'][i % 3]!,
          'cluster.open-cluster-management.io/clusterset': setName(i),
        },
      },
      spec: {
        hubAcceptsClient: true,
        leaseDurationSeconds: 60,
        managedClusterClientConfigs: [{ url: `https://api.${c}.example.com:6443`, caBundle: b64(1600) }],
      },
    }),
    custom(AcmKinds.ClusterDeployment, c, c, {
      metadata: {
        labels: { 'hive.openshift.io/cluster-platform': 'aws', 'hive.openshift.io/cluster-region': 'us-east-1' },
      },
      spec: {
        baseDomain: 'example.com',
        clusterName: c,
        installed: true,
        platform: { aws: { region: 'us-east-1', credentialsSecretRef: { name: `${c}-aws-creds` } } },
        pullSecretRef: { name: `${c}-pull-secret` },
        certificateBundles: [{ name: 'bundle', certificateSecretRef: { name: `${c}-certificate-bundle` } }],
        provisioning: {
          installConfigSecretRef: { name: `${c}-install-config` },
          imageSetRef: { name: `img4.14.${i % IMAGE_SETS}-x86-64-appsub` },
          sshPrivateKeySecretRef: { name: `${c}-ssh-private-key` },
        },
        clusterMetadata: {
          clusterID: `${c}-0f3c5b1e-7d2a-4b8e-9c61-${String(i).padStart(12, '0')}`,
          infraID: `${c}-x7k2p`,
          adminKubeconfigSecretRef: { name: `${c}-admin-kubeconfig` },
          adminPasswordSecretRef: { name: `${c}-admin-password` },
        },
      },
    }),
  );
  for (const pool of ['worker', 'infra'])
    objects.push(
      custom(AcmKinds.MachinePool, `${c}-${pool}`, c, {
        spec: {
          clusterDeploymentRef: { name: c },
          name: pool,
          replicas: 3,
          platform: { aws: { type: 'm6i.xlarge', rootVolume: { size: 120, type: 'gp3', iops: 3000 } } },
        },
      }),
    );
  objects.push(
    custom(AcmKinds.KlusterletAddonConfig, c, c, {
      spec: {
        clusterName: c,
        clusterNamespace: c,
        clusterLabels: { cloud: 'Amazon', vendor: 'OpenShift' },
        applicationManager: { enabled: true },
        certPolicyController: { enabled: true },
        policyController: { enabled: true },
        searchCollector: { enabled: true },
      },
    }),
  );
  for (const addon of ADDONS)
    objects.push(
      custom(AcmKinds.ManagedClusterAddOn, addon, c, {
        spec: { installNamespace: 'open-cluster-management-agent-addon' },
      }),
    );

  // Credentials: already labelled, as the pre-backup step leaves them.
  const hive = (type: string) => ({ 'hive.openshift.io/secret-type': type });
  const backup = (value: string) => ({ 'cluster.open-cluster-management.io/backup': value });
  objects.push(
    secret(c, `${c}-admin-kubeconfig`, hive('kubeconfig'), { kubeconfig: 6000, 'raw-kubeconfig': 6000 }),
    secret(c, `${c}-admin-password`, hive('kubeadminpassword'), { username: 12, password: 32 }),
    secret(c, `${c}-pull-secret`, backup('pullsecret'), { '.dockerconfigjson': 2800 }),
    secret(c, `${c}-install-config`, hive('install-config'), { 'install-config.yaml': 3000 }),
    secret(
      c,
      `${c}-aws-creds`,
      { 'cluster.open-cluster-management.io/type': 'aws' },
      {
        aws_access_key_id: 28,
        aws_secret_access_key: 56,
      },
    ),
    secret(c, `${c}-ssh-private-key`, hive('ssh-private-key'), { 'ssh-privatekey': 3400 }),
    secret(c, `${c}-certificate-bundle`, backup('certificatebundle'), { 'ca.crt': 2000 }),
    {
      path: `/api/v1/namespaces/${c}/configmaps`,
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${c}-ca`, namespace: c, labels: { 'cluster.open-cluster-management.io/type': 'ca' } },
        data: { 'ca.crt': b64(1600) },
      },
    },
  );

  // Never backed up: the import secret, the ManifestWorks, the replicated policy.
  objects.push(
    secret(c, `${c}-import`, {}, { 'crds.yaml': 4000, 'import.yaml': 6000 }),
    ...['klusterlet', 'addon-work'].map((w) =>
      custom(AcmKinds.ManifestWork, `${c}-${w}`, c, {
        spec: { workload: { manifests: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${w}-ns` } }] } },
      }),
    ),
    custom(AcmKinds.Policy, `${pns}.policy-${i}`, c, {
      metadata: { labels: { 'policy.open-cluster-management.io/root-policy': `${pns}.policy-${i}` } },
      spec: policySpec(i),
    }),
  );

  // Hub resources.
  objects.push(
    custom(AcmKinds.Policy, `policy-${i}`, pns, { spec: policySpec(i) }),
    custom(AcmKinds.Placement, `placement-${i}`, pns, {
      spec: {
        clusterSets: [setName(i)],
        predicates: [{ requiredClusterSelector: { labelSelector: { matchLabels: { cloud: 'Amazon' } } } }],
      },
    }),
    custom(AcmKinds.PlacementBinding, `binding-${i}`, pns, {
      placementRef: { apiGroup: AcmKinds.Placement.group, kind: 'Placement', name: `placement-${i}` },
      subjects: [{ apiGroup: AcmKinds.Policy.group, kind: 'Policy', name: `policy-${i}` }],
    }),
    i % 2 === 0
      ? custom(AcmKinds.Subscription, `app-${i}`, ans, {
          metadata: { annotations: { 'apps.open-cluster-management.io/git-path': `apps/app-${i}` } },
          spec: { channel: `${appsNs(Math.floor(i / 20), n)}/channel-${Math.floor(i / 20)}`, placement: {} },
        })
      : custom(AcmKinds.Placement, `app-placement-${i}`, ans, { spec: { clusterSets: [setName(i)] } }),
  );
  if (i % 10 === 0) objects.push(custom(AcmKinds.PlacementDecision, `placement-${i}-decision-1`, pns, {}));
  if (i % 20 === 0) {
    const k = Math.floor(i / 20);
    objects.push(
      custom(AcmKinds.Channel, `channel-${k}`, appsNs(k, n), {
        spec: { type: 'Git', pathname: `https://git.example.com/fleet/apps-${k}.git` },
      }),
      custom(AcmKinds.ManagedClusterSet, setName(i), undefined, { spec: {} }),
      custom(AcmKinds.ManagedClusterSetBinding, setName(i), pns, { spec: { clusterSet: setName(i) } }),
    );
  }
  // Generic.
  if (i % 100 === 0)
    objects.push({
      path: `/api/v1/namespaces/${ans}/serviceaccounts`,
      body: {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: `generic-sa-${i}`, namespace: ans, labels: backup('generic') },
      },
    });
  if (i % 200 === 0)
    objects.push(
      custom(AcmKinds.Placement, `activation-placement-${i}`, pns, {
        metadata: { labels: backup('cluster-activation') },
        spec: {},
      }),
    );
  return objects;
}

function policySpec(i: number) {
  return {
    disabled: false,
    remediationAction: 'inform',
    'policy-templates': [
      {
        objectDefinition: {
          apiVersion: 'policy.open-cluster-management.io/v1',
          kind: 'ConfigurationPolicy',
          metadata: { name: `policy-${i}-config` },
          spec: {
            remediationAction: 'inform',
            severity: 'low',
            'object-templates': [
              {
                complianceType: 'musthave',
                objectDefinition: {
                  apiVersion: 'v1',
                  kind: 'Namespace',
                  metadata: { name: `required-ns-${i % 50}`, labels: { owner: `team-${i % 12}` } },
                },
              },
            ],
          },
        },
      },
    ],
  };
}

/** Creates `objects` with `concurrency` requests in flight, in order as far as the workers take them. */
export async function createAll(
  api: RawApi,
  objects: Iterable<HubObject>,
  concurrency: number,
  progress?: (done: number) => void,
): Promise<number> {
  const it = objects[Symbol.iterator]();
  let done = 0;
  const worker = async () => {
    for (let r = it.next(); !r.done; r = it.next()) {
      await api.create(r.value.path, r.value.body);
      if (++done % 10_000 === 0) progress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done;
}

/** Clusters [from, to) of a hub of `total`: every cluster namespace first, then their objects. */
export async function loadClusters(
  api: RawApi,
  range: { from: number; to: number; total: number },
  concurrency: number,
  progress?: (done: number) => void,
): Promise<number> {
  const ids = Array.from({ length: range.to - range.from }, (_, k) => range.from + k);
  const namespaces = await createAll(
    api,
    ids.map((i) => namespaceObject(clusterName(i))),
    concurrency,
  );
  function* all() {
    for (const i of ids) yield* clusterObjects(i, range.total);
  }
  return namespaces + (await createAll(api, all(), concurrency, progress));
}
