import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { OperatorDecision } from '../../../core/runbook.js';
// All restore workflows run on the runbook engine, which answers these same updates.
import { abortRestore, approveRestore, retryRestore } from '../../../workflows/runbook-api.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { utc } from '../../output.js';
import { withTemporal } from '../../temporal.js';
import { osUser } from './requester.js';
import { RESTORE_KIND_NAMES, type RestoreKind } from './kind.js';
import { describeRestore } from './status-run.js';

/** The operator's decisions a waiting restore accepts, as workflow updates. */
const updates = { approve: approveRestore, retry: retryRestore, abort: abortRestore } as const;

export type OperatorVerb = keyof typeof updates;

async function sendUpdate(
  client: Client,
  verb: OperatorVerb,
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
    const answer = await found.handle.executeUpdate(updates[verb], { args: [decision] });
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

/** `lifeboat restore approve|retry|abort` (operator.ts registers them). */
export async function runOperatorUpdate(
  verb: OperatorVerb,
  cluster: string,
  opts: { by?: string; reason?: string; kind?: RestoreKind },
): Promise<void> {
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
}
