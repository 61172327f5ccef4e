import type { V1StatefulSet } from '@kubernetes/client-node';
import { sleep } from '@temporalio/activity';
import type { ClusterConfig } from '../core/config/schema.js';
import {
  controlPlaneReplicas,
  INITIALIZED_ANNOTATION,
  labelSelector,
  PAUSED_REPLICAS_ANNOTATION,
  rememberedCount,
  RESTORED_AT_ANNOTATION,
  RESTORED_FROM_ANNOTATION,
  RESTORE_REPLICAS_ANNOTATION,
} from '../core/kube-metadata.js';
import { scaleDownStages } from '../core/restore-plan.js';
import { clusterEtcd } from './config-lookup.js';
import { clusterContext } from './context.js';
import type { ActivityDeps } from './deps.js';
import { moveLeadership, probeMembers } from './etcd/members.js';
import { deleteJobs, restoreJobsIn } from './kube/jobs.js';
import { resolveEtcd } from './etcd/target.js';
import { nonRetryable } from './failures.js';
import { kubeStatus, type Kube } from './kube/client.js';
import { waitFor } from './kube/wait.js';
import { FailureTypes } from '../core/failure-types.js';

const LEADERSHIP_MOVE_MS = 8_000;

async function podsLeft(kube: Kube, namespace: string, labels: Record<string, string> | undefined): Promise<string[]> {
  const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: labelSelector(labels) });
  return pods.items.map((p) => p.metadata!.name!);
}

function statefulSetRef(cluster: ClusterConfig) {
  return clusterEtcd(cluster).statefulSet!;
}

