import type { Command } from 'commander';
import { Option } from 'commander';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { workflowIds } from '../../../core/naming.js';
import { CliError, ExitCode } from '../../exit-codes.js';

/**
 * Which restore `restore status|approve|retry|abort CLUSTER` mean: an etcd or a resource restore. Both kinds never run
 * together on one cluster (activities/restore-exclusion.ts), so without --kind the running one is meant.
 */
export const RESTORE_KINDS = ['etcd', 'resources'] as const;
export type RestoreKind = (typeof RESTORE_KINDS)[number];

export function restoreWorkflowId(kind: RestoreKind, cluster: string): string {
  return kind === 'etcd' ? workflowIds.etcdRestore(cluster) : workflowIds.resourceRestore(cluster);
}

/** The --kind option, checked by commander (anything else is bad input, exit 2). */
export function addKindOption(command: Command): Command {
  return command.addOption(
    new Option('-k, --kind <kind>', 'etcd or resources (default: the one running for the cluster)').choices(
      RESTORE_KINDS,
    ),
  );
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
      `No ${kind === 'etcd' ? 'etcd ' : kind === 'resources' ? 'resource ' : ''}restore has run for cluster ` +
        `${cluster} (no workflow ${ids}). Start one with lifeboat restore ` +
        `${kind === 'resources' ? 'resources' : 'etcd'} --cluster ${cluster}` +
        `${kind ? '' : ` (or lifeboat restore resources --cluster ${cluster})`}.`,
      ExitCode.BadInput,
    );
  }
  if (kind) return found[0]!;
  const running = found.filter((f) => f.description.status.name === 'RUNNING');
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
      `No restore of ${cluster} is running; showing the latest, the ${latest.kind} restore (--kind ${latest.kind === 'etcd' ? 'resources' : 'etcd'} shows the other).`,
    );
  return latest;
}
