import { BatchV1Api, CoreV1Api, type KubeConfig, type V1ContainerStatus, type V1Pod } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { JOB_LABEL, labelSelector, LIFEBOAT, MANAGED_BY_LABEL } from '../../core/kube-metadata.js';
import { workflowIds } from '../../core/naming.js';
import { restoreJobName } from '../../core/restore-job.js';
import { podIp } from '../../devstack/node-agent/pod-ip.js';
import type { etcdRestore } from '../../workflows/index.js';
import { etcdRestoreProgress, type EtcdRestoreProgress } from '../../workflows/etcd-restore-api.js';

/** One member's restore Job pod, from its container states (Kubernetes keeps whole seconds). */
export interface MemberJobTimes {
  member: string;
  /** restore-members started → the Job's pod was created (claims, Job, Job controller). */
  toPod: number;
  /** Pod created → `fetch` started (scheduling, volume binding, the node agent starting the sandbox). */
  podStart: number;
  fetch: number;
  status: number;
  restore: number;
  /** When `restore` finished. */
  finishedAt: Date | undefined;
}

export interface LifeboatRestoreTimes {
  /** Workflow start → result, as the client sees it. */
  total: number;
  /** Workflow start → the first step (inspectRestore: manifest, StatefulSet, live revision). */
  planning: number;
  steps: { kind: string; seconds: number }[];
  /** scale-etcd-up started → wait-for-quorum ended: time to quorum as the workflow knows it. */
  quorumWorkflow: number;
  /** scale-etcd-up started → every member's /health says true, polled by the bench every 100 ms. */
  quorumObserved: number | undefined;
  members: MemberJobTimes[];
  /** The last member's `restore` finished → restore-members ended (Job status, the activity's 1 s polling, logs). */
  afterJobs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (from: Date | string | undefined, to: Date | string | undefined) =>
  from && to ? (new Date(to).getTime() - new Date(from).getTime()) / 1000 : NaN;
const AFTER_SCALE_UP = new Set(['scale-etcd-up', 'wait-for-quorum', 'verify-revision', 'mark-initialized']);

/** etcd's own /health on a member's metrics port (what the StatefulSet's readiness probe asks). */
async function healthy(namespace: string, member: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${podIp(namespace, member)}:2381/health`, {
      signal: AbortSignal.timeout(500),
    });
    return response.ok && ((await response.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

/**
 * Runs the etcdRestore workflow (backup latest) and times it end to end. Meanwhile it follows the progress query:
 * while the members are restored it samples the restore Jobs' pods (Lifeboat deletes the Jobs when the step ends),
 * and once etcd is scaled back up it polls the members directly, so the time to real quorum can be told apart from
 * the time the workflow takes to notice it.
 */
export async function lifeboatRestore(opts: {
  client: Client;
  taskQueue: string;
  cluster: string;
  namespace: string;
  members: string[];
  admin: KubeConfig;
}): Promise<LifeboatRestoreTimes> {
  const startedAt = new Date();
  const handle = await opts.client.workflow.start<typeof etcdRestore>('etcdRestore', {
    args: [{ cluster: opts.cluster, backup: 'latest', requestedBy: 'bench/etcd-restore' }],
    taskQueue: opts.taskQueue,
    workflowId: workflowIds.etcdRestore(opts.cluster),
  });
  const jobPods = new JobPods(opts.admin, opts.namespace, handle.firstExecutionRunId, opts.members);
  let finished = false;
  let quorumSeenAt: Date | undefined;
  const watch = (async () => {
    let scaledUp = false;
    while (!finished && !quorumSeenAt) {
      if (!scaledUp) {
        const progress = await handle.query(etcdRestoreProgress).catch(() => undefined);
        if (progress?.phase === 'restore-members') await jobPods.sample();
        scaledUp = progress !== undefined && AFTER_SCALE_UP.has(progress.phase);
        if (!scaledUp) await sleep(250);
        continue;
      }
      const states = await Promise.all(opts.members.map((m) => healthy(opts.namespace, m)));
      if (states.every(Boolean)) quorumSeenAt = new Date();
      else await sleep(100);
    }
  })();
  const result = await handle.result().finally(() => (finished = true));
  const total = (Date.now() - startedAt.getTime()) / 1000;
  await watch;

  const progress: EtcdRestoreProgress = await handle.query(etcdRestoreProgress);
  const step = (kind: string) => progress.steps.find((s) => s.kind === kind);
  const scaleUp = step('scale-etcd-up');
  const restoreStep = step('restore-members');
  const members = jobPods.times(restoreStep?.startedAt);
  const lastJob = Math.max(...members.map((m) => m.finishedAt?.getTime() ?? NaN));
  return {
    total,
    planning: seconds(startedAt, progress.steps[0]?.startedAt),
    steps: result.steps.map((s) => ({ kind: s.kind, seconds: seconds(s.startedAt, s.endedAt) })),
    quorumWorkflow: seconds(scaleUp?.startedAt, step('wait-for-quorum')?.endedAt),
    quorumObserved: quorumSeenAt ? seconds(scaleUp?.startedAt, quorumSeenAt) : undefined,
    members,
    afterJobs: seconds(new Date(lastJob), restoreStep?.endedAt),
  };
}

/** The latest state seen of each member's restore Job pod; where it spent its time, from its container states. */
class JobPods {
  private readonly memberOfJob: Map<string, string>;
  private readonly pods = new Map<string, V1Pod>();

  constructor(
    private readonly admin: KubeConfig,
    private readonly namespace: string,
    runId: string,
    private readonly members: string[],
  ) {
    this.memberOfJob = new Map(members.map((m) => [restoreJobName(runId, m, 0), m]));
  }

  async sample(): Promise<void> {
    const pods = await this.admin
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: this.namespace, labelSelector: JOB_LABEL })
      .catch(() => undefined);
    for (const pod of pods?.items ?? []) {
      const member = this.memberOfJob.get(pod.metadata?.labels?.[JOB_LABEL] ?? '');
      // A pod that succeeded is the one that restored the member; a retried Job's failed pods are not.
      if (member && this.pods.get(member)?.status?.phase !== 'Succeeded') this.pods.set(member, pod);
    }
  }

  times(stepStarted: string | undefined): MemberJobTimes[] {
    const terminated = (statuses: V1ContainerStatus[] | undefined, which: string) =>
      statuses?.find((s) => s.name === which)?.state?.terminated;
    return this.members.map((member) => {
      const pod = this.pods.get(member);
      const fetch = terminated(pod?.status?.initContainerStatuses, 'fetch');
      const status = terminated(pod?.status?.initContainerStatuses, 'status');
      const restore = terminated(pod?.status?.containerStatuses, 'restore');
      return {
        member,
        toPod: seconds(stepStarted, pod?.metadata?.creationTimestamp),
        podStart: seconds(pod?.metadata?.creationTimestamp, fetch?.startedAt),
        fetch: seconds(fetch?.startedAt, fetch?.finishedAt),
        status: seconds(status?.startedAt, status?.finishedAt),
        restore: seconds(restore?.startedAt, restore?.finishedAt),
        finishedAt: restore?.finishedAt,
      };
    });
  }
}

/** Restore Jobs left behind keep their pods, and each pod's emptyDir a copy of the snapshot: free them. */
export async function deleteRestoreJobs(admin: KubeConfig, namespace: string): Promise<void> {
  await admin.makeApiClient(BatchV1Api).deleteCollectionNamespacedJob({
    namespace,
    labelSelector: labelSelector({ [MANAGED_BY_LABEL]: LIFEBOAT }),
    propagationPolicy: 'Background',
  });
}
