import { inject } from 'vitest';
import type { RestoreOptions } from '../../core/resources/restore-model.js';
import { backupName, workflowIds } from '../../core/naming.js';
import type { resourceBackup } from '../../workflows/index.js';
import type { TestWorker } from './stack.js';

/** What the resource restore tests share: a cluster entry with both identities, default options, one backup. */

/** The test control plane as a cluster that backs up as the reader and restores as the restorer (deploy/kubernetes). */
export function localClusterWithRestorer(name = 'local') {
  return {
    name,
    api: { kubeconfig: inject('resourceReaderKubeconfig') },
    restoreApi: { kubeconfig: inject('resourceRestorerKubeconfig') },
  };
}

/** A restore's options as the CLI sends them without flags, with `overrides`. */
export function restoreOptions(overrides: Partial<RestoreOptions> = {}): RestoreOptions {
  return {
    filters: { includedNamespaces: [], excludedNamespaces: [], includedResources: [], excludedResources: [] },
    namespaceMapping: {},
    existingResourcePolicy: 'none',
    restoreStatus: [],
    preserveNodePorts: false,
    ...overrides,
  };
}

/** Runs one resource backup of `cluster`/`policy` named from `requestedAt` to its end; its name. */
export async function backUpResources(
  tw: TestWorker,
  cluster: string,
  policy: string,
  requestedAt: string,
): Promise<string> {
  const manifest = await tw.client.workflow.execute<typeof resourceBackup>('resourceBackup', {
    args: [{ cluster, policy, requestedAt }],
    taskQueue: tw.taskQueue,
    workflowId: workflowIds.resourceBackup(cluster, policy, backupName(policy, new Date(requestedAt))),
  });
  return manifest.backup;
}
