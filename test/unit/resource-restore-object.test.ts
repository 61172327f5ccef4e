import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compareWithExisting,
  differencesReason,
  LISTED_DIFFERENCES,
  restoreLabelsPatch,
  updatePatch,
} from '../../core/resources/restore-compare.js';
import { isReprovisioned, KIND_RULES, rulesForObject, rulesForResource } from '../../core/resources/restore-kinds.js';
import {
  applyMergePatch,
  childPath,
  cloneJson,
  createMergePatch,
  differingPaths,
  jsonEqual,
  type JsonObject,
  type JsonValue,
} from '../../core/resources/restore-json.js';
import {
  labelValue,
  prepareForRestore,
  restoreLabels,
  restoresStatus,
  SERVER_SET_METADATA,
  type RestoreObjectContext,
} from '../../core/resources/restore-object.js';
import { shortHash } from '../../core/snapshot-job.js';

/*
 * Fixtures captured from a real kube-apiserver v1.36.3 (GET with managed fields, no controller-manager running):
 * backed-up.json is namespace `shop` and some cluster objects as a backup archives them (made with kubectl create,
 * client-side apply and server-side apply, so node ports are allocated, set in last-applied, or owned in managed
 * fields); restored-live.json is what the same server returned after each backed-up object, prepared by
 * prepareForRestore with the mapping shop -> shop-restored-4, was POSTed to it (the webhook configuration excepted:
 * it would have intercepted the rest). settled-live.json is the same objects a few minutes later, once a
 * kube-controller-manager had run against them: the claim and the volume bound (bind annotations, claimRef uid), the
 * token Secret filled by the token controller, the Deployment numbered revision 1 and scaled; some were also patched
 * by a check of updatePatch against that server (hence a restore label `r2-update` on them). So "unchanged" below is
 * checked against what a server and its controllers really make of a restored object, defaults and allocations
 * included.
 */
function fixture(name: string): JsonObject[] {
  return JSON.parse(
    readFileSync(new URL(`./resource-restore-fixtures/${name}`, import.meta.url), 'utf8'),
  ) as JsonObject[];
}
const backedUp = fixture('backed-up.json');
const restoredLive = fixture('restored-live.json');
const settledLive = fixture('settled-live.json');

const BACKUP = 'shop-daily-20261202184300';
const RESTORE = 'r2-test';
const TARGET = 'shop-restored-4';
const MAPPING = { shop: TARGET };

/** Written out here, not taken from the code under test. */
const GROUP_RESOURCES: Record<string, string> = {
  Namespace: 'namespaces',
  ConfigMap: 'configmaps',
  Service: 'services',
  ServiceAccount: 'serviceaccounts',
  Secret: 'secrets',
  Pod: 'pods',
  Job: 'jobs.batch',
  RoleBinding: 'rolebindings.rbac.authorization.k8s.io',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Deployment: 'deployments.apps',
  ClusterRoleBinding: 'clusterrolebindings.rbac.authorization.k8s.io',
  PersistentVolume: 'persistentvolumes',
  CustomResourceDefinition: 'customresourcedefinitions.apiextensions.k8s.io',
  ValidatingWebhookConfiguration: 'validatingwebhookconfigurations.admissionregistration.k8s.io',
  MutatingWebhookConfiguration: 'mutatingwebhookconfigurations.admissionregistration.k8s.io',
};

type Meta = { name?: string; namespace?: string; labels?: Record<string, string> } & JsonObject;
const meta = (o: JsonObject) => o.metadata as Meta;
const spec = (o: JsonObject) => o.spec as JsonObject;
/** The object at a path of objects and arrays (the fixtures are known to have it). */
function dig(value: JsonValue | undefined, ...path: (string | number)[]): JsonObject {
  for (const step of path) value = (value as Record<string | number, JsonValue>)[step];
  return value as JsonObject;
}
const ports = (o: JsonObject) => spec(o).ports as JsonObject[];

