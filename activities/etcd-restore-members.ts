import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { V1Pod } from '@kubernetes/client-node';
import { parseDuration } from '../core/duration.js';
import type { EtcdMemberLayout } from '../core/etcd-members.js';
import { MEMBER_ANNOTATION, RESTORED_MEMBER_ANNOTATION } from '../core/kube-metadata.js';
import { restoreJob, restoreJobName } from '../core/restore-job.js';
import { findLocation } from './config-lookup.js';
import { clusterContext } from './context.js';
import type { ActivityDeps } from './deps.js';
import { nonRetryable } from './failures.js';
import { createOrFind, deleteJobs, failureLogs, jobCondition, lastJsonLine, logOf, podsOf } from './kube/jobs.js';
import { kubeStatus, type Kube } from './kube/client.js';
import { done, notYet, waitUntil } from './kube/wait.js';
import type { RestoreSource } from './etcd-restore-inspect.js';
import { withS3 } from './storage/s3.js';
import { FailureTypes } from '../core/failure-types.js';

/** An image that cannot be pulled for this long will not be pulled by waiting out the Job's deadline either. */
const STUCK_MS = 60_000;
const STUCK_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError']);

export interface RestoreMembersInput {
  cluster: string;
  restoreId: string;
  generation: number;
  source: RestoreSource;
  layout: EtcdMemberLayout;
  /** Decimal; "0" for no bump. */
  bumpRevision: string;
}

/** Fresh claims, made from the StatefulSet's own template so its pods adopt them when it scales back up. */
async function createClaims(kube: Kube, layout: EtcdMemberLayout): Promise<void> {
  const sts = await kube.apps.readNamespacedStatefulSet({ namespace: layout.namespace, name: layout.statefulSet });
  const template = sts.spec?.volumeClaimTemplates?.find((t) => t.metadata?.name === layout.claimTemplate);
  if (!template?.spec)
    throw nonRetryable(FailureTypes.InvalidConfig, `StatefulSet lost its volumeClaimTemplate ${layout.claimTemplate}`);
  const core = kube.core;
  for (const member of layout.members) {
    try {
      await core.createNamespacedPersistentVolumeClaim({
        namespace: layout.namespace,
        body: {
          metadata: {
            name: member.claim,
            labels: { ...(template.metadata?.labels ?? {}), ...layout.selector },
            annotations: { [RESTORED_MEMBER_ANNOTATION]: member.name },
          },
          spec: template.spec,
        },
      });
    } catch (err) {
      if (kubeStatus(err) !== 409) throw err; // made by an earlier attempt of this step
    }
  }
}

