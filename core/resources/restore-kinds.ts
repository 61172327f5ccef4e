import type { NamespaceMapping } from './restore-model.js';
import { objectAt, objectsAt, stringAt, type JsonObject, type JsonValue } from './restore-json.js';
import { adjustServicePatch, fillService, sanitiseService } from './restore-service.js';

/**
 * What a resource restore changes in an object of a particular kind before it creates it: Velero's built-in restore
 * item actions (pkg/restore/actions), learned from, not copied, with Lifeboat's departures said where they are. Each
 * rule edits a copy the caller owns. The same rules run on the object found in the cluster before a comparison
 * (restore-compare.ts), so whatever they drop never counts as a difference; the `fill` hooks cover what a rule left
 * out only sometimes (a node port that was not set explicitly), and `adjustPatch` what an update must not take away.
 */

export interface KindRuleContext {
  namespaceMapping: NamespaceMapping;
  /** Keep every Service node port as backed up (--preserve-node-ports), not only the explicitly set ones. */
  preserveNodePorts: boolean;
  /** PersistentVolumes the restore leaves to the claim's provisioner (isReprovisioned): their claims unbind. */
  reprovisionedVolumes: readonly string[];
}

export interface KindRules {
  /** Velero's name, as the archive's directories and the plan use it. */
  groupResource: string;
  /** The API group and kind an object of it carries (the comparison has only the objects). */
  group: string;
  kind: string;
  sanitise(object: JsonObject, ctx: KindRuleContext): void;
  /** Drop from the live object's sanitised copy what `desired` left for the server to fill. */
  fill?(live: JsonObject, desired: JsonObject): void;
  /** Amend an update's merge patch so it keeps what the server filled in the live object. */
  adjustPatch?(patch: JsonObject, live: JsonObject, desired: JsonObject): void;
}

function mapped(mapping: NamespaceMapping, namespace: string): string {
  return Object.hasOwn(mapping, namespace) ? mapping[namespace]! : namespace;
}

/** Filter an array member in place; an array left empty is removed, as the API server omits it. */
function keepItems(parent: JsonObject, key: string, keep: (item: JsonValue) => boolean): void {
  const items = parent[key];
  if (!Array.isArray(items)) return;
  const kept = items.filter(keep);
  if (kept.length === items.length) return;
  if (kept.length > 0) parent[key] = kept;
  else delete parent[key];
}

/** Delete keys of a string map member; a map left empty is removed. */
export function deleteKeys(parent: JsonObject | undefined, key: string, names: readonly string[]): void {
  const map = objectAt(parent, key);
  if (!parent || !map) return;
  for (const name of names) delete map[name];
  if (Object.keys(map).length === 0) delete parent[key];
}

// ---------------------------------------------------------------------------------------------------------------------
// Pods, ServiceAccounts, Secrets, Jobs: what the old object's identity left behind.

function sanitisePod(pod: JsonObject): void {
  const spec = objectAt(pod, 'spec');
  if (!spec) return;
  delete spec.nodeName;
  delete spec.priority;
  // Velero keeps them, and the API refuses a Pod created with ephemeral containers: they are added to a running Pod.
  delete spec.ephemeralContainers;
  const account = stringAt(spec, 'serviceAccountName') ?? stringAt(spec, 'serviceAccount') ?? 'default';
  const tokenPrefix = `${account}-token-`;
  const notToken = (item: JsonValue) => !stringAt(item, 'name')?.startsWith(tokenPrefix);
  keepItems(spec, 'volumes', notToken);
  for (const container of [...objectsAt(spec, 'containers'), ...objectsAt(spec, 'initContainers')]) {
    keepItems(container, 'volumeMounts', notToken);
  }
}

function sanitiseServiceAccount(account: JsonObject): void {
  const tokenPrefix = `${stringAt(objectAt(account, 'metadata'), 'name') ?? ''}-token-`;
  // Every token reference: Velero drops only the last one it finds.
  keepItems(account, 'secrets', (item) => !stringAt(item, 'name')?.startsWith(tokenPrefix));
}

function tokenSecretRefs(account: JsonObject): JsonValue[] {
  const tokenPrefix = `${stringAt(objectAt(account, 'metadata'), 'name') ?? ''}-token-`;
  return objectsAt(account, 'secrets').filter((item) => stringAt(item, 'name')?.startsWith(tokenPrefix));
}

/** An update that rewrites the account's secrets keeps the token references the cluster made. */
function adjustServiceAccountPatch(patch: JsonObject, live: JsonObject): void {
  if (!Array.isArray(patch.secrets) && patch.secrets !== null) return;
  const tokens = tokenSecretRefs(live);
  if (tokens.length === 0) return;
  patch.secrets = [...(Array.isArray(patch.secrets) ? patch.secrets : []), ...tokens];
}

