import type { V1Deployment } from '@kubernetes/client-node';

/**
 * What a restore writes on the objects it holds, so a retried step, another worker or a later restore knows what to
 * bring back, and operators and tools can see the state. The one place these keys and their reading live.
 */

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
