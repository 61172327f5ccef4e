import type { BackupItemRef, Skip } from './restore-model.js';

/**
 * What a resource restore never brings back, and why: whole resources (NEVER_RESTORED), objects known by name
 * (nameSkip), and objects judged by their backed-up JSON while the archive is read (itemSkip). Velero's rules
 * (../shared/research/velero-resources-notes.md, section 4 "Never restored"), and Lifeboat's additions where a
 * controller or the API server makes the object again and restoring the old copy only races it or carries stale
 * state from the source cluster. Pure.
 */

export interface NeverRestored {
  groupResource: string;
  /** Other names kubectl knows it by, so `--include-resources no` is refused without the target's discovery. */
  aliases: readonly string[];
  reason: string;
  /** Velero's nonRestorableResources, or one Lifeboat adds. */
  source: 'velero' | 'lifeboat';
}

/** Velero's nonRestorableResources (pkg/controller/restore_controller.go) and Lifeboat's additions. */
export const NEVER_RESTORED: readonly NeverRestored[] = [
  {
    groupResource: 'nodes',
    aliases: ['node', 'no'],
    reason: 'Nodes register themselves: the kubelet of each machine creates its Node',
    source: 'velero',
  },
  {
    groupResource: 'events',
    aliases: ['event', 'ev'],
    reason: 'Events record what happened in the source cluster; they describe nothing to bring back',
    source: 'velero',
  },
  {
    groupResource: 'events.events.k8s.io',
    aliases: [],
    reason: 'Events record what happened in the source cluster; they describe nothing to bring back',
    source: 'velero',
  },
  {
    groupResource: 'backups.velero.io',
    aliases: [],
    reason: "Velero's backups come from its object storage by its sync, not from a backup (Velero issue #622)",
    source: 'velero',
  },
  {
    groupResource: 'restores.velero.io',
    aliases: [],
    reason: "Velero's restores belong to the cluster they ran in (Velero issue #622)",
    source: 'velero',
  },
  {
    groupResource: 'resticrepositories.velero.io',
    aliases: [],
    reason: 'Velero creates its repositories itself when it needs them',
    source: 'velero',
  },
  {
    groupResource: 'backuprepositories.velero.io',
    aliases: [],
    reason: 'Velero creates its repositories itself when it needs them',
    source: 'velero',
  },
  {
    groupResource: 'csinodes.storage.k8s.io',
    aliases: ['csinode'],
    reason: "each Node's CSI drivers register it on that Node (Velero issue #4823)",
    source: 'velero',
  },
  {
    groupResource: 'volumeattachments.storage.k8s.io',
    aliases: ['volumeattachment'],
    reason: 'records which Node a volume is attached to in the source cluster; the attach controller makes them',
    source: 'velero',
  },
  {
    groupResource: 'leases.coordination.k8s.io',
    aliases: ['lease'],
    reason:
      "leader elections and Node heartbeats of running processes: a restored Lease names a holder of the source cluster and delays the target's election until it expires",
    source: 'lifeboat',
  },
  {
    groupResource: 'ipaddresses.networking.k8s.io',
    aliases: ['ipaddress', 'ip'],
    reason:
      "the API server allocates one for each Service's cluster IP; restored Services get new cluster IPs, and the old addresses would stay reserved",
    source: 'lifeboat',
  },
  {
    groupResource: 'csistoragecapacities.storage.k8s.io',
    aliases: ['csistoragecapacity'],
    reason: "CSI drivers publish them from the storage's live capacity",
    source: 'lifeboat',
  },
];

/** Each entry by its groupResource, its plural alone (`leases`) and its aliases; the first entry keeps a name. */
const NEVER_BY_NAME = new Map<string, NeverRestored>(
  NEVER_RESTORED.flatMap((n) =>
    [n.groupResource, n.groupResource.split('.')[0]!, ...n.aliases].map((name) => [name.toLowerCase(), n] as const),
  ).reverse(),
);

/**
 * The NEVER_RESTORED entry a resource name (groupResource, plural or alias, any case) names, if any. A bare plural
 * of a group (`backups`) may be another group's resource: resolveRestoreResource asks the backup first.
 */
export function neverRestored(name: string): NeverRestored | undefined {
  return NEVER_BY_NAME.get(name.toLowerCase());
}

export function neverRestoredSkip(entry: NeverRestored): Skip {
  return { code: 'never-restored', reason: entry.reason };
}

// ---------------------------------------------------------------------------------------------------------------------
// Objects known by name

const KUBE_ROOT_CA = 'kube-root-ca.crt';

/**
 * Objects the target's own control plane makes, known by name alone, so the plan skips them before the archive is
 * read: the API server's `kubernetes` Service in `default` with its Endpoints and EndpointSlice, and the CA bundle
 * every namespace gets.
 */
