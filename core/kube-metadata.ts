import type { V1Deployment } from '@kubernetes/client-node';

/**
 * Every label and annotation Lifeboat writes on Kubernetes objects, the labels it selects by, and the selectors built
 * from them: the one place these keys live. Labels are for finding objects again; annotations say what an object is
 * or what a restore remembered, so a retried step, another worker or a later restore knows what to bring back, and
 * operators and tools can see the state.
 */

/** On every Job and Pod Lifeboat creates, with the value LIFEBOAT: what `kubectl get -l ...` finds them by. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const LIFEBOAT = 'lifeboat';
/** On a snapshot Job: a hash of the backup's name (a label value cannot hold every name a backup may have). */
export const BACKUP_HASH_LABEL = 'lifeboat.dev/backup-hash';
/**
 * On a restore Job: a hash of the restore's id, so Jobs of another restore never match. On every object a resource
 * restore writes: the restore's name (as a valid label value), how a retried batch knows the objects it created.
 */
export const RESTORE_LABEL = 'lifeboat.dev/restore';
/** On every object a resource restore writes: the backup it came from (as a valid label value). */
export const RESTORED_FROM_LABEL = 'lifeboat.dev/restored-from';
/** On the Pods of a Lifeboat Job: the Job's name. */
export const JOB_LABEL = 'lifeboat.dev/job';

/**
 * On any object or namespace, with the value EXCLUDE_FROM_BACKUP_VALUE: a resource backup skips it. Lifeboat's own
 * label, and Velero's, so objects people already marked for Velero stay out of Lifeboat's backups too (issue 13).
 */
export const LIFEBOAT_EXCLUDE_FROM_BACKUP_LABEL = 'lifeboat.dev/exclude-from-backup';
export const VELERO_EXCLUDE_FROM_BACKUP_LABEL = 'velero.io/exclude-from-backup';
export const EXCLUDE_FROM_BACKUP_LABELS = [
  LIFEBOAT_EXCLUDE_FROM_BACKUP_LABEL,
  VELERO_EXCLUDE_FROM_BACKUP_LABEL,
] as const;
export const EXCLUDE_FROM_BACKUP_VALUE = 'true';

/** Set by Kubernetes, not Lifeboat: the Job controller on a Job's Pods, the EndpointSlice controller on slices. */
export const JOB_NAME_LABEL = 'job-name';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** On Lifeboat's Jobs: what they work on, for operators reading `kubectl describe`. */
export const CLUSTER_ANNOTATION = 'lifeboat.dev/cluster';
export const POLICY_ANNOTATION = 'lifeboat.dev/policy';
export const BACKUP_ANNOTATION = 'lifeboat.dev/backup';
/** On a restore Job: the member it restores, and the operator retry it belongs to. */
export const MEMBER_ANNOTATION = 'lifeboat.dev/member';
export const GENERATION_ANNOTATION = 'lifeboat.dev/generation';

/**
 * On a Velero Backup record Lifeboat wrote (velero-backup.json), with the value LIFEBOAT: how a reader tells it from
 * one stock Velero wrote. Velero's sync keeps annotations, so the imported Backup object carries it too.
 */
export const WRITTEN_BY_ANNOTATION = 'lifeboat.dev/written-by';

/** On a member's fresh volume claim: the member a restore made it for. */
export const RESTORED_MEMBER_ANNOTATION = 'lifeboat.dev/restored-member';
/** On the etcd StatefulSet while a restore holds it at 0 replicas: the member count to come back to. */
export const RESTORE_REPLICAS_ANNOTATION = 'lifeboat.dev/restore-replicas';
/** On the paused control-plane Deployment: the replica count it had. */
export const PAUSED_REPLICAS_ANNOTATION = 'lifeboat.dev/paused-replicas';
/**
 * On the etcd StatefulSet: "false" from the moment a restore deletes the members' volumes, "true" once etcd is back
 * and checked (Kubermatic's EtcdClusterInitialized condition, as an annotation on the object the restore owns).
 */
export const INITIALIZED_ANNOTATION = 'lifeboat.dev/etcd-cluster-initialized';
export const RESTORED_FROM_ANNOTATION = 'lifeboat.dev/restored-from';
export const RESTORED_AT_ANNOTATION = 'lifeboat.dev/restored-at';

/** The labels of a Lifeboat Job's Pods. */
export function jobPodLabels(job: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: LIFEBOAT, [JOB_LABEL]: job };
}

/** An equality selector matching every label given (`a=1,b=2`); none matches everything. */
export function labelSelector(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** Lifeboat's restore Jobs, of any restore. */
export const restoreJobsSelector = `${labelSelector({ [MANAGED_BY_LABEL]: LIFEBOAT })},${RESTORE_LABEL}`;

/** The Pods the Job controller made for one Job. */
export function podsOfJobSelector(job: string): string {
  return labelSelector({ [JOB_NAME_LABEL]: job });
}

/** The EndpointSlices of one Service. */
export function serviceSlicesSelector(service: string): string {
  return labelSelector({ [SERVICE_NAME_LABEL]: service });
}

/** A count a restore remembered in an annotation, if one is there and is a count. */
export function rememberedCount(annotations: Record<string, string> | undefined, key: string): number | undefined {
  const value = Number(annotations?.[key]);
  return annotations?.[key] !== undefined && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** The replicas a control-plane Deployment is to come back to: what a pause remembered, else what it has. */
export function controlPlaneReplicas(deployment: V1Deployment): number {
  return (
    rememberedCount(deployment.metadata?.annotations, PAUSED_REPLICAS_ANNOTATION) ?? deployment.spec?.replicas ?? 1
  );
}
