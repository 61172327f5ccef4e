import type { Command } from 'commander';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { workflowIds } from '../../../core/naming.js';
import {
  abortRestore,
  approveRestore,
  retryRestore,
  type OperatorDecision,
} from '../../../workflows/etcd-restore-api.js';
import type { etcdRestore } from '../../../workflows/index.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { utc } from '../../output.js';
import { withTemporal } from '../../temporal.js';
import { osUser } from './requester.js';
import { describeRestore } from './status.js';

/** The operator's decisions a waiting restore accepts, as workflow updates. */
const updates = {
  approve: { definition: approveRestore, description: 'Approve a restore waiting at its approval gate' },
  retry: {
    definition: retryRestore,
    description: 'Run the step a restore is waiting on (after the point of no return) once more',
  },
  abort: {
    definition: abortRestore,
    description:
      'End a waiting restore: at the approval gate nothing has changed yet; after the point of no return the cluster stays paused',
  },
} as const;

type Verb = keyof typeof updates;

async function sendUpdate(client: Client, verb: Verb, cluster: string, decision: OperatorDecision) {
  const handle = client.workflow.getHandle<typeof etcdRestore>(workflowIds.etcdRestore(cluster));
  try {
    return await handle.executeUpdate(updates[verb].definition, { args: [decision] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      // The workflow's validator said no: it is not waiting for this.
      const reason = err.cause?.message ?? err.message;
      throw new CliError(
        `cannot ${verb} the restore of ${cluster}: ${reason}. See lifeboat restore status ${cluster}.`,
        ExitCode.Failed,
      );
    }
    const { description } = await describeRestore(client, cluster); // never ran: exit 2
    if (description.status.name !== 'RUNNING') {
      throw new CliError(
        `cannot ${verb} the restore of ${cluster}: it is not running (${description.status.name.toLowerCase()} at ` +
          `${utc(description.closeTime?.toISOString())}). See lifeboat restore status ${cluster}.`,
        ExitCode.Failed,
      );
    }
    throw err;
  }
}

/** `lifeboat restore approve|retry|abort <cluster>`: they need Temporal only, not the config. */
export function registerOperatorUpdates(restore: Command): void {
  for (const verb of ['approve', 'retry', 'abort'] as const) {
    const command = restore
      .command(verb)
      .description(updates[verb].description)
      .argument('<cluster>', 'the cluster, as named in the config')
      .option('--by <name>', 'who decides, recorded in the workflow (default: $USER)');
    if (verb === 'abort') command.option('--reason <text>', 'why, recorded in the workflow and its failure');
    command
      .addHelpText(
        'after',
        `\nExample:\n  lifeboat restore ${verb} demo${verb === 'abort' ? ' --reason "wrong backup"' : ''}`,
      )
      .action(async (cluster: string, opts: { by?: string; reason?: string }) => {
        await withTemporal(async ({ client }) => {
          const answer = await sendUpdate(client, verb, cluster, {
            by: opts.by ?? osUser(),
            ...(opts.reason ? { reason: opts.reason } : {}),
          });
          console.log(`restore of ${cluster}: ${answer}. Follow it with lifeboat restore status ${cluster}.`);
        });
      });
  }
}