export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SERVICE_ACCOUNT_UID_ANNOTATION = 'kubernetes.io/service-account.uid';

function sanitiseSecret(secret: JsonObject): void {
  if (secret.type !== SERVICE_ACCOUNT_TOKEN_TYPE) return;
  deleteKeys(objectAt(secret, 'metadata'), 'annotations', [SERVICE_ACCOUNT_UID_ANNOTATION]);
  // The token controller writes these again; `namespace` too (Velero keeps it), which a mapping would make wrong and
  // which the controller refills only when it is missing.
  deleteKeys(secret, 'data', ['token', 'ca.crt', 'namespace']);
}

export const JOB_CONTROLLER_UID_LABELS = ['batch.kubernetes.io/controller-uid', 'controller-uid'] as const;

function sanitiseJob(job: JsonObject): void {
  const spec = objectAt(job, 'spec');
  const selector = objectAt(spec, 'selector');
  deleteKeys(selector, 'matchLabels', JOB_CONTROLLER_UID_LABELS);
  if (spec && selector && Object.keys(selector).length === 0) delete spec.selector;
  deleteKeys(objectAt(objectAt(spec, 'template'), 'metadata'), 'labels', JOB_CONTROLLER_UID_LABELS);
  // The Job's own labels default to its template's, old uid included (Velero leaves that one): it names no object.
  deleteKeys(objectAt(job, 'metadata'), 'labels', JOB_CONTROLLER_UID_LABELS);
}

export const DEPLOYMENT_REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/**
 * The Deployment controller numbers the restored Deployment's first ReplicaSet (owned ReplicaSets are not restored)
 * and writes that revision back: the backup's number would compare as a difference on every later look, and an
 * update writing it back would only be undone (Velero keeps it).
 */
function sanitiseDeployment(deployment: JsonObject): void {
  deleteKeys(objectAt(deployment, 'metadata'), 'annotations', [DEPLOYMENT_REVISION_ANNOTATION]);
}

// ---------------------------------------------------------------------------------------------------------------------
// Namespaces and references to them.

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function sanitiseNamespace(namespace: JsonObject, ctx: KindRuleContext): void {
  const metadata = objectAt(namespace, 'metadata');
  const name = stringAt(metadata, 'name');
  if (!metadata || name === undefined) return;
  const target = mapped(ctx.namespaceMapping, name);
  metadata.name = target;
  // The API server sets this label to the name on every Namespace; saying so here keeps a mapped one comparable.
  metadata.labels = { ...(objectAt(metadata, 'labels') ?? {}), [NAMESPACE_NAME_LABEL]: target };
}

