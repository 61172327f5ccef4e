import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { workflowIds } from '../../../core/naming.js';
import { activateAcmRestore } from '../../../workflows/acm-restore-api.js';
import type { acmRestore } from '../../../workflows/index.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { withTemporal } from '../../temporal.js';
import { followAcm } from './acm.js';
import { osUser } from './requester.js';
import { bad } from './resource-request.js';
import { workflowRunning } from './running.js';

interface ActivateOptions {
  oldHubGone?: string;
  by?: string;
  follow?: boolean;
}

/**
 * `lifeboat restore acm activate HUB`: ends a passive sync's waiting (the operator's edit of
 * veleroManagedClustersBackupName to latest). The workflow then restores the latest backups of every type, the
 * managed clusters last, and writes the auto-import secrets. Needs Temporal only.
 */
export function registerAcmActivate(acm: Command): void {
  acm
    .command('activate')
    .description(
      'Activate a passive sync (lifeboat restore acm --sync): restore the latest backups of every type onto the hub, ' +
        'the managed clusters last, so it takes the clusters over',
    )
    .argument('<hub>', 'the hub the sync restores onto, as named in the config')
    .option('--old-hub-gone <reason>', 'activate although the old hub wrote a recent backup set, for this reason')
    .option('--follow', 'print progress until the activation ends, then the results', false)
    .option('--by <name>', 'who activates, recorded in the workflow (default: $USER)')
    .addHelpText(
      'after',
      '\nExample:\n  lifeboat restore acm activate new-hub --follow\n' +
        '\nThe activation is refused while the old hub still writes backups (a set newer than twice its schedule ' +
        'interval); --old-hub-gone "<reason>" overrides.\n' +
        `\nExit codes: ${ExitCode.Ok} activation asked (or, with --follow, completed); ${ExitCode.Failed} no sync ` +
        `of the hub waits for activation; ${ExitCode.BadInput} bad input.`,
    )
    // `restore acm` has --by and --old-hub-gone too, and commander gives them to it: read both levels.
    .action(async (hub: string, _own: ActivateOptions, command: Command) => {
      const opts = command.optsWithGlobals<ActivateOptions>();
      if (opts.oldHubGone !== undefined && opts.oldHubGone.trim() === '')
        throw bad('--old-hub-gone: give the reason you know the old hub is gone (it is recorded in the workflow)');
      await withTemporal(async ({ client }) => {
        const workflowId = workflowIds.acmRestore(hub);
        const handle = client.workflow.getHandle<typeof acmRestore>(workflowId);
        if (!(await workflowRunning(client, workflowId)))
          throw new CliError(
            `no ACM hub restore of ${hub} is running (workflow ${workflowId}); start a sync with lifeboat restore ` +
              'acm --sync, or restore with --managed-clusters latest',
            ExitCode.Failed,
          );
        let answer: string;
        try {
          answer = await handle.executeUpdate(activateAcmRestore, {
            args: [{ by: opts.by ?? osUser(), ...(opts.oldHubGone ? { oldHubGone: opts.oldHubGone.trim() } : {}) }],
          });
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError || isUnknownUpdate(err))
            throw new CliError(
              `cannot activate the ACM hub restore of ${hub}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}. ` +
                `See lifeboat restore status ${hub} --kind acm.`,
              ExitCode.Failed,
            );
          throw err;
        }
        console.log(`ACM hub restore of ${hub}: ${answer}`);
        if (opts.follow) await followAcm(handle, hub);
        else console.log(`follow it with: lifeboat restore status ${hub} --kind acm`);
      });
    });
}

/** A restore that is no sync has no activate handler: the server rejects the update as unknown. */
function isUnknownUpdate(err: unknown): boolean {
  return err instanceof Error && /update/i.test(err.message) && /(unknown|not found|no handler)/i.test(err.message);
}
