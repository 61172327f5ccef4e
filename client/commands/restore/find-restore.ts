import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { CliError, ExitCode } from '../../exit-codes.js';
import { workflowIds } from '../../../core/naming.js';
import { RESTORE_KIND_NAMES, RESTORE_KINDS, type RestoreKind } from './kind.js';

const WORKFLOW_IDS: Record<RestoreKind, (cluster: string) => string> = {
  etcd: workflowIds.etcdRestore,
  resources: workflowIds.resourceRestore,
  acm: workflowIds.acmRestore,
};

export function restoreWorkflowId(kind: RestoreKind, cluster: string): string {
  return WORKFLOW_IDS[kind](cluster);
}

export interface FoundRestore {
  kind: RestoreKind;
  workflowId: string;
  description: WorkflowExecutionDescription;
}

async function describe(client: Client, kind: RestoreKind, cluster: string): Promise<FoundRestore | undefined> {
  const workflowId = restoreWorkflowId(kind, cluster);
  try {
    return { kind, workflowId, description: await client.workflow.getHandle(workflowId).describe() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * What to do when no --kind is given and neither kind runs: status shows the latest that ran (saying so), an
 * operator update has nothing to act on.
 */
export type WhenNoneRuns = 'latest' | 'refuse';

/**
 * The restore of a cluster that a command acts on: the one --kind names, else the running one. Never ran: exit 2,
 * naming the commands that start one.
 */
export async function findRestore(
  client: Client,
  cluster: string,
  kind: RestoreKind | undefined,
  whenNoneRuns: WhenNoneRuns,
): Promise<FoundRestore> {
  const kinds = kind ? [kind] : RESTORE_KINDS;
  const found = (await Promise.all(kinds.map((k) => describe(client, k, cluster)))).filter(
    (f): f is FoundRestore => f !== undefined,
  );
  if (found.length === 0) {
    const ids = kinds.map((k) => restoreWorkflowId(k, cluster)).join(' or ');
    throw new CliError(
      `No ${kind ? RESTORE_KIND_NAMES[kind] : 'restore'} has run for cluster ` +
        `${cluster} (no workflow ${ids}). Start one with lifeboat restore ` +
        `${kind ?? 'etcd'} --cluster ${cluster}` +
        `${kind ? '' : ` (or lifeboat restore resources|acm --cluster ${cluster})`}.`,
      ExitCode.BadInput,
    );
  }
  if (kind) return found[0]!;
  const running = found.filter((f) => f.description.status.name === 'RUNNING');
  // A running hub restore runs its steps as resource restores: the hub restore is the one meant.
  const hubRestore = running.find((f) => f.kind === 'acm');
  if (hubRestore) return hubRestore;
  if (running.length === 1) return running[0]!;
  if (running.length > 1) {
    throw new CliError(
      `Both an etcd and a resource restore of ${cluster} are running (${running.map((r) => r.workflowId).join(', ')}); ` +
        'say which with --kind etcd or --kind resources.',
      ExitCode.BadInput,
    );
  }
  if (whenNoneRuns === 'refuse') {
    throw new CliError(
      `No restore of ${cluster} is running (${found
        .map((f) => `${f.workflowId} ${f.description.status.name.toLowerCase()}`)
        .join(', ')}). See lifeboat restore status ${cluster}.`,
      ExitCode.Failed,
    );
  }
  const latest = [...found].sort((a, b) => b.description.startTime.getTime() - a.description.startTime.getTime())[0]!;
  if (found.length > 1)
    console.error(
      `No restore of ${cluster} is running; showing the latest, the ${RESTORE_KIND_NAMES[latest.kind]} (--kind ${RESTORE_KINDS.filter((k) => k !== latest.kind).join(' or --kind ')} shows the others).`,
    );
  return latest;
}
