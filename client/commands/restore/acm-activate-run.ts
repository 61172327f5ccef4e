import { WorkflowUpdateFailedError } from '@temporalio/client';
import { workflowIds } from '../../../core/naming.js';
import { activateAcmRestore } from '../../../workflows/acm-restore-api.js';
import type { acmRestore } from '../../../workflows/index.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { withTemporal } from '../../temporal.js';
import { followAcm } from './acm-run.js';
import { osUser } from './requester.js';
import { bad } from './resource-request.js';
import { workflowRunning } from './running.js';

export interface ActivateOptions {
  oldHubGone?: string;
  by?: string;
  follow?: boolean;
}

/** `lifeboat restore acm activate` (acm-activate.ts registers it and says what it does). */
export async function runAcmActivate(hub: string, opts: ActivateOptions): Promise<void> {
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
}

/** A restore that is no sync has no activate handler: the server rejects the update as unknown. */
function isUnknownUpdate(err: unknown): boolean {
  return err instanceof Error && /update/i.test(err.message) && /(unknown|not found|no handler)/i.test(err.message);
}
