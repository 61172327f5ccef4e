import type { V1Job } from '@kubernetes/client-node';
import { podsOfJobSelector, restoreJobsSelector } from '../../core/kube-metadata.js';
import { kubeStatus, type Kube } from './client.js';

/** What Lifeboat's Jobs (snapshot and restore) share: create-or-find by name, their pods, their logs. */
export const LOG_LINES = 20;

/** The Job's condition of this type if it holds: Complete or Failed, each the end of a Job. */
export function jobCondition(job: V1Job, type: 'Complete' | 'Failed') {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export async function createOrFind(kube: Kube, job: V1Job): Promise<void> {
  try {
    await kube.batch.createNamespacedJob({ namespace: job.metadata!.namespace!, body: job });
  } catch (err) {
    if (kubeStatus(err) !== 409) throw err; // a retried attempt finds the Job it created before
  }
}

export async function podsOf(kube: Kube, namespace: string, job: string) {
  return (await kube.core.listNamespacedPod({ namespace, labelSelector: podsOfJobSelector(job) })).items;
}

export async function logOf(
  kube: Kube,
  namespace: string,
  pod: string,
  container: string,
  tailLines?: number,
): Promise<string> {
  try {
    return await kube.core.readNamespacedPodLog({
      namespace,
      name: pod,
      container,
      ...(tailLines ? { tailLines } : {}),
    });
  } catch {
    return '';
  }
}

/** The last lines of every container of every pod the Job ran: what an operator needs to see why it failed. */
export async function failureLogs(kube: Kube, namespace: string, job: string): Promise<string> {
  const sections: string[] = [];
  for (const pod of await podsOf(kube, namespace, job)) {
    for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      const log = (await logOf(kube, namespace, pod.metadata!.name!, container.name, LOG_LINES)).trimEnd();
      if (log) sections.push(`--- ${pod.metadata!.name}/${container.name}:\n${log}`);
    }
  }
  return sections.join('\n') || '(no container logs)';
}

export function lastJsonLine<T>(log: string, test: (value: Record<string, unknown>) => boolean): T | undefined {
  for (const line of log.trim().split('\n').reverse()) {
    try {
      const value = JSON.parse(line) as Record<string, unknown>;
      if (test(value)) return value as T;
    } catch {
      // not JSON: ordinary log output
    }
  }
  return undefined;
}

/**
 * Deletes Jobs with their pods (background propagation). A finished pod still counts as using its volume claims,
 * so a restore's Jobs must go before the next restore can delete those claims.
 */
export async function deleteJobs(kube: Kube, namespace: string, names: string[]): Promise<void> {
  const batch = kube.batch;
  for (const name of names) {
    try {
      await batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' });
    } catch (err) {
      if (kubeStatus(err) !== 404) throw err;
    }
  }
}

/** Lifeboat's restore Jobs in a namespace, finished or not. */
export async function restoreJobsIn(kube: Kube, namespace: string): Promise<string[]> {
  const jobs = await kube.batch.listNamespacedJob({ namespace, labelSelector: restoreJobsSelector });
  return jobs.items.map((j) => j.metadata!.name!);
}
