import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { V1Pod } from '@kubernetes/client-node';
import { heartbeat, sleep } from '@temporalio/activity';
import { parseDuration } from '../core/duration.js';
import type { EtcdMemberLayout } from '../core/etcd-members.js';
import { MEMBER_ANNOTATION, RESTORED_MEMBER_ANNOTATION } from '../core/kube-metadata.js';
import { restoreJob, restoreJobName } from '../core/restore-job.js';
import { findCluster, findLocation } from './config-lookup.js';
import type { ActivityDeps } from './deps.js';
import { nonRetryable } from './failures.js';
import { createOrFind, deleteJobs, failureLogs, lastJsonLine, logOf, podsOf } from './kube/jobs.js';
import { kubeStatus, type Kube } from './kube/client.js';
import type { RestoreSource } from './etcd-restore-inspect.js';
import { s3ClientFor } from './storage/s3.js';

/** Kubernetes reports in well under a second here; a restore is a sequence of such waits. */
const POLL_MS = 200;
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
    throw nonRetryable('InvalidConfig', `StatefulSet lost its volumeClaimTemplate ${layout.claimTemplate}`);
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

export function createRestoreMemberActivities(deps: ActivityDeps) {
  return {
    /**
     * Step 5: per member a fresh claim and a Job that fills it from the backup (core/restore-job.ts). Jobs run in
     * parallel; one that fails (after its own back-off) fails the step with its containers' last log lines.
     * Returns the snapshot's revision as etcdutl read it.
     */
    async restoreMembers(input: RestoreMembersInput): Promise<{ snapshotRevision: string; jobs: string[] }> {
      const cluster = findCluster(deps, input.cluster);
      const kube = await deps.kubeFor(cluster);
      const { layout, source } = input;
      await createClaims(kube, layout);

      const deadlineSeconds = Math.round(parseDuration(cluster.restore.jobDeadline)! / 1000);
      const location = findLocation(deps, source.location);
      const s3 = s3ClientFor(deps, location);
      let snapshotUrl: string;
      try {
        // A read-only URL for this one object, valid a little longer than the Jobs may run: no S3 keys in the tenant.
        snapshotUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: location.bucket, Key: source.key }), {
          expiresIn: Math.min(deadlineSeconds + 600, 7 * 24 * 3600),
        });
      } finally {
        s3.destroy();
      }
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
      const batch = kube.batch;
      const stuckSince = new Map<string, number>();
      for (;;) {
        let complete = 0;
        for (const name of names) {
          const job = await batch.readNamespacedJob({ namespace: layout.namespace, name });
          const conditions = job.status?.conditions ?? [];
          const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
          if (failed) {
            throw nonRetryable(
              'RestoreJobFailed',
              `restore Job ${layout.namespace}/${name} (${job.metadata?.annotations?.[MEMBER_ANNOTATION]}) failed ` +
                `(${failed.reason ?? 'Failed'}: ${failed.message ?? ''}) after ${job.status?.failed ?? 0} pod(s). ` +
                `Last log lines:\n${await failureLogs(kube, layout.namespace, name)}`,
            );
          }
          if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) {
            complete += 1;
            continue;
          }
          const pods = await podsOf(kube, layout.namespace, name);
          // One succeeded pod completes the Job (one completion): no need to wait for the Job controller to say so.
          if (pods.some((p) => p.status?.phase === 'Succeeded')) {
            complete += 1;
            continue;
          }
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
                'RestoreJobFailed',
                `restore Job ${layout.namespace}/${name} cannot start: ${reason}. Check clusters[${input.cluster}].restore.image.`,
              );
            }
          }
        }
        if (complete === names.length) break;
        heartbeat({ complete, of: names.length });
        await sleep(POLL_MS);
      }

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
