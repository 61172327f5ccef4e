import type { Command } from 'commander';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { OperatorDecision } from '../../../core/runbook.js';
// All restore workflows run on the runbook engine, which answers these same updates.
import { abortRestore, approveRestore, retryRestore } from '../../../workflows/runbook-api.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { utc } from '../../output.js';
import { withTemporal } from '../../temporal.js';
import { osUser } from './requester.js';
import { addKindOption, RESTORE_KIND_NAMES, type RestoreKind } from './kind.js';
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

async function sendUpdate(
  client: Client,
  verb: Verb,
  cluster: string,
  kind: RestoreKind | undefined,
  decision: OperatorDecision,
) {
  // The restore the operator means: the one --kind names, else the running one of either kind (none: exit 1).
  const found = await describeRestore(client, cluster, kind, 'refuse');
  const what = `the ${RESTORE_KIND_NAMES[found.kind]} of ${cluster}`;
  const see = `See lifeboat restore status ${cluster} --kind ${found.kind}.`;
  if (found.description.status.name !== 'RUNNING') {
    throw new CliError(
      `cannot ${verb} ${what}: it is not running (${found.description.status.name.toLowerCase()} at ` +
        `${utc(found.description.closeTime?.toISOString())}). ${see}`,
      ExitCode.Failed,
    );
  }
  try {
    const answer = await found.handle.executeUpdate(updates[verb].definition, { args: [decision] });
    return { answer, kind: found.kind };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      // The workflow's validator said no: it is not waiting for this.
      const reason = err.cause?.message ?? err.message;
      throw new CliError(`cannot ${verb} ${what}: ${reason}. ${see}`, ExitCode.Failed);
    }
    throw err;
  }
}

/** `lifeboat restore approve|retry|abort <cluster>`: they need Temporal only, not the config. */
export function registerOperatorUpdates(restore: Command): void {
  for (const verb of ['approve', 'retry', 'abort'] as const) {
    const command = addKindOption(restore.command(verb))
      .description(updates[verb].description)
      .argument('<cluster>', 'the cluster, as named in the config')
      .option('--by <name>', 'who decides, recorded in the workflow (default: $USER)');
    if (verb === 'abort') command.option('--reason <text>', 'why, recorded in the workflow and its failure');
    command
      .addHelpText(
        'after',
        `\nExample:\n  lifeboat restore ${verb} demo${verb === 'abort' ? ' --reason "wrong backup"' : ''}`,
      )
      .action(async (cluster: string, opts: { by?: string; reason?: string; kind?: RestoreKind }) => {
        await withTemporal(async ({ client }) => {
          const { answer, kind } = await sendUpdate(client, verb, cluster, opts.kind, {
            by: opts.by ?? osUser(),
            ...(opts.reason ? { reason: opts.reason } : {}),
          });
          console.log(
            `${RESTORE_KIND_NAMES[kind]} of ${cluster}: ${answer}. ` +
              `Follow it with lifeboat restore status ${cluster} --kind ${kind}.`,
          );
        });
      });
  }
}