function sanitiseBinding(binding: JsonObject, ctx: KindRuleContext): void {
  for (const subject of objectsAt(binding, 'subjects')) {
    const namespace = stringAt(subject, 'namespace');
    if (namespace !== undefined) subject.namespace = mapped(ctx.namespaceMapping, namespace);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Volumes: the PV controller binds restored claims and volumes again.

export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';
const CLAIM_BINDING_ANNOTATIONS = [
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  'volume.kubernetes.io/storage-provisioner',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
];

/**
 * A volume whose reclaim policy is Delete is not restored (Velero's choice for a volume with no data in the backup,
 * and Lifeboat's: a resource backup holds none): its disk went with its claim, or still serves the source cluster,
 * which would delete it under the restored copy. Its claim is provisioned a new, empty volume instead.
 */
export function isReprovisioned(volume: JsonObject): boolean {
  return objectAt(volume, 'spec')?.persistentVolumeReclaimPolicy === 'Delete';
}

function sanitiseVolume(volume: JsonObject, ctx: KindRuleContext): void {
  deleteKeys(objectAt(volume, 'metadata'), 'annotations', [BIND_COMPLETED_ANNOTATION, BOUND_BY_CONTROLLER_ANNOTATION]);
  const claim = objectAt(objectAt(volume, 'spec'), 'claimRef');
  if (!claim) return;
  delete claim.uid;
  delete claim.resourceVersion;
  const namespace = stringAt(claim, 'namespace');
  if (namespace !== undefined) claim.namespace = mapped(ctx.namespaceMapping, namespace);
}

function sanitiseClaim(claim: JsonObject, ctx: KindRuleContext): void {
  deleteKeys(objectAt(claim, 'metadata'), 'annotations', CLAIM_BINDING_ANNOTATIONS);
  const spec = objectAt(claim, 'spec');
  const volume = stringAt(spec, 'volumeName');
  if (spec && volume !== undefined && ctx.reprovisionedVolumes.includes(volume)) delete spec.volumeName;
}

function fillClaim(live: JsonObject, desired: JsonObject): void {
  const spec = objectAt(live, 'spec');
  if (spec && objectAt(desired, 'spec')?.volumeName === undefined) delete spec.volumeName;
}

// ---------------------------------------------------------------------------------------------------------------------
// API extensions an older cluster accepted and a newer one refuses.

function sanitiseCrd(crd: JsonObject): void {
  const spec = objectAt(crd, 'spec');
  if (crd.apiVersion !== 'apiextensions.k8s.io/v1' || !spec || spec.preserveUnknownFields !== true) return;
  // v1 refuses preserveUnknownFields: true; the schema-level flag keeps the same behaviour.
  delete spec.preserveUnknownFields;
  for (const version of objectsAt(spec, 'versions')) {
    const schema = objectAt(objectAt(version, 'schema'), 'openAPIV3Schema');
    if (schema) schema['x-kubernetes-preserve-unknown-fields'] = true;
  }
}

const VALID_SIDE_EFFECTS = ['None', 'NoneOnDryRun'];

function sanitiseWebhooks(configuration: JsonObject): void {
  if (configuration.apiVersion !== 'admissionregistration.k8s.io/v1') return;
  for (const webhook of objectsAt(configuration, 'webhooks')) {
    if (!VALID_SIDE_EFFECTS.includes(webhook.sideEffects as string)) webhook.sideEffects = 'None';
  }
}

// ---------------------------------------------------------------------------------------------------------------------

const RBAC = 'rbac.authorization.k8s.io';
const ADMISSION = 'admissionregistration.k8s.io';
const APIEXTENSIONS = 'apiextensions.k8s.io';

export const KIND_RULES: readonly KindRules[] = [
  {
    groupResource: 'services',
    group: '',
    kind: 'Service',
    sanitise: sanitiseService,
    fill: fillService,
    adjustPatch: adjustServicePatch,
  },
  { groupResource: 'pods', group: '', kind: 'Pod', sanitise: sanitisePod },
  {
    groupResource: 'serviceaccounts',
    group: '',
    kind: 'ServiceAccount',
    sanitise: sanitiseServiceAccount,
    adjustPatch: adjustServiceAccountPatch,
  },
  { groupResource: 'secrets', group: '', kind: 'Secret', sanitise: sanitiseSecret },
  { groupResource: 'namespaces', group: '', kind: 'Namespace', sanitise: sanitiseNamespace },
  { groupResource: 'jobs.batch', group: 'batch', kind: 'Job', sanitise: sanitiseJob },
  { groupResource: 'deployments.apps', group: 'apps', kind: 'Deployment', sanitise: sanitiseDeployment },
  { groupResource: `rolebindings.${RBAC}`, group: RBAC, kind: 'RoleBinding', sanitise: sanitiseBinding },
  { groupResource: `clusterrolebindings.${RBAC}`, group: RBAC, kind: 'ClusterRoleBinding', sanitise: sanitiseBinding },
  { groupResource: 'persistentvolumes', group: '', kind: 'PersistentVolume', sanitise: sanitiseVolume },
  {
    groupResource: 'persistentvolumeclaims',
    group: '',
    kind: 'PersistentVolumeClaim',
    sanitise: sanitiseClaim,
    fill: fillClaim,
  },
  {
    groupResource: `customresourcedefinitions.${APIEXTENSIONS}`,
    group: APIEXTENSIONS,
    kind: 'CustomResourceDefinition',
    sanitise: sanitiseCrd,
  },
  {
    groupResource: `mutatingwebhookconfigurations.${ADMISSION}`,
    group: ADMISSION,
    kind: 'MutatingWebhookConfiguration',
    sanitise: sanitiseWebhooks,
  },
  {
    groupResource: `validatingwebhookconfigurations.${ADMISSION}`,
    group: ADMISSION,
    kind: 'ValidatingWebhookConfiguration',
    sanitise: sanitiseWebhooks,
  },
];

export function rulesForResource(groupResource: string): KindRules | undefined {
  return KIND_RULES.find((rules) => rules.groupResource === groupResource);
}

/** The rules for an object by what it says it is (`apiVersion` `apps/v1` is group `apps`; `v1` the core group). */
export function rulesForObject(object: JsonObject): KindRules | undefined {
  const apiVersion = stringAt(object, 'apiVersion') ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return KIND_RULES.find((rules) => rules.group === group && rules.kind === object.kind);
}