export function createRestoreClusterActivities(deps: ActivityDeps) {
  /** The activity's cluster, and its management cluster's API, connected. */
  const context = async (clusterName: string) => {
    const target = clusterContext(deps, clusterName);
    const kube = await target.kube();
    return { target, cluster: target.cluster, kube, ...kube };
  };

  return {
    /**
     * Scales the tenant's kube-apiserver Deployment to 0 and waits for its pods to go. The count it had is kept in
     * an annotation first, so a retried attempt (which sees 0) still knows what to come back to.
     */
    async pauseControlPlane(input: { cluster: string }): Promise<{ replicas: number }> {
      const { cluster, kube, apps, mergePatch } = await context(input.cluster);
      const ref = cluster.controlPlane!.deployment;
      const deployment = await apps.readNamespacedDeployment(ref);
      const replicas = controlPlaneReplicas(deployment);
      const remembered = rememberedCount(deployment.metadata?.annotations, PAUSED_REPLICAS_ANNOTATION);
      if (remembered === undefined || deployment.spec?.replicas !== 0) {
        await apps.patchNamespacedDeployment(
          {
            ...ref,
            body: {
              metadata: { annotations: { [PAUSED_REPLICAS_ANNOTATION]: String(replicas) } },
              spec: { replicas: 0 },
            },
          },
          mergePatch,
        );
      }
      const labels = deployment.spec?.selector.matchLabels;
      await waitFor(`pods of Deployment ${ref.namespace}/${ref.name} to stop`, async () => {
        const left = await podsLeft(kube, ref.namespace, labels);
        return left.length === 0 || `${left.length} left: ${left.join(', ')}`;
      });
      return { replicas };
    },

    /** Scales the control plane back to the count remembered at pause time; nothing to do when it is not paused. */
    async resumeControlPlane(input: { cluster: string }): Promise<{ replicas: number | undefined }> {
      const { cluster, apps, mergePatch } = await context(input.cluster);
      const ref = cluster.controlPlane!.deployment;
      const deployment = await apps.readNamespacedDeployment(ref);
      const remembered = rememberedCount(deployment.metadata?.annotations, PAUSED_REPLICAS_ANNOTATION);
      if (remembered === undefined) return { replicas: undefined };
      await apps.patchNamespacedDeployment(
        {
          ...ref,
          body: {
            metadata: { annotations: { [PAUSED_REPLICAS_ANNOTATION]: null } },
            spec: { replicas: remembered },
          },
        },
        mergePatch,
      );
      return { replicas: remembered };
    },

    /** Holds etcd at 0 (remembering the member count on the StatefulSet) and waits until no member runs. */
    async scaleEtcdDown(input: { cluster: string; members: number }): Promise<void> {
      const { target, cluster, kube, apps, mergePatch } = await context(input.cluster);
      const ref = statefulSetRef(cluster);
      const current = await apps.readNamespacedStatefulSet(ref);
      const labels = current.spec?.selector.matchLabels;
      const running = Math.min(current.spec?.replicas ?? 0, input.members);
      // Scaled down in stages (core/restore-plan.ts, scaleDownStages): the first member is made leader if it can be,
      // bounded well inside the heartbeat timeout, so a member that hangs does not stall the step.
      const firstLeads =
        running > 1 &&
        (await Promise.race([
          resolveEtcd(target)
            .then((connection) => moveLeadership(connection, `${ref.name}-0`))
            .catch(() => false),
          sleep(LEADERSHIP_MOVE_MS).then(() => false),
        ]));
      const holdAt = (replicas: number) =>
        apps.patchNamespacedStatefulSet(
          {
            ...ref,
            body: {
              metadata: { annotations: { [RESTORE_REPLICAS_ANNOTATION]: String(input.members) } },
              spec: { replicas },
            },
          },
          mergePatch,
        );
      for (const replicas of scaleDownStages(running, firstLeads)) {
        await holdAt(replicas);
        const leaving = Array.from({ length: running - replicas }, (_, i) => `${ref.name}-${replicas + i}`);
        await waitFor(`members ${leaving.join(', ')} to stop`, async () => {
          const still = (await podsLeft(kube, ref.namespace, labels)).filter((name) => leaving.includes(name));
          return still.length === 0 || `${still.join(', ')} still running`;
        });
      }
      // Also when it was at 0 already (a retried attempt, or a restore after an abort): the hold, and nothing running.
      await holdAt(0);
      await waitFor(`members of StatefulSet ${ref.namespace}/${ref.name} to stop`, async () => {
        const left = await podsLeft(kube, ref.namespace, labels);
        return left.length === 0 || `${left.length} running: ${left.join(', ')}`;
      });
    },

    /** Scales etcd back to its members; `release` (on rollback) also drops the hold, as if nothing had happened. */
    async scaleEtcdUp(input: { cluster: string; members: number; release: boolean }): Promise<void> {
      const { cluster, apps, mergePatch } = await context(input.cluster);
      const ref = statefulSetRef(cluster);
      const annotations: Record<string, string | null> = input.release ? { [RESTORE_REPLICAS_ANNOTATION]: null } : {};
      await apps.patchNamespacedStatefulSet(
        { ...ref, body: { metadata: { annotations }, spec: { replicas: input.members } } },
        mergePatch,
      );
    },

    /** The point of no return: deletes the members' claims (their volumes go with them) and waits until they are gone. */
    async deleteMemberVolumes(input: { cluster: string; claims: string[] }): Promise<void> {
      const { cluster, kube, apps, core, mergePatch } = await context(input.cluster);
      const ref = statefulSetRef(cluster);
      const { namespace } = ref;
      const sts = await apps.readNamespacedStatefulSet(ref);
      const running = await podsLeft(kube, namespace, sts.spec?.selector.matchLabels);
      if (running.length > 0) {
        // Never pull volumes from under running members: only a stopped etcd loses its data here.
        throw new Error(`members still run (${running.join(', ')}); waiting for them to stop before deleting volumes`);
      }
      // From here the data is gone until the restore brings it back: say so where operators and tools look.
      await apps.patchNamespacedStatefulSet(
        { ...ref, body: { metadata: { annotations: { [INITIALIZED_ANNOTATION]: 'false' } } } },
        mergePatch,
      );
      // Restore Jobs an earlier, aborted restore left behind still mount these claims.
      await deleteJobs(kube, namespace, await restoreJobsIn(kube, namespace));
      for (const name of input.claims) {
        try {
          await core.deleteNamespacedPersistentVolumeClaim({ namespace, name });
        } catch (err) {
          if (kubeStatus(err) !== 404) throw err;
        }
      }
      await waitFor('the members’ volume claims to be deleted', async () => {
        const left: string[] = [];
        for (const name of input.claims) {
          try {
            await core.readNamespacedPersistentVolumeClaim({ namespace, name });
            left.push(name);
          } catch (err) {
            if (kubeStatus(err) !== 404) throw err;
          }
        }
        return left.length === 0 || `${left.join(', ')} still there`;
      });
    },

    /** Every member Ready and answering, all in one cluster: the highest revision they report, and their names. */
    async waitForQuorum(input: {
      cluster: string;
      members: string[];
    }): Promise<{ revision: string; members: string[] }> {
      const { target, cluster, apps } = await context(input.cluster);
      const ref = statefulSetRef(cluster);
      let result: { revision: string; members: string[] } | undefined;
      await waitFor(`${input.members.length} members with quorum`, async () => {
        const sts: V1StatefulSet = await apps.readNamespacedStatefulSet(ref);
        const ready = sts.status?.readyReplicas ?? 0;
        if (ready < input.members.length) return `${ready}/${input.members.length} ready`;
        const probe = await probeMembers(await resolveEtcd(target));
        if (probe.reachable.length < input.members.length)
          return `${probe.reachable.length}/${input.members.length} members answer`;
        const names = probe.reachable.map((m) => m.name).sort();
        const unknown = names.filter((n) => !input.members.includes(n));
        if (unknown.length > 0) {
          throw nonRetryable(
            FailureTypes.InvalidConfig,
            `members ${unknown.join(', ')} answer but were not restored: the cluster is not the one restored`,
          );
        }
        if (!probe.reachable.some((m) => m.isLeader)) return 'no leader yet';
        const revisions = probe.reachable.map((m) => BigInt(m.revision));
        result = { revision: revisions.reduce((a, b) => (a > b ? a : b)).toString(), members: names };
        return true;
      });
      return result!;
    },

    /** EtcdClusterInitialized: the annotations say what the data is and since when; the hold is released. */
    async markEtcdRestored(input: { cluster: string; backup: string; revision: string }): Promise<void> {
      const { cluster, apps, mergePatch } = await context(input.cluster);
      await apps.patchNamespacedStatefulSet(
        {
          ...statefulSetRef(cluster),
          body: {
            metadata: {
              annotations: {
                [INITIALIZED_ANNOTATION]: 'true',
                [RESTORED_FROM_ANNOTATION]: input.backup.slice(0, 250),
                [RESTORED_AT_ANNOTATION]: new Date().toISOString(),
                [RESTORE_REPLICAS_ANNOTATION]: null,
              },
            },
          },
        },
        mergePatch,
      );
    },
  };
}
