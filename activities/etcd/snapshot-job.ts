import { FailureTypes } from '../../core/failure-types.js';
import type { Compression } from '../../core/layout.js';
import { parseDuration } from '../../core/duration.js';
import { snapshotJob, snapshotJobName, type SnapshotJobInput } from '../../core/snapshot-job.js';
import { nonRetryable } from '../failures.js';
import type { Kube } from '../kube/client.js';
import { createOrFind, failureLogs, jobCondition, lastJsonLine, LOG_LINES, logOf, podsOf } from '../kube/jobs.js';
import { done, notYet, waitUntil } from '../kube/wait.js';
import type { StreamStats } from './snapshot-stream.js';

/** What the Job's containers report in their logs (see core/snapshot-job.ts and `lifeboat job store-snapshot`). */
export interface JobSnapshot {
  job: string;
  /**
   * What the store container reported storing (Lifeboat's report line). Absent when a custom store container printed
   * none, as Kubermatic's do: the caller then finds the object in storage (activities/etcd/foreign-snapshot.ts).
   */
  report?: { stored: StreamStats; snapshot: StreamStats; storeChecksum?: string };
  /** The succeeded pod's store container: its name and last log lines, for errors about what it stored. */
  store: { pod: string; lastLines: string };
  revision: string;
  version: string;
  totalSize: number;
}

export interface JobRequest extends Omit<SnapshotJobInput, 'job'> {
  job: {
    credentialsSecret: string;
    snapshotImage: string;
    storeContainer?: SnapshotJobInput['job']['storeContainer'];
    activeDeadline: string;
    backoffLimit: number;
  };
  compression: Compression;
}

/** Runs the snapshot Job to its end; idempotent by name. Its failure carries the containers' last log lines. */
export async function runSnapshotJob(kube: Kube, request: JobRequest): Promise<JobSnapshot> {
  const name = snapshotJobName(request.cluster, request.policy, request.backup);
  const job = snapshotJob({
    ...request,
    job: { ...request.job, activeDeadlineSeconds: Math.round(parseDuration(request.job.activeDeadline)! / 1000) },
  });
  await createOrFind(kube, job);
  return waitUntil(async () => {
    const current = await kube.batch.readNamespacedJob({ namespace: request.namespace, name });
    const failed = jobCondition(current, 'Failed');
    if (failed) {
      throw nonRetryable(
        FailureTypes.SnapshotJobFailed,
        `snapshot Job ${request.namespace}/${name} failed (${failed.reason ?? 'Failed'}: ${failed.message ?? ''}) ` +
          `after ${current.status?.failed ?? 0} pod(s). Last log lines:\n${await failureLogs(kube, request.namespace, name)}`,
      );
    }
    if (jobCondition(current, 'Complete')) return done(await readReports(kube, request, name));
    return notYet({ job: name, active: current.status?.active ?? 0, failed: current.status?.failed ?? 0 });
  });
}

/** What the completed Job's containers reported: the store container's report line and the snapshot's status. */
async function readReports(kube: Kube, request: JobRequest, name: string): Promise<JobSnapshot> {
  const pod = (await podsOf(kube, request.namespace, name)).find((p) => p.status?.phase === 'Succeeded');
  if (!pod) throw new Error(`snapshot Job ${name} completed but its pod is gone; retrying finds the object's state`);
  const podName = pod.metadata!.name!;
  const storeLog = await logOf(kube, request.namespace, podName, 'store');
  const stored = lastJsonLine<{
    lifeboatStored: { stored: StreamStats; snapshot: StreamStats; storeChecksum?: string };
  }>(storeLog, (v) => 'lifeboatStored' in v);
  const snapshotStatus = lastJsonLine<{ revision: number; version: string; totalSize: number }>(
    await logOf(kube, request.namespace, podName, 'status'),
    (v) => 'revision' in v,
  );
  // Lifeboat's own containers always report; only a replaced store container may stay silent.
  if (!snapshotStatus || (!stored && !request.job.storeContainer)) {
    throw nonRetryable(
      FailureTypes.SnapshotJobFailed,
      `snapshot Job ${name} completed without reporting ${snapshotStatus ? 'what it stored' : 'the snapshot status'}.`,
    );
  }
  return {
    job: name,
    ...(stored
      ? {
          report: {
            stored: stored.lifeboatStored.stored,
            snapshot: stored.lifeboatStored.snapshot,
            ...(stored.lifeboatStored.storeChecksum ? { storeChecksum: stored.lifeboatStored.storeChecksum } : {}),
          },
        }
      : {}),
    store: { pod: podName, lastLines: storeLog.trimEnd().split('\n').slice(-LOG_LINES).join('\n') },
    revision: String(snapshotStatus.revision),
    version: snapshotStatus.version,
    totalSize: snapshotStatus.totalSize,
  };
}
