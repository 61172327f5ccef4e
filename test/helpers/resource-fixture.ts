import {
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { uniqueName } from './stack.js';
import { waitFor } from './kube.js';

/**
 * A uniquely named set of objects in the test control plane for resource backups to read: three namespaces holding
 * the common kinds, a CRD with custom resources, cluster-scoped objects (ClusterRoles, a StorageClass, a PV bound to
 * a PVC), labels for the selectors, and objects of several kinds carrying each exclude label. Everything it creates
 * but the namespaces carries `lifeboat.dev/fixture=<id>`, so a selector on that label reads this fixture and nothing
 * of the test files running beside it. Created as cluster admin; the backups read it as their own identity.
 *
 * Workloads have no replicas (no Pod runs), but the controllers still make their by-products (ReplicaSets, a
 * ControllerRevision, Endpoints, EndpointSlices, each namespace's `default` ServiceAccount and `kube-root-ca.crt`):
 * a backup holds them too, so `inventory()` lists what the namespaces hold as the API serves it, labels included.
 */

export const FIXTURE_LABEL = 'lifeboat.dev/fixture';
/** On the fixture's namespaces instead of FIXTURE_LABEL. */
export const NAMESPACE_LABEL = 'lifeboat.dev/fixture-namespace';
export const LIFEBOAT_EXCLUDE = 'lifeboat.dev/exclude-from-backup';
export const VELERO_EXCLUDE = 'velero.io/exclude-from-backup';

/** One object as a backup must archive it: Velero's directory name, scope and preferred version. */
export interface FixtureItem {
  /** groupResource: `configmaps`, `deployments.apps`. */
  resource: string;
  /** The version of the path's `<version>-preferredversion` directory. */
  version: string;
  /** Undefined for cluster-scoped objects. */
  namespace?: string;
  name: string;
  labels: Record<string, string>;
}

/** A resource the inventory lists: its API coordinates and Velero's name for it. */
interface Listed {
  apiVersion: string;
  kind: string;
  resource: string;
}

/** What the fixture's namespaces can hold, given what it creates and what the controllers make of it. */
const NAMESPACED: Listed[] = [
  { apiVersion: 'v1', kind: 'ConfigMap', resource: 'configmaps' },
  { apiVersion: 'v1', kind: 'Secret', resource: 'secrets' },
  { apiVersion: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts' },
  { apiVersion: 'v1', kind: 'Service', resource: 'services' },
  { apiVersion: 'v1', kind: 'Endpoints', resource: 'endpoints' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims' },
  { apiVersion: 'v1', kind: 'Pod', resource: 'pods' },
  { apiVersion: 'v1', kind: 'Event', resource: 'events' },
  { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments.apps' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', resource: 'replicasets.apps' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', resource: 'statefulsets.apps' },
  { apiVersion: 'apps/v1', kind: 'ControllerRevision', resource: 'controllerrevisions.apps' },
  { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', resource: 'endpointslices.discovery.k8s.io' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', resource: 'roles.rbac.authorization.k8s.io' },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    resource: 'rolebindings.rbac.authorization.k8s.io',
  },
];

const CLUSTER_SCOPED: Listed[] = [
  { apiVersion: 'v1', kind: 'Namespace', resource: 'namespaces' },
  { apiVersion: 'v1', kind: 'PersistentVolume', resource: 'persistentvolumes' },
  { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', resource: 'storageclasses.storage.k8s.io' },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    resource: 'clusterroles.rbac.authorization.k8s.io',
  },
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    resource: 'customresourcedefinitions.apiextensions.k8s.io',
  },
];

export interface ResourceFixture {
  id: string;
  /** `<id>-shop`, `<id>-shop-db`, `<id>-other`: what the namespace globs choose between. */
  namespaces: { shop: string; shopDb: string; other: string };
  /** A namespace outside every `<id>-*` glob, for the bulk ConfigMaps and the narrow identity's ServiceAccount. */
  aux: string;
  crd: { name: string; group: string; plural: string; kind: string; resource: string };
  cluster: { clusterRole: string; excludedClusterRole: string; storageClass: string; pv: string };
  /** The PVC bound to `cluster.pv`, in `namespaces.shop`. */
  pvc: string;
  /** The Secret `web-tls` in `namespaces.shop`, as created: a backup must hold exactly this data. */
  secretData: Record<string, string>;
  /** Objects carrying an exclude label: never in a backup. */
  excluded: { resource: string; namespace?: string; name: string; label: string }[];
  /** Everything in the fixture's namespaces (and aux's) and the fixture's cluster-scoped objects, as served now. */
  inventory(): Promise<FixtureItem[]>;
  /** Creates `count` ConfigMaps of about `bytes` each in `aux` (incompressible data), `parallel` at a time. */
  addBulk(count: number, bytes: number, parallel?: number): Promise<void>;
  /**
   * A kubeconfig for a ServiceAccount in `aux` bound to a ClusterRole with only these rules: an identity narrower
   * than the resource reader, made here because the admin can (the test has no CA key).
   */
  narrowKubeconfig(
    name: string,
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[],
    dir: string,
  ): Promise<string>;
  delete(): Promise<void>;
}

type Labels = Record<string, string>;

/** Creates the fixture and waits until the controllers have made their by-products and bound the PV. */
export async function createResourceFixture(kc: KubeConfig): Promise<ResourceFixture> {
  const id = uniqueName('rb');
  const api = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = { shop: `${id}-shop`, shopDb: `${id}-shop-db`, other: `${id}-other` };
  const aux = `aux-${id}`;
  const group = `${id}.fixture.lifeboat.dev`;
  const crd = { name: `widgets.${group}`, group, plural: 'widgets', kind: 'Widget', resource: `widgets.${group}` };
  const cluster = {
    clusterRole: `${id}-web-reader`,
    excludedClusterRole: `${id}-excluded`,
    storageClass: `${id}-local`,
    pv: `${id}-pv`,
  };
  const fixture = { [FIXTURE_LABEL]: id };
  const meta = (name: string, namespace: string | undefined, labels: Labels = {}) => ({
    name,
    ...(namespace ? { namespace } : {}),
    labels: { ...fixture, ...labels },
  });
  const excludeL = { [LIFEBOAT_EXCLUDE]: 'true' };
  const excludeV = { [VELERO_EXCLUDE]: 'true' };
  const secretData = { 'tls.crt': Buffer.from('certificate').toString('base64'), 'tls.key': b64(randomBytes(32)) };

  const create = (object: KubernetesObject) => api.create(object);
  const deployment = (namespace: string, name: string, labels: Labels): KubernetesObject =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(name, namespace, labels),
      spec: {
        replicas: 0,
        selector: { matchLabels: { deployment: name } },
        template: {
          metadata: { labels: { deployment: name, ...labels } },
          spec: { containers: [{ name, image: 'busybox:1.36', command: ['sleep', 'infinity'] }] },
        },
      },
    }) as KubernetesObject;
  const configMap = (namespace: string, name: string, labels: Labels = {}): KubernetesObject =>
    ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name, namespace, labels), data: { name } }) as never;
  const secret = (
    namespace: string,
    name: string,
    labels: Labels = {},
    data: Record<string, string> = { password: b64(randomBytes(12)) },
  ) => ({ apiVersion: 'v1', kind: 'Secret', metadata: meta(name, namespace, labels), type: 'Opaque', data }) as never;
  const service = (namespace: string, name: string, selector: Labels, labels: Labels): KubernetesObject =>
    ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name, namespace, labels),
      spec: { selector, ports: [{ port: 80, targetPort: 8080 }] },
    }) as never;
  const widget = (namespace: string, name: string, labels: Labels = {}): KubernetesObject =>
    ({
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: meta(name, namespace, labels),
      spec: { size: 3 },
    }) as never;

  // Cluster-scoped first: the namespaces, the CRD (established before its objects), the storage.
  // Not under the fixture label: Velero keeps a Namespace a selector matches even outside the namespace filter
  // (nsTracker), a quirk the cases should not depend on.
  for (const name of [...Object.values(ns), aux])
    await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [NAMESPACE_LABEL]: id } } });
  await create({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: meta(crd.name, undefined),
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: [`wd${id.slice(-8)}`] },
      // Two served versions: the backup writes the preferred one (v1), not the other.
      versions: ['v1', 'v1alpha1'].map((name) => ({
        name,
        served: true,
        storage: name === 'v1',
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
          },
        },
      })),
    },
  } as KubernetesObject);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await waitFor(`CRD ${crd.name} established`, async () => {
    const status = (await ext.readCustomResourceDefinition({ name: crd.name })).status;
    return status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
  await create({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: meta(cluster.storageClass, undefined),
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'Immediate',
  } as KubernetesObject);
  await create({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: meta(cluster.pv, undefined),
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      storageClassName: cluster.storageClass,
      persistentVolumeReclaimPolicy: 'Retain',
      hostPath: { path: `/tmp/${id}` },
      claimRef: { namespace: ns.shop, name: 'data' },
    },
  } as KubernetesObject);
  const rule = { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] };
  await create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: meta(cluster.clusterRole, undefined, { app: 'web' }),
    rules: [rule],
  } as KubernetesObject);
  await create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: meta(cluster.excludedClusterRole, undefined, excludeL),
    rules: [rule],
  } as KubernetesObject);

  const web = { app: 'web' };
  const db = { tier: 'db' };
  const objects: KubernetesObject[] = [
    // shop: the web front end, its storage, and one object of several kinds under each exclude label.
    deployment(ns.shop, 'web', web),
    deployment(ns.shop, 'api', { app: 'api' }),
    service(ns.shop, 'web', { deployment: 'web' }, web),
    configMap(ns.shop, 'web-config', web),
    configMap(ns.shop, 'shop-settings'),
    configMap(ns.shop, 'excluded-config', excludeL),
    configMap(ns.shop, 'velero-excluded-config', excludeV),
    secret(ns.shop, 'web-tls', web, secretData),
    secret(ns.shop, 'excluded-secret', excludeL),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('web', ns.shop, web) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta('web-reader', ns.shop, web),
      rules: [rule],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('web-reader', ns.shop, web),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'web-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: ns.shop }],
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta('data', ns.shop, web),
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: cluster.storageClass,
        volumeName: cluster.pv,
        resources: { requests: { storage: '1Gi' } },
      },
    } as KubernetesObject,
    widget(ns.shop, 'alpha', web),
    widget(ns.shop, 'beta'),
    widget(ns.shop, 'excluded-widget', excludeL),
    widget(ns.shop, 'velero-excluded-widget', excludeV),
    // shop-db: the database tier.
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('db', ns.shopDb, db),
      spec: {
        replicas: 0,
        serviceName: 'db',
        selector: { matchLabels: { statefulset: 'db' } },
        template: {
          metadata: { labels: { statefulset: 'db', ...db } },
          spec: { containers: [{ name: 'db', image: 'busybox:1.36', command: ['sleep', 'infinity'] }] },
        },
      },
    } as KubernetesObject,
    service(ns.shopDb, 'db', { statefulset: 'db' }, db),
    configMap(ns.shopDb, 'db-config', db),
    secret(ns.shopDb, 'db-password', db),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('db', ns.shopDb, db) },
    widget(ns.shopDb, 'gamma', db),
    // other: unrelated to the shop, with one object the app=web selector still matches.
    deployment(ns.other, 'cache', { app: 'cache' }),
    configMap(ns.other, 'other-config', web),
    secret(ns.other, 'other-secret'),
    secret(ns.other, 'velero-excluded-secret', excludeV),
    widget(ns.other, 'delta'),
  ];
  await Promise.all(objects.map(create));
  const excluded = [
    { resource: 'configmaps', namespace: ns.shop, name: 'excluded-config', label: LIFEBOAT_EXCLUDE },
    { resource: 'secrets', namespace: ns.shop, name: 'excluded-secret', label: LIFEBOAT_EXCLUDE },
    { resource: crd.resource, namespace: ns.shop, name: 'excluded-widget', label: LIFEBOAT_EXCLUDE },
    { resource: 'clusterroles.rbac.authorization.k8s.io', name: cluster.excludedClusterRole, label: LIFEBOAT_EXCLUDE },
    { resource: 'configmaps', namespace: ns.shop, name: 'velero-excluded-config', label: VELERO_EXCLUDE },
    { resource: crd.resource, namespace: ns.shop, name: 'velero-excluded-widget', label: VELERO_EXCLUDE },
    { resource: 'secrets', namespace: ns.other, name: 'velero-excluded-secret', label: VELERO_EXCLUDE },
  ];

  const widgets: Listed = { apiVersion: `${group}/v1`, kind: 'Widget', resource: crd.resource };
  const list = async (listed: Listed, namespace?: string, labelSelector?: string) => {
    const items: FixtureItem[] = [];
    let continueToken: string | undefined;
    do {
      const page = await api.list(
        listed.apiVersion,
        listed.kind,
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
        500,
        continueToken,
      );
      for (const item of page.items)
        items.push({
          resource: listed.resource,
          version: listed.apiVersion.split('/').at(-1)!,
          ...(namespace ? { namespace } : {}),
          name: item.metadata!.name!,
          labels: item.metadata!.labels ?? {},
        });
      continueToken = page.metadata?._continue || undefined;
    } while (continueToken);
    return items;
  };
  const inventory = async () => {
    const namespaced = await Promise.all(
      [...Object.values(ns), aux].flatMap((namespace) => [...NAMESPACED, widgets].map((l) => list(l, namespace))),
    );
    const clusterScoped = await Promise.all(
      CLUSTER_SCOPED.map((l) =>
        list(l, undefined, `${l.kind === 'Namespace' ? NAMESPACE_LABEL : FIXTURE_LABEL}=${id}`),
      ),
    );
    return [...namespaced, ...clusterScoped].flat();
  };

  // The controllers' part: each namespace's ServiceAccount and CA bundle, a ReplicaSet per Deployment, the
  // StatefulSet's revision, the Services' endpoints, and the claim bound to the volume.
  await waitFor('the fixture to settle', async () => {
    const items = await inventory();
    const has = (resource: string, namespace: string, count = 1) =>
      items.filter((i) => i.resource === resource && i.namespace === namespace).length >= count;
    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace: ns.shop, name: 'data' });
    return (
      [...Object.values(ns), aux].every(
        (n) =>
          items.some((i) => i.namespace === n && i.resource === 'serviceaccounts' && i.name === 'default') &&
          items.some((i) => i.namespace === n && i.resource === 'configmaps' && i.name === 'kube-root-ca.crt'),
      ) &&
      has('replicasets.apps', ns.shop, 2) &&
      has('replicasets.apps', ns.other) &&
      has('controllerrevisions.apps', ns.shopDb) &&
      has('endpointslices.discovery.k8s.io', ns.shop) &&
      has('endpointslices.discovery.k8s.io', ns.shopDb) &&
      has('endpoints', ns.shop) &&
      has('endpoints', ns.shopDb) &&
      claim.status?.phase === 'Bound'
    );
  });

  const narrowRoles: string[] = [];
  return {
    id,
    namespaces: ns,
    aux,
    crd,
    cluster,
    pvc: 'data',
    secretData,
    excluded,
    inventory,
    async addBulk(count, bytes, parallel = 16) {
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < count; i = next++)
          await create({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `bulk-${String(i).padStart(6, '0')}`, namespace: aux },
            binaryData: { blob: b64(randomBytes(bytes)) },
          } as KubernetesObject);
      };
      await Promise.all(Array.from({ length: parallel }, worker));
    },
    async narrowKubeconfig(name, rules, dir) {
      narrowRoles.push(`${id}-${name}`);
      await create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: aux } });
      await create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: `${id}-${name}` },
        rules,
      } as KubernetesObject);
      await create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `${id}-${name}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${id}-${name}` },
        subjects: [{ kind: 'ServiceAccount', name, namespace: aux }],
      } as KubernetesObject);
      const token = await waitFor(
        `a token for ${name}`,
        async () =>
          (
            await core.createNamespacedServiceAccountToken({
              namespace: aux,
              name,
              body: { spec: { audiences: [], expirationSeconds: 3600 } },
            })
          ).status?.token,
      );
      const server = kc.getCurrentCluster()!;
      const file = join(dir, `${name}.kubeconfig`);
      writeFileSync(
        file,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'narrow', cluster: { server: server.server, 'certificate-authority': server.caFile } }],
          users: [{ name, user: { token } }],
          contexts: [{ name: 'narrow', context: { cluster: 'narrow', user: name } }],
          'current-context': 'narrow',
        }),
        { mode: 0o600 },
      );
      return file;
    },
    async delete() {
      const gone = (p: Promise<unknown>) => p.catch(() => undefined);
      await Promise.all([
        ...[...Object.values(ns), aux].map((name) => gone(core.deleteNamespace({ name }))),
        gone(ext.deleteCustomResourceDefinition({ name: crd.name })),
        ...narrowRoles.flatMap((name) =>
          ['ClusterRole', 'ClusterRoleBinding'].map((kind) =>
            gone(api.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name } })),
          ),
        ),
        ...Object.entries(cluster).map(([what, name]) =>
          gone(
            api.delete({
              apiVersion:
                what === 'pv' ? 'v1' : what === 'storageClass' ? 'storage.k8s.io/v1' : 'rbac.authorization.k8s.io/v1',
              kind: what === 'pv' ? 'PersistentVolume' : what === 'storageClass' ? 'StorageClass' : 'ClusterRole',
              metadata: { name },
            }),
          ),
        ),
      ]);
    },
  };
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64');
}