export function nameSkip(ref: BackupItemRef): Skip | undefined {
  const { groupResource, namespace, name } = ref;
  if (
    namespace === 'default' &&
    name === 'kubernetes' &&
    (groupResource === 'services' ||
      groupResource === 'endpoints' ||
      groupResource === 'endpointslices.discovery.k8s.io')
  ) {
    return {
      code: 'recreated-by-controller',
      reason: "kube-apiserver keeps the default/kubernetes Service and its endpoints, with the target's own addresses",
    };
  }
  if (groupResource === 'configmaps' && name === KUBE_ROOT_CA && namespace !== undefined) {
    return {
      code: 'recreated-by-controller',
      reason: "the root CA publisher writes kube-root-ca.crt into every namespace, with the target cluster's CA",
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------------
// Objects judged by their JSON

interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  controller?: boolean;
}

/** The parts of a backed-up object the rules read; any JSON object is accepted. */
export interface BackedUpObject {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
  };
  type?: string;
  status?: { phase?: string; completionTime?: string; conditions?: { type?: string; status?: string }[] };
}

/** The controlling owner of an object, and the namespace it lives in (an owner is in its child's, or cluster-scoped). */
export interface ControllerOwner {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ItemSkipContext {
  /**
   * Whether the owner is in the backup and the restore's filters select it (RestorePlan's items and related items),
   * whatever itemSkip later says of the owner itself: a Deployment's ReplicaSet is skipped, and so are its Pods, since
   * the Deployment recreates both. An owned object whose owner is not selected has no controller to recreate it, so
   * it is restored itself. Without it, every owner is taken to be selected: a full restore.
   */
  ownerRestored?: (owner: ControllerOwner) => boolean;
}

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const AUTOMANAGED_API_SERVICE_LABEL = 'kube-aggregator.kubernetes.io/automanaged';
const ENDPOINT_SLICE_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
const ENDPOINT_SLICE_CONTROLLERS = ['endpointslice-controller.k8s.io', 'endpointslicemirroring-controller.k8s.io'];
/** Set by the endpoints controller on every Endpoints it maintains (a Service with a selector), never by hand. */
const ENDPOINTS_TRIGGER_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
const ENDPOINTS_MANAGED_BY = 'endpoints.kubernetes.io/managed-by';
const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const TOKEN_SECRET_TYPE = 'kubernetes.io/service-account-token';
const BOOTSTRAPPING_LABEL = 'kubernetes.io/bootstrapping';
const RBAC_AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
const APF_AUTOUPDATE_ANNOTATION = 'apf.kubernetes.io/autoupdate-spec';

/**
 * Which owners recreate which children: the built-in controllers' (a Pod of any controller: ReplicaSet, StatefulSet,
 * DaemonSet, Job, or an operator's). A ControllerRevision is a StatefulSet's or DaemonSet's history, rebuilt from the
 * restored spec.
 */
const RECREATED_CHILDREN: Record<string, (owner: ControllerOwner) => boolean> = {
  pods: () => true,
  'replicasets.apps': (o) => o.kind === 'Deployment',
  'controllerrevisions.apps': (o) => o.kind === 'StatefulSet' || o.kind === 'DaemonSet',
  'jobs.batch': (o) => o.kind === 'CronJob',
};

function controllerOwner(obj: BackedUpObject, namespace: string | undefined): ControllerOwner | undefined {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!ref?.kind || !ref.name) return undefined;
  return { apiVersion: ref.apiVersion ?? '', kind: ref.kind, name: ref.name, ...(namespace ? { namespace } : {}) };
}

function completed(groupResource: string, obj: BackedUpObject): Skip | undefined {
  const status = obj.status ?? {};
  if (groupResource === 'pods' && (status.phase === 'Succeeded' || status.phase === 'Failed')) {
    return { code: 'completed', reason: `a ${status.phase} Pod: restoring it would run it again` };
  }
  if (groupResource !== 'jobs.batch') return undefined;
  if (status.completionTime) return { code: 'completed', reason: 'a completed Job: restoring it would run it again' };
  // Velero looks at completionTime only, which a Job that failed for good (backoffLimit, deadline) never gets: it
  // would be restored and run again, so its terminal condition counts too.
  const failed = status.conditions?.some((c) => c.type === 'Failed' && c.status === 'True');
  return failed ? { code: 'completed', reason: 'a failed Job: restoring it would run it again' } : undefined;
}

/**
 * Why one backed-up object is not restored, or undefined to restore it. Decided while the archive is read, after
 * the filters and nameSkip.
 *
 * Lifeboat differs from Velero on owned objects: Velero restores a controller's Pods and a Deployment's
 * ReplicaSets (without their ownerReferences) and lets the restored owner adopt them. The owner's controller
 * creates them anyway from its restored spec, so restoring both races it: duplicates to scale down, Pods of a
 * stale template, and a Pod restored with another node's state. Only when the owner is not restored is the child.
 */
export function itemSkip(groupResource: string, object: unknown, context: ItemSkipContext = {}): Skip | undefined {
  if (typeof object !== 'object' || object === null) return undefined;
  const obj = object as BackedUpObject;
  const meta = obj.metadata ?? {};
  const annotations = meta.annotations ?? {};
  const labels = meta.labels ?? {};
  const byName = nameSkip({
    groupResource,
    ...(meta.namespace ? { namespace: meta.namespace } : {}),
    name: meta.name ?? '',
  });
  if (byName) return byName;

  if (groupResource === 'pods' && annotations[MIRROR_POD_ANNOTATION] !== undefined) {
    return {
      code: 'recreated-by-controller',
      reason: 'a mirror Pod: the kubelet shows its static Pod so, from a manifest on the node',
    };
  }
  const done = completed(groupResource, obj);
  if (done) return done;

  const recreates = RECREATED_CHILDREN[groupResource];
  const owner = recreates ? controllerOwner(obj, meta.namespace) : undefined;
  if (owner && recreates!(owner) && (context.ownerRestored?.(owner) ?? true)) {
    return {
      code: 'recreated-by-controller',
      reason: `its ${owner.kind} ${owner.name} is restored and its controller creates it again; restoring both would race it`,
    };
  }

  if (groupResource === 'secrets' && obj.type === TOKEN_SECRET_TYPE) {
    // Velero skips a token Secret named <sa>-token-* once its ServiceAccount exists, which it always does by then
    // (ServiceAccounts come first): so these, which the ServiceAccount token controller generated. Any other token
    // Secret someone asked for is restored, and restore-object.ts drops its token, ca.crt and uid annotation so the
    // target's token controller issues a token signed by the target's key.
    const account = annotations[SERVICE_ACCOUNT_NAME_ANNOTATION];
    if (account && meta.name?.startsWith(`${account}-token-`)) {
      return {
        code: 'recreated-by-controller',
        reason: `a token the ServiceAccount controller generated for ${account}, signed by the source cluster's key; Pods get fresh tokens`,
      };
    }
  }
  if (groupResource === 'apiservices.apiregistration.k8s.io' && labels[AUTOMANAGED_API_SERVICE_LABEL] !== undefined) {
    return {
      code: 'recreated-by-controller',
      reason: 'kube-apiserver registers this APIService itself, for a built-in or CRD group',
    };
  }
  if (
    groupResource === 'endpointslices.discovery.k8s.io' &&
    ENDPOINT_SLICE_CONTROLLERS.includes(labels[ENDPOINT_SLICE_MANAGED_BY] ?? '')
  ) {
    return {
      code: 'recreated-by-controller',
      reason:
        "the EndpointSlice controller makes it from its Service and the target's Pods; the backup's addresses are stale",
    };
  }
  if (
    groupResource === 'endpoints' &&
    (annotations[ENDPOINTS_TRIGGER_ANNOTATION] !== undefined || labels[ENDPOINTS_MANAGED_BY] !== undefined)
  ) {
    return {
      code: 'recreated-by-controller',
      reason:
        "the endpoints controller makes it for its Service's selector from the target's Pods; the backup's addresses are stale",
    };
  }
  if (
    (groupResource === 'clusterroles.rbac.authorization.k8s.io' ||
      groupResource === 'clusterrolebindings.rbac.authorization.k8s.io' ||
      groupResource === 'roles.rbac.authorization.k8s.io' ||
      groupResource === 'rolebindings.rbac.authorization.k8s.io') &&
    labels[BOOTSTRAPPING_LABEL] === 'rbac-defaults' &&
    annotations[RBAC_AUTOUPDATE_ANNOTATION] !== 'false'
  ) {
    return {
      code: 'recreated-by-controller',
      reason:
        'default RBAC that kube-apiserver creates and reconciles for its own version (set rbac.authorization.kubernetes.io/autoupdate: "false" on one you changed to have it restored)',
    };
  }
  if (
    (groupResource === 'flowschemas.flowcontrol.apiserver.k8s.io' ||
      groupResource === 'prioritylevelconfigurations.flowcontrol.apiserver.k8s.io') &&
    annotations[APF_AUTOUPDATE_ANNOTATION] === 'true'
  ) {
    return {
      code: 'recreated-by-controller',
      reason: "kube-apiserver's own API priority and fairness configuration, kept up to date by it",
    };
  }
  return undefined;
}