function find(list: JsonObject[], kind: string, name: string): JsonObject {
  const found = list.find((o) => o.kind === kind && meta(o).name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the fixture`);
  return cloneJson(found);
}

function ctx(object: JsonObject, overrides: Partial<RestoreObjectContext> = {}): RestoreObjectContext {
  return {
    groupResource: GROUP_RESOURCES[object.kind as string]!,
    namespaceMapping: MAPPING,
    restoreStatus: false,
    preserveNodePorts: false,
    backupName: BACKUP,
    restoreName: RESTORE,
    ...overrides,
  };
}

function prepared(kind: string, name: string, overrides: Partial<RestoreObjectContext> = {}): JsonObject {
  const object = find(backedUp, kind, name);
  return prepareForRestore(object, ctx(object, overrides));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

const restorable = backedUp.filter((o) => o.kind !== 'ValidatingWebhookConfiguration');
const kindAndName = (o: JsonObject) => `${o.kind as string} ${meta(o).name}`;

// ---------------------------------------------------------------------------------------------------------------------

describe('prepareForRestore: metadata, status, namespace, labels', () => {
  const everything: JsonObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'cm',
      generateName: 'cm-',
      namespace: 'shop',
      selfLink: '/api/v1/namespaces/shop/configmaps/cm',
      uid: 'u-1',
      resourceVersion: '7',
      generation: 3,
      creationTimestamp: '2026-12-01T00:00:00Z',
      deletionTimestamp: '2026-12-02T00:00:00Z',
      deletionGracePeriodSeconds: 30,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u-2' }],
      managedFields: [{ manager: 'kubectl', operation: 'Update' }],
      labels: { app: 'cm' },
      annotations: { note: 'kept' },
      finalizers: ['example.com/keep'],
    },
    data: { a: '1' },
    status: { phase: 'Whatever' },
  };

  it('drops every server-set metadata field, keeps name, labels, annotations and finalizers', () => {
    const out = prepareForRestore(everything, ctx(everything));
    for (const key of SERVER_SET_METADATA) expect(meta(out)).not.toHaveProperty(key);
    expect(meta(out)).toEqual({
      name: 'cm',
      namespace: TARGET,
      labels: { app: 'cm', 'lifeboat.dev/restored-from': BACKUP, 'lifeboat.dev/restore': RESTORE },
      annotations: { note: 'kept' },
      finalizers: ['example.com/keep'],
    });
    expect(out.data).toEqual({ a: '1' });
    expect(SERVER_SET_METADATA).toEqual(expect.arrayContaining(['generateName', 'ownerReferences', 'managedFields']));
  });

  it('drops the status unless it is restored', () => {
    expect(prepareForRestore(everything, ctx(everything))).not.toHaveProperty('status');
    expect(prepareForRestore(everything, ctx(everything, { restoreStatus: true })).status).toEqual({
      phase: 'Whatever',
    });
  });

  it('maps the namespace, leaves an unmapped one, adds none to a cluster-scoped object', () => {
    expect(meta(prepared('ConfigMap', 'settings')).namespace).toBe(TARGET);
    expect(meta(prepared('ConfigMap', 'settings', { namespaceMapping: { other: 'x' } })).namespace).toBe('shop');
    expect(meta(prepared('ClusterRoleBinding', 'builder-view'))).not.toHaveProperty('namespace');
  });

  it('labels with the backup and the restore, replacing an earlier restore’s labels and keeping the rest', () => {
    const object = find(backedUp, 'Service', 'front');
    meta(object).labels = { app: 'front', 'lifeboat.dev/restore': 'an-older-restore' };
    expect(meta(prepareForRestore(object, ctx(object))).labels).toEqual({
      app: 'front',
      'lifeboat.dev/restored-from': BACKUP,
      'lifeboat.dev/restore': RESTORE,
    });
    expect(meta(prepareForRestore({ kind: 'ConfigMap' }, ctx({ kind: 'ConfigMap' }))).labels).toEqual(
      restoreLabels(BACKUP, RESTORE),
    );
  });

  it.each(backedUp.map((o) => [kindAndName(o), o]))('never changes its input: %s', (_, object) => {
    const before = cloneJson(object);
    const frozen = deepFreeze(cloneJson(object));
    const contexts = [ctx(object), ctx(object, { preserveNodePorts: true, restoreStatus: true })];
    for (const c of contexts)
      expect(() => prepareForRestore(frozen, { ...c, reprovisionedVolumes: ['pv-data'] })).not.toThrow();
    expect(frozen).toEqual(before);
    const out = prepareForRestore(object, ctx(object));
    (out.metadata as JsonObject).name = 'changed';
    expect(object).toEqual(before);
  });
});

describe('labelValue and restoreLabels', () => {
  it('keeps a valid value, up to 63 characters', () => {
    for (const value of ['shop-daily-20261202184300', 'a', 'A.b_c-9', 'x'.repeat(63), '']) {
      expect(labelValue(value)).toBe(value);
    }
  });

  it('cuts a long value and appends a hash of the whole value', () => {
    const long = `nightly-${'x'.repeat(70)}`;
    const value = labelValue(long);
    expect(value.length).toBeLessThanOrEqual(63);
    expect(value).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/);
    expect(value).toBe(`${long.slice(0, 54)}-${shortHash(long)}`);
    expect(labelValue(long)).toBe(value);
    expect(labelValue(`${long}y`)).not.toBe(value);
    expect(labelValue(`${long}y`).slice(0, 54)).toBe(value.slice(0, 54));
  });

  it.each([
    ['Nightly backup/2026', 'Nightly-backup-2026'],
    ['-leading.and.trailing-', 'leading.and.trailing'],
    ['über', 'ber'],
  ])('replaces what a label value cannot hold: %s', (text, head) => {
    expect(labelValue(text)).toBe(`${head}-${shortHash(text)}`);
  });

  it('is only the hash when nothing of the text can stay', () => {
    expect(labelValue('___')).toBe(shortHash('___'));
    expect(labelValue('///')).toMatch(/^[0-9a-f]{8}$/);
  });

  it('labels with both names, each a valid value', () => {
    const long = 'r'.repeat(80);
    expect(restoreLabels('b1', long)).toEqual({
      'lifeboat.dev/restored-from': 'b1',
      'lifeboat.dev/restore': labelValue(long),
    });
  });
});

describe('restoresStatus', () => {
  const annotated = (value: string): JsonObject => ({
    metadata: { annotations: { 'velero.io/restore-status': value } },
  });

  it('follows the selection: the resource named, or *', () => {
    expect(restoresStatus([], 'deployments.apps')).toBe(false);
    expect(restoresStatus(['deployments.apps'], 'deployments.apps')).toBe(true);
    expect(restoresStatus(['deployments.apps'], 'services')).toBe(false);
    expect(restoresStatus(['*'], 'services')).toBe(true);
  });

  it('lets the object’s velero.io/restore-status annotation decide, when it is true or false', () => {
    expect(restoresStatus([], 'services', annotated(' True '))).toBe(true);
    expect(restoresStatus(['*'], 'services', annotated('false'))).toBe(false);
    expect(restoresStatus(['services'], 'services', annotated('maybe'))).toBe(true);
    expect(restoresStatus([], 'services', annotated('maybe'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('Services', () => {
  it('clears cluster IPs and node ports the API allocated (kubectl create)', () => {
    const web = prepared('Service', 'web');
    expect(spec(web)).not.toHaveProperty('clusterIP');
    expect(spec(web)).not.toHaveProperty('clusterIPs');
    expect(ports(web)).toEqual([{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }]);
    expect(spec(web).ipFamilies).toEqual(['IPv4']);
  });

  it('keeps a node port set in kubectl’s last-applied configuration, by port name', () => {
    const front = prepared('Service', 'front');
    expect(ports(front).map((p) => [p.name, p.nodePort])).toEqual([
      ['http', 30080],
      ['metrics', undefined],
    ]);
  });

  it('keeps a node port owned in the managed fields (server-side apply)', () => {
    const gateway = prepared('Service', 'gateway');
    expect(ports(gateway).map((p) => [p.name, p.nodePort])).toEqual([
      ['http', 30090],
      ['grpc', undefined],
    ]);
  });

  it('matches an unnamed port of the last-applied configuration by its node port', () => {
    const object = find(backedUp, 'Service', 'edge');
    (meta(object) as JsonObject).annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
        spec: { ports: [{ port: 443, nodePort: JSON.stringify(ports(object)[0]!.nodePort) }] },
      }),
    };
    expect(ports(prepareForRestore(object, ctx(object)))[0]!.nodePort).toBe(ports(object)[0]!.nodePort);
  });

  it('reads the managed fields when the last-applied annotation is not JSON', () => {
    const object = find(backedUp, 'Service', 'gateway');
    (meta(object) as JsonObject).annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{oops' };
    expect(ports(prepareForRestore(object, ctx(object)))[0]!.nodePort).toBe(30090);
  });

  it('clears a LoadBalancer’s allocated health check node port (externalTrafficPolicy Local)', () => {
    const edge = prepared('Service', 'edge');
    expect(spec(find(backedUp, 'Service', 'edge')).healthCheckNodePort).toBe(31269);
    expect(spec(edge)).not.toHaveProperty('healthCheckNodePort');
    expect(ports(edge)[0]).not.toHaveProperty('nodePort');
  });

  it('keeps a health check node port set explicitly, in last-applied or the managed fields', () => {
    const viaAnnotation = find(backedUp, 'Service', 'edge');
    (meta(viaAnnotation) as JsonObject).annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{"healthCheckNodePort":31269}}',
    };
    expect(spec(prepareForRestore(viaAnnotation, ctx(viaAnnotation))).healthCheckNodePort).toBe(31269);
    const viaFields = find(backedUp, 'Service', 'edge');
    const fields = (meta(viaFields).managedFields as JsonObject[])[0]!.fieldsV1 as JsonObject;
    (fields['f:spec'] as JsonObject)['f:healthCheckNodePort'] = {};
    expect(spec(prepareForRestore(viaFields, ctx(viaFields))).healthCheckNodePort).toBe(31269);
  });

  it('keeps a headless Service’s None', () => {
    const db = prepared('Service', 'db');
    expect(spec(db).clusterIP).toBe('None');
    expect(spec(db).clusterIPs).toEqual(['None']);
  });

  it('keeps every node port with preserveNodePorts, still clearing the cluster IP', () => {
    const web = prepared('Service', 'web', { preserveNodePorts: true });
    const edge = prepared('Service', 'edge', { preserveNodePorts: true });
    expect(ports(web)[0]!.nodePort).toBe(32092);
    expect(spec(edge).healthCheckNodePort).toBe(31269);
    expect(spec(web)).not.toHaveProperty('clusterIP');
  });

  it('leaves an ExternalName Service’s ports alone', () => {
    const object: JsonObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ext', namespace: 'shop' },
      spec: { type: 'ExternalName', externalName: 'db.example.com', ports: [{ port: 5432, nodePort: 30432 }] },
    };
    expect(ports(prepareForRestore(object, ctx(object)))[0]!.nodePort).toBe(30432);
  });
});

describe('Pods', () => {
  const pod = prepared('Pod', 'debug');

  it('clears the node and the priority, and drops ephemeral containers', () => {
    expect(spec(pod)).not.toHaveProperty('nodeName');
    expect(spec(pod)).not.toHaveProperty('priority');
    expect(spec(pod).priorityClassName).toBeUndefined();
    const object = find(backedUp, 'Pod', 'debug');
    spec(object).ephemeralContainers = [{ name: 'debugger', image: 'busybox' }];
    expect(spec(prepareForRestore(object, ctx(object)))).not.toHaveProperty('ephemeralContainers');
  });

  it('removes the service account token volume and its mounts, in containers and init containers', () => {
    expect((spec(pod).volumes as JsonObject[]).map((v) => v.name)).toEqual(['data']);
    expect((spec(pod).containers as JsonObject[])[0]!.volumeMounts).toEqual([{ mountPath: '/data', name: 'data' }]);
    expect((spec(pod).initContainers as JsonObject[])[0]).not.toHaveProperty('volumeMounts');
  });

  it('takes the default account’s prefix when the Pod names none', () => {
    const object: JsonObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'shop' },
      spec: { containers: [{ name: 'c' }], volumes: [{ name: 'default-token-abcde' }, { name: 'builder-token-x' }] },
    };
    expect(spec(prepareForRestore(object, ctx(object))).volumes).toEqual([{ name: 'builder-token-x' }]);
  });
});

describe('ServiceAccounts and token Secrets', () => {
  it('drops the account’s token secret references, keeps the others and the image pull secrets', () => {
    const account = prepared('ServiceAccount', 'builder');
    expect(account.secrets).toEqual([{ name: 'registry-push' }]);
    expect(account.imagePullSecrets).toEqual([{ name: 'registry-pull' }]);
  });

  it('drops every token reference, and the list when nothing else is left', () => {
    const object = find(backedUp, 'ServiceAccount', 'builder');
    object.secrets = [{ name: 'builder-token-a' }, { name: 'builder-token-b' }];
    expect(prepareForRestore(object, ctx(object))).not.toHaveProperty('secrets');
  });

  it('strips a token Secret of what the token controller writes, keeping the account it belongs to', () => {
    const secret = prepared('Secret', 'builder-long-lived');
    expect(secret).not.toHaveProperty('data');
    expect((meta(secret) as JsonObject).annotations).toEqual({ 'kubernetes.io/service-account.name': 'builder' });
    expect(secret.type).toBe('kubernetes.io/service-account-token');
  });

  it('leaves any other Secret’s data alone', () => {
    expect(prepared('Secret', 'db-password').data).toEqual({ password: 'aHVudGVyMg==' });
  });
});

describe('Jobs', () => {
  const job = prepared('Job', 'migrate');
  const uidLabels = ['batch.kubernetes.io/controller-uid', 'controller-uid'];

  it('drops the generated selector and the old uid from the template’s and the Job’s labels', () => {
    expect(spec(job)).not.toHaveProperty('selector');
    for (const labels of [dig(job, 'spec', 'template', 'metadata', 'labels'), meta(job).labels]) {
      for (const key of uidLabels) expect(labels).not.toHaveProperty(key);
      expect(labels).toMatchObject({ 'job-name': 'migrate', 'batch.kubernetes.io/job-name': 'migrate' });
    }
    expect(spec(job).manualSelector).toBe(false);
  });

  it('keeps the other labels of a manual selector', () => {
    const object = find(backedUp, 'Job', 'migrate');
    spec(object).manualSelector = true;
    spec(object).selector = { matchLabels: { app: 'migrate', 'controller-uid': 'old' } };
    expect(spec(prepareForRestore(object, ctx(object))).selector).toEqual({ matchLabels: { app: 'migrate' } });
  });
});

describe('Deployments', () => {
  it('leave their revision to the Deployment controller, which numbers the restored one afresh', () => {
    const object = find(backedUp, 'Deployment', 'front');
    (meta(object) as JsonObject).annotations = { 'deployment.kubernetes.io/revision': '4', note: 'kept' };
    expect((meta(prepareForRestore(object, ctx(object))) as JsonObject).annotations).toEqual({ note: 'kept' });
    const live = liveCounterpart(object);
    (meta(live) as JsonObject).annotations = { 'deployment.kubernetes.io/revision': '1', note: 'kept' };
    expect(compareWithExisting(desiredFor(object), live)).toEqual({ outcome: 'unchanged' });
    expect(updatePatch(live, desiredFor(object))).toBeUndefined();
  });
});

describe('Namespaces and bindings', () => {
  it('creates a mapped Namespace under its new name, with the name label the API sets', () => {
    const namespace = prepared('Namespace', 'shop');
    expect(meta(namespace).name).toBe(TARGET);
    expect(meta(namespace).labels).toMatchObject({ 'kubernetes.io/metadata.name': TARGET });
    expect(meta(prepared('Namespace', 'shop', { namespaceMapping: {} })).name).toBe('shop');
  });

  it('maps RoleBinding and ClusterRoleBinding subjects’ namespaces, and only those mapped', () => {
    expect(prepared('RoleBinding', 'builder-edit').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'builder', namespace: TARGET },
      { kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' },
    ]);
    expect(prepared('ClusterRoleBinding', 'builder-view').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'builder', namespace: TARGET },
    ]);
  });
});

describe('PersistentVolumes and claims', () => {
  it('unbinds a volume’s claim reference and maps its namespace', () => {
    const object = find(backedUp, 'PersistentVolume', 'pv-data');
    (meta(object).annotations as JsonObject)['pv.kubernetes.io/bound-by-controller'] = 'yes';
    (meta(object).annotations as JsonObject)['pv.kubernetes.io/bind-completed'] = 'yes';
    const volume = prepareForRestore(object, ctx(object));
    expect(spec(volume).claimRef).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      name: 'data',
      namespace: TARGET,
    });
    expect((meta(volume) as JsonObject).annotations).toEqual({
      'pv.kubernetes.io/provisioned-by': 'hostpath.csi.k8s.io',
    });
  });

  it('leaves a volume with reclaim policy Delete to the provisioner', () => {
    const volume = find(backedUp, 'PersistentVolume', 'pv-data');
    expect(isReprovisioned(volume)).toBe(false);
    spec(volume).persistentVolumeReclaimPolicy = 'Delete';
    expect(isReprovisioned(volume)).toBe(true);
  });

  it('drops a claim’s binding, provisioner and node annotations', () => {
    const claim = prepared('PersistentVolumeClaim', 'data');
    expect(meta(claim)).not.toHaveProperty('annotations');
    expect(meta(claim).finalizers).toEqual(['kubernetes.io/pvc-protection']);
    expect(spec(claim).volumeName).toBe('pv-data');
  });

  it('unbinds a claim whose volume is reprovisioned', () => {
    expect(prepared('PersistentVolumeClaim', 'data', { reprovisionedVolumes: ['pv-data'] }).spec).not.toHaveProperty(
      'volumeName',
    );
    expect(spec(prepared('PersistentVolumeClaim', 'data', { reprovisionedVolumes: ['other'] })).volumeName).toBe(
      'pv-data',
    );
  });
});

describe('CRDs and webhook configurations', () => {
  function legacyCrd(apiVersion = 'apiextensions.k8s.io/v1'): JsonObject {
    const crd = find(backedUp, 'CustomResourceDefinition', 'widgets.example.com');
    crd.apiVersion = apiVersion;
    spec(crd).preserveUnknownFields = true;
    spec(crd).versions = [
      { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
      { name: 'v2', served: true, storage: false },
    ];
    return crd;
  }

  it('turns a v1 CRD’s preserveUnknownFields into the schema’s x-kubernetes-preserve-unknown-fields', () => {
    const crd = legacyCrd();
    const out = prepareForRestore(crd, ctx(crd));
    expect(spec(out)).not.toHaveProperty('preserveUnknownFields');
    expect(spec(out).versions).toEqual([
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
      { name: 'v2', served: true, storage: false },
    ]);
  });

  it('leaves other CRDs alone', () => {
    const beta = legacyCrd('apiextensions.k8s.io/v1beta1');
    expect(spec(prepareForRestore(beta, ctx(beta)))).toMatchObject({ preserveUnknownFields: true });
    expect(spec(prepared('CustomResourceDefinition', 'widgets.example.com'))).toEqual(
      spec(find(backedUp, 'CustomResourceDefinition', 'widgets.example.com')),
    );
  });

  it.each(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])(
    'sets an invalid sideEffects of a v1 %s to None',
    (kind) => {
      const configuration = find(backedUp, 'ValidatingWebhookConfiguration', 'policy');
      configuration.kind = kind;
      const hook = (configuration.webhooks as JsonObject[])[0]!;
      configuration.webhooks = [
        hook,
        { ...hook, sideEffects: 'Unknown' },
        { ...hook, sideEffects: 'Some' },
        cloneJson(hook),
      ];
      delete (configuration.webhooks[3] as JsonObject).sideEffects;
      const out = prepareForRestore(configuration, ctx(configuration));
      expect((out.webhooks as JsonObject[]).map((w) => w.sideEffects)).toEqual([
        'NoneOnDryRun',
        'None',
        'None',
        'None',
      ]);
      configuration.apiVersion = 'admissionregistration.k8s.io/v1beta1';
      const beta = prepareForRestore(configuration, ctx(configuration));
      expect((beta.webhooks as JsonObject[]).map((w) => w.sideEffects)).toEqual([
        'NoneOnDryRun',
        'Unknown',
        'Some',
        undefined,
      ]);
    },
  );
});

describe('the rules table', () => {
  it('finds each kind’s rules by its resource and by what its objects say they are', () => {
    for (const rules of KIND_RULES) {
      const apiVersion = rules.group ? `${rules.group}/v1` : 'v1';
      expect(rulesForResource(rules.groupResource)).toBe(rules);
      expect(rulesForObject({ apiVersion, kind: rules.kind })).toBe(rules);
      expect(GROUP_RESOURCES[rules.kind]).toBe(rules.groupResource);
    }
    expect(rulesForResource('configmaps')).toBeUndefined();
    expect(rulesForObject({ apiVersion: 'example.com/v1', kind: 'Service' })).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------------------

function desiredFor(object: JsonObject, overrides: Partial<RestoreObjectContext> = {}): JsonObject {
  return prepareForRestore(object, ctx(object, overrides));
}

function liveCounterpart(object: JsonObject): JsonObject {
  const name = object.kind === 'Namespace' ? TARGET : meta(object).name!;
  return find(restoredLive, object.kind as string, name);
}

describe('compareWithExisting: untouched objects are unchanged', () => {
  it.each(restorable.map((o) => [kindAndName(o), o]))(
    '%s, as the API server returned it after the restore created it',
    (_, object) => {
      expect(compareWithExisting(desiredFor(object), liveCounterpart(object))).toEqual({ outcome: 'unchanged' });
    },
  );

  it.each(backedUp.map((o) => [kindAndName(o), o]))(
    '%s, never touched since the backup (restored into its own namespace)',
    (_, object) => {
      const desired = desiredFor(object, { namespaceMapping: {} });
      expect(compareWithExisting(desired, cloneJson(object))).toEqual({ outcome: 'unchanged' });
    },
  );

  it.each(restorable.map((o) => [kindAndName(o), o]))(
    '%s, once the target’s controllers have bound, filled and numbered it',
    (_, object) => {
      const name = object.kind === 'Namespace' ? TARGET : meta(object).name!;
      const live = find(settledLive, object.kind as string, name);
      expect(compareWithExisting(desiredFor(object), live)).toEqual({ outcome: 'unchanged' });
    },
  );

  it.each(settledLive.map((o) => [kindAndName(o), o]))(
    '%s, backed up from a cluster with controllers and never touched since',
    (_, object) => {
      const desired = desiredFor(object, { namespaceMapping: {} });
      expect(compareWithExisting(desired, cloneJson(object))).toEqual({ outcome: 'unchanged' });
    },
  );

  it('whatever node ports the target allocated where the backup left them open', () => {
    const front = find(backedUp, 'Service', 'front');
    const live = liveCounterpart(front);
    expect(ports(live)[1]!.nodePort).not.toBe(ports(front)[1]!.nodePort);
    ports(live)[1]!.nodePort = 31999;
    spec(live).clusterIP = '10.0.0.9';
    spec(live).clusterIPs = ['10.0.0.9'];
    expect(compareWithExisting(desiredFor(front), live)).toEqual({ outcome: 'unchanged' });
  });

  it('read from a LIST (no kind), labelled by an earlier restore, adopted by an owner, with extra finalizers', () => {
    const object = find(backedUp, 'ConfigMap', 'settings');
    const live = liveCounterpart(object);
    delete live.kind;
    delete live.apiVersion;
    meta(live).labels = { 'lifeboat.dev/restore': 'older', 'lifeboat.dev/restored-from': 'older-backup' };
    meta(live).ownerReferences = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'front', uid: 'new-uid' }];
    meta(live).finalizers = ['example.com/keep', 'example.com/another'];
    expect(compareWithExisting(desiredFor(object), live)).toEqual({ outcome: 'unchanged' });
  });

  it('a claim whose reprovisioned volume got another name', () => {
    const claim = find(backedUp, 'PersistentVolumeClaim', 'data');
    const live = liveCounterpart(claim);
    spec(live).volumeName = 'pvc-1234';
    expect(compareWithExisting(desiredFor(claim, { reprovisionedVolumes: ['pv-data'] }), live)).toEqual({
      outcome: 'unchanged',
    });
    expect(compareWithExisting(desiredFor(claim), live)).toMatchObject({ differences: ['spec.volumeName'] });
  });

  it('status differences, unless the status is restored', () => {
    const deployment = find(backedUp, 'Deployment', 'front');
    const live = liveCounterpart(deployment);
    live.status = { replicas: 2, readyReplicas: 2 };
    expect(compareWithExisting(desiredFor(deployment), live)).toEqual({ outcome: 'unchanged' });
    deployment.status = { replicas: 2, readyReplicas: 1 };
    expect(compareWithExisting(desiredFor(deployment, { restoreStatus: true }), live)).toEqual({
      outcome: 'different',
      differences: ['status.readyReplicas'],
      omitted: 0,
    });
  });
});

/** A real change to a live object, and the paths it must be reported at. */
const changes: [string, string, (live: JsonObject) => void, string[]][] = [
  ['ConfigMap', 'settings', (l) => void ((l.data as JsonObject).mode = 'slow'), ['data.mode']],
  ['ConfigMap', 'settings', (l) => void (meta(l).labels = { touched: 'yes' }), ['metadata.labels.touched']],
  [
    'Deployment',
    'front',
    (l) => {
      spec(l).replicas = 5;
      dig(l, 'spec', 'template', 'spec', 'containers', 0).image = 'nginx:1.28';
    },
    ['spec.replicas', 'spec.template.spec.containers[0].image'],
  ],
  ['Service', 'front', (l) => void (ports(l)[0]!.nodePort = 30081), ['spec.ports[0].nodePort']],
  ['Service', 'web', (l) => void (ports(l)[0]!.targetPort = 9999), ['spec.ports[0].targetPort']],
  ['Service', 'db', (l) => void (spec(l).selector = { app: 'db', tier: 'x' }), ['spec.selector.tier']],
  ['ServiceAccount', 'builder', (l) => void (l.imagePullSecrets = []), ['imagePullSecrets']],
  ['Secret', 'db-password', (l) => void ((l.data as JsonObject).password = 'c2VjcmV0'), ['data.password']],
  ['Secret', 'builder-long-lived', (l) => void (l.type = 'Opaque'), ['type']],
  ['Pod', 'debug', (l) => void (dig(l, 'spec', 'containers', 0).image = 'busybox:1.37'), ['spec.containers[0].image']],
  ['Job', 'migrate', (l) => void (spec(l).suspend = false), ['spec.suspend']],
  ['RoleBinding', 'builder-edit', (l) => void (l.subjects as JsonObject[]).pop(), ['subjects']],
  [
    'ClusterRoleBinding',
    'builder-view',
    (l) => void (((l.subjects as JsonObject[])[0] as JsonObject).namespace = 'shop'),
    ['subjects[0].namespace'],
  ],
  [
    'PersistentVolume',
    'pv-data',
    (l) => void (spec(l).persistentVolumeReclaimPolicy = 'Delete'),
    ['spec.persistentVolumeReclaimPolicy'],
  ],
  [
    'PersistentVolumeClaim',
    'data',
    (l) => void (dig(l, 'spec', 'resources', 'requests').storage = '2Gi'),
    ['spec.resources.requests.storage'],
  ],
  ['Namespace', 'shop', (l) => void (meta(l).labels!.team = 'a'), ['metadata.labels.team']],
  [
    'CustomResourceDefinition',
    'widgets.example.com',
    (l) => void (dig(l, 'spec', 'versions', 0).served = false),
    ['spec.versions[0].served'],
  ],
  [
    'Service',
    'front',
    (l) => void ((meta(l).annotations as JsonObject)['kubectl.kubernetes.io/last-applied-configuration'] = '{}'),
    ['metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]'],
  ],
  ['ConfigMap', 'settings', (l) => void (meta(l).finalizers = []), ['metadata.finalizers']],
];

describe('compareWithExisting: real changes are different, with their paths', () => {
  it.each(
    changes.map(([kind, name, change, paths]) => [`${kind} ${name}: ${paths.join(', ')}`, kind, name, change, paths]),
  )('%s', (_, kind, name, change, paths) => {
    const object = find(backedUp, kind, name);
    const live = liveCounterpart(object);
    change(live);
    expect(compareWithExisting(desiredFor(object), live)).toEqual({
      outcome: 'different',
      differences: paths,
      omitted: 0,
    });
  });

  it(`lists the first ${LISTED_DIFFERENCES} paths, sorted, and counts the rest`, () => {
    const object = find(backedUp, 'ConfigMap', 'settings');
    const live = liveCounterpart(object);
    live.data = Object.fromEntries(['g', 'f', 'e', 'd', 'c', 'b', 'a'].map((key) => [key, key]));
    expect(compareWithExisting(desiredFor(object), live)).toEqual({
      outcome: 'different',
      differences: ['data.a', 'data.b', 'data.c', 'data.d', 'data.e'],
      omitted: 3,
    });
  });

  it('says where, for the item’s result', () => {
    expect(differencesReason({ outcome: 'different', differences: ['data.a', 'spec.replicas'], omitted: 0 })).toBe(
      'differs from the backup at data.a, spec.replicas',
    );
    expect(differencesReason({ outcome: 'different', differences: ['data.a'], omitted: 3 })).toBe(
      'differs from the backup at data.a and 3 more',
    );
  });

  it('does not change either object', () => {
    const object = find(backedUp, 'Service', 'front');
    const desired = deepFreeze(desiredFor(object));
    const live = deepFreeze(liveCounterpart(object));
    expect(() => compareWithExisting(desired, live)).not.toThrow();
    expect(() => updatePatch(live, desired)).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------------------------------

/** The fields of the live object an update must leave as they were (node ports: those the backup left open). */
function serverSet(live: JsonObject, desired: JsonObject): JsonValue {
  const open = (i: number) => live.kind === 'Service' && ports(desired)[i]?.nodePort === undefined;
  const m = meta(live);
  return {
    uid: m.uid ?? null,
    resourceVersion: m.resourceVersion ?? null,
    creationTimestamp: m.creationTimestamp ?? null,
    managedFields: m.managedFields ?? null,
    ownerReferences: m.ownerReferences ?? null,
    status: live.status ?? null,
    clusterIP: (live.spec as JsonObject | undefined)?.clusterIP ?? null,
    nodePorts: live.kind === 'Service' ? ports(live).map((p, i) => (open(i) ? (p.nodePort ?? null) : 'set')) : null,
    healthCheckNodePort: (live.spec as JsonObject | undefined)?.healthCheckNodePort ?? null,
    nodeName: (live.spec as JsonObject | undefined)?.nodeName ?? null,
  };
}

describe('updatePatch', () => {
  it.each(changes.map(([kind, name, change, paths]) => [`${kind} ${name}: ${paths.join(', ')}`, kind, name, change]))(
    'applied to the live object, makes it compare unchanged and keeps what the server set: %s',
    (_, kind, name, change) => {
      const object = find(backedUp, kind, name);
      const desired = desiredFor(object);
      const live = liveCounterpart(object);
      change(live);
      const patch = updatePatch(live, desired);
      expect(patch).toBeDefined();
      const patched = applyMergePatch(live, patch!) as JsonObject;
      expect(compareWithExisting(desired, patched)).toEqual({ outcome: 'unchanged' });
      expect(serverSet(patched, desired)).toEqual(serverSet(live, desired));
      expect(meta(patched).labels).toMatchObject(restoreLabels(BACKUP, RESTORE));
      const patchedMetadata = Object.keys((patch!.metadata as JsonObject | undefined) ?? {});
      expect(['labels', 'annotations', 'finalizers']).toEqual(expect.arrayContaining(patchedMetadata));
      expect(patch).not.toHaveProperty('status');
    },
  );

  it('is only the restore labels for an unchanged object of another restore, nothing for its own', () => {
    const object = find(backedUp, 'Deployment', 'front');
    const live = liveCounterpart(object);
    const desired = desiredFor(object, { restoreName: 'r3' });
    expect(compareWithExisting(desired, live)).toEqual({ outcome: 'unchanged' });
    expect(updatePatch(live, desired)).toEqual({ metadata: { labels: { 'lifeboat.dev/restore': 'r3' } } });
    expect(updatePatch(live, desiredFor(object))).toBeUndefined();
  });

  it('keeps the node ports the target allocated for the ports it rewrites', () => {
    const object = find(backedUp, 'Service', 'front');
    const live = liveCounterpart(object);
    ports(live)[1]!.targetPort = 9091;
    const patch = updatePatch(live, desiredFor(object))!;
    expect((patch.spec as JsonObject).ports).toEqual([
      { name: 'http', nodePort: 30080, port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'metrics', nodePort: ports(live)[1]!.nodePort, port: 9090, protocol: 'TCP', targetPort: 9090 },
    ]);
    expect(patch.spec).not.toHaveProperty('clusterIP');
  });

  it('keeps the token references the target made when it rewrites an account’s secrets', () => {
    const object = find(backedUp, 'ServiceAccount', 'builder');
    const live = liveCounterpart(object);
    live.secrets = [{ name: 'builder-token-new12' }];
    const patch = updatePatch(live, desiredFor(object))!;
    expect(patch.secrets).toEqual([{ name: 'registry-push' }, { name: 'builder-token-new12' }]);
  });

  it('adds the backup’s finalizers and keeps the cluster’s', () => {
    const object = find(backedUp, 'ConfigMap', 'settings');
    const live = liveCounterpart(object);
    meta(live).finalizers = ['example.com/other'];
    const patch = updatePatch(live, desiredFor(object))!;
    expect((patch.metadata as JsonObject).finalizers).toEqual(['example.com/other', 'example.com/keep']);
  });

  it('patches the status only when it is restored', () => {
    const object = find(backedUp, 'PersistentVolumeClaim', 'data');
    object.status = { phase: 'Bound' };
    const live = liveCounterpart(object);
    live.status = { phase: 'Pending' };
    expect(updatePatch(live, desiredFor(object))).toBeUndefined();
    expect(updatePatch(live, desiredFor(object, { restoreStatus: true }))).toEqual({ status: { phase: 'Bound' } });
  });

  it('never nulls what the server set, even on an object that differs everywhere', () => {
    const object = find(backedUp, 'Pod', 'debug');
    const live = liveCounterpart(object);
    meta(live).ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'u' }];
    dig(live, 'spec', 'containers', 0).image = 'other';
    const patch = updatePatch(live, desiredFor(object))!;
    expect(JSON.stringify(patch)).not.toContain('null');
    expect(patch).toEqual({ spec: { containers: [expect.objectContaining({ image: 'busybox:1.36' })] } });
  });
});

describe('restoreLabelsPatch', () => {
  it('sets only the restore labels that differ', () => {
    const object = find(backedUp, 'ConfigMap', 'settings');
    const desired = desiredFor(object);
    const live = find(backedUp, 'ConfigMap', 'settings');
    expect(restoreLabelsPatch(live, desired)).toEqual({ metadata: { labels: restoreLabels(BACKUP, RESTORE) } });
    expect(restoreLabelsPatch(liveCounterpart(object), desired)).toBeUndefined();
    expect(restoreLabelsPatch(liveCounterpart(object), desiredFor(object, { restoreName: 'r9' }))).toEqual({
      metadata: { labels: { 'lifeboat.dev/restore': 'r9' } },
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('restore-json', () => {
  it.each([
    // RFC 7386, appendix A.
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ] as [JsonValue, JsonValue, JsonValue][])('applyMergePatch(%j, %j) = %j', (target, patch, result) => {
    const before = cloneJson(target);
    expect(applyMergePatch(target, patch)).toEqual(result);
    expect(target).toEqual(before);
  });

  it.each([
    [
      { a: 1, b: { c: 2, d: [1, 2] } },
      { a: 1, b: { c: 3, d: [1] }, e: 'x' },
    ],
    [{ a: { b: { c: 1 } } }, { a: { b: {} } }],
    [{ a: 1 }, { b: null }],
    [{ a: [{ x: 1 }] }, { a: [{ x: 1, y: null }] }],
  ] as [JsonObject, JsonObject][])('createMergePatch(%j → %j) round-trips', (from, to) => {
    const patch = createMergePatch(from, to);
    expect(jsonEqual(applyMergePatch(from, patch ?? {}), to)).toBe(true);
  });

  it('makes no patch for equal objects', () => {
    expect(createMergePatch({ a: 1, b: null }, { a: 1 })).toBeUndefined();
  });

  it('compares with key order ignored and a null member the same as a missing one', () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: null }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(jsonEqual({ a: {} }, {})).toBe(false);
    expect(jsonEqual([null], [])).toBe(false);
  });

  it('names differing paths the way people read them', () => {
    expect(childPath('', 'spec')).toBe('spec');
    expect(childPath('spec.ports', 0)).toBe('spec.ports[0]');
    expect(childPath('metadata.labels', 'app.kubernetes.io/name')).toBe('metadata.labels["app.kubernetes.io/name"]');
    expect(differingPaths({ a: [1, 2], b: { c: 1 } }, { a: [1, 3], b: {}, d: 1 })).toEqual(['a[1]', 'b.c', 'd']);
    expect(differingPaths({ a: [1, 2] }, { a: [1] })).toEqual(['a']);
  });
});