/** Why a pod cannot start, if it is one of the reasons waiting will not fix. */
function stuckReason(pod: V1Pod): string | undefined {
  for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && STUCK_REASONS.has(waiting.reason)) {
      return `${pod.metadata?.name}/${status.name}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
    }
  }
  return undefined;
}

/**
 * Where a restore Job is: failed (thrown, with its containers' last log lines), complete, or its pods still at it.
 * One succeeded pod completes the Job (one completion): no need to wait for the Job controller to say so.
 */
async function jobProgress(kube: Kube, namespace: string, name: string): Promise<'complete' | V1Pod[]> {
  const job = await kube.batch.readNamespacedJob({ namespace, name });
  const failed = jobCondition(job, 'Failed');
  if (failed) {
    throw nonRetryable(
      FailureTypes.RestoreJobFailed,
      `restore Job ${namespace}/${name} (${job.metadata?.annotations?.[MEMBER_ANNOTATION]}) failed ` +
        `(${failed.reason ?? 'Failed'}: ${failed.message ?? ''}) after ${job.status?.failed ?? 0} pod(s). ` +
        `Last log lines:\n${await failureLogs(kube, namespace, name)}`,
    );
  }
  if (jobCondition(job, 'Complete')) return 'complete';
  const pods = await podsOf(kube, namespace, name);
  return pods.some((p) => p.status?.phase === 'Succeeded') ? 'complete' : pods;
}

/** Pods that cannot start for a reason waiting will not fix end the wait once they have been so for STUCK_MS. */
function stuckPods() {
  const stuckSince = new Map<string, number>();
  return {
    check(pods: V1Pod[], job: string, cluster: string, namespace: string): void {
      for (const pod of pods) {
        const reason = stuckReason(pod);
        const key = pod.metadata!.name!;
        if (!reason) {
          stuckSince.delete(key);
          continue;
        }
        const since = stuckSince.get(key) ?? Date.now();
        stuckSince.set(key, since);
        if (Date.now() - since > STUCK_MS) {
          throw nonRetryable(
            FailureTypes.RestoreJobFailed,
            `restore Job ${namespace}/${job} cannot start: ${reason}. Check clusters[${cluster}].restore.image.`,
          );
        }
      }
    },
  };
}

export function createRestoreMemberActivities(deps: ActivityDeps) {
  return {
    /**
     * restore-members: per member a fresh claim and a Job that fills it from the backup (core/restore-job.ts). Jobs run in
     * parallel; one that fails (after its own back-off) fails the step with its containers' last log lines.
     * Returns the snapshot's revision as etcdutl read it.
     */
    async restoreMembers(input: RestoreMembersInput): Promise<{ snapshotRevision: string; jobs: string[] }> {
      const { cluster, kube: kubeOf } = clusterContext(deps, input.cluster);
      const kube = await kubeOf();
      const { layout, source } = input;
      await createClaims(kube, layout);

      const deadlineSeconds = Math.round(parseDuration(cluster.restore.jobDeadline)! / 1000);
      const location = findLocation(deps, source.location);
      // A read-only URL for this one object, valid a little longer than the Jobs may run: no S3 keys in the tenant.
      const snapshotUrl = await withS3(deps, location, (s3) =>
        getSignedUrl(s3, new GetObjectCommand({ Bucket: location.bucket, Key: source.key }), {
          expiresIn: Math.min(deadlineSeconds + 600, 7 * 24 * 3600),
        }),
      );
      const jobs = layout.members.map((member) =>
        restoreJob({
          restoreId: input.restoreId,
          generation: input.generation,
          cluster: input.cluster,
          backup: source.backup,
          layout,
          member,
          image: cluster.restore.image,
          snapshotUrl,
          compression: source.compression,
          encrypted: source.encrypted,
          ...(source.storedSha256 ? { storedSha256: source.storedSha256 } : {}),
          ...(source.snapshotSha256 ? { snapshotSha256: source.snapshotSha256 } : {}),
          ...(cluster.restore.decryptionSecret ? { decryptionSecret: cluster.restore.decryptionSecret } : {}),
          readRevision: source.revision === undefined,
          bumpRevision: BigInt(input.bumpRevision),
          activeDeadlineSeconds: deadlineSeconds,
          backoffLimit: cluster.restore.backoffLimit,
        }),
      );
      for (const job of jobs) await createOrFind(kube, job);

      const names = layout.members.map((m) => restoreJobName(input.restoreId, m.name, input.generation));
      const stuck = stuckPods();
      await waitUntil(async () => {
        let complete = 0;
        for (const name of names) {
          const progress = await jobProgress(kube, layout.namespace, name);
          if (progress === 'complete') complete += 1;
          else stuck.check(progress, name, input.cluster, layout.namespace);
        }
        return complete === names.length ? done(undefined) : notYet({ complete, of: names.length });
      });

      // The revision the members start from: the manifest's, or etcdutl's account of a foreign snapshot.
      const firstPod = source.revision
        ? undefined
        : (await podsOf(kube, layout.namespace, names[0]!)).find((p) => p.status?.phase === 'Succeeded');
      const status = firstPod
        ? lastJsonLine<{ revision: number }>(
            await logOf(kube, layout.namespace, firstPod.metadata!.name!, 'status'),
            (v) => 'revision' in v,
          )
        : undefined;
      const snapshotRevision = status ? String(status.revision) : source.revision;
      if (!snapshotRevision) {
        throw new Error(
          `restore Job ${names[0]} completed but its status log is gone; cannot tell the snapshot's revision`,
        );
      }
      // Done with them: their finished pods would otherwise hold the new claims when the next restore deletes them.
      await deleteJobs(kube, layout.namespace, names);
      return { snapshotRevision, jobs: names };
    },
  };
}
