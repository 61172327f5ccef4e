import { executeChild, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { AcmRestoreStep } from '../core/acm/restore-plan.js';
import {
  acmRestoreRunbook,
  stepRestoreRequest,
  strandedAcmRestore,
  type AcmRestoreInput,
  type AcmRestoreStepKind,
} from '../core/acm/restore-run.js';
import { restoreName, workflowIds } from '../core/naming.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds } from '../core/search-attributes.js';
import { acmRestoreProgress, type AcmRestoreProgress, type AcmRestoreResult } from './acm-restore-api.js';
import { resourceRestore } from './resource-restore.js';
import { restoreActivityRetry } from './restore-retry.js';
import { Runbook, type RunbookTexts } from './runbook.js';

export * from './acm-restore-api.js';

const { planHubRestore, checkOldHub, writeAutoImportSecrets, checkCleanupAccess, cleanupHub } =
  proxyActivities<Activities>({
    startToCloseTimeout: '10m',
    heartbeatTimeout: '1m',
    retry: restoreActivityRetry,
  });

/**
 * An ACM hub restore onto a new hub, as the cluster-backup-operator's Restore runs it, made a runbook: resolve each
 * type (latest, skip or a name) and refuse before writing anything if the request does not fit the backups; restore
 * the passive data — credentials, resources, generic — each a resource restore of one typed backup that updates what
 * exists and never applies CRDs, RBAC or webhooks; then the activation, a step of its own: the approval gate if
 * asked, the check that the old hub no longer writes backups, the activation data and the managed clusters last;
 * then the auto-import secrets for the clusters that need them; last, when asked, the cleanup of what the restored
 * backups no longer hold.
 */
export async function acmRestore(input: AcmRestoreInput): Promise<AcmRestoreResult> {
  const { hub, fromCluster } = input;
  const restore = restoreName(hub, new Date(input.requestedAt));
  const progress: AcmRestoreProgress = { hub, fromCluster, restore, phase: 'planning', steps: [], results: [] };
  const runbook = new Runbook<AcmRestoreStepKind, AcmRestoreProgress>(acmRestoreProgress, progress, texts(input));
  runbook.begin([
    { key: LifeboatCluster, value: hub },
    { key: LifeboatKind, value: LifeboatKinds.acmRestore },
  ]);

  const planned = await runbook.refusing('planning', () =>
    planHubRestore.executeWithOptions(
      { summary: `resolve the ${fromCluster} backups to restore onto ${hub} and check the old hub` },
      [input],
    ),
  );
  const { plan } = planned;
  const { cleanup } = input.request;
  if (cleanup !== 'none') {
    await runbook.refusing('planning', () =>
      checkCleanupAccess.executeWithOptions({ summary: `check that the restore identity of ${hub} may delete` }, [
        { hub },
      ]),
    );
  }
  progress.plan = plan;
  const done: string[] = [];
  runbook.plan(acmRestoreRunbook(plan, input), {
    rolledBack: 'Nothing was restored.',
    stranded: () => strandedAcmRestore(hub, restore, done),
  });

  const restoreStep = async (step: AcmRestoreStep) => {
    const request = stepRestoreRequest(input, restore, step, planned.location);
    const result = await runbook.change(step.step, () =>
      executeChild(resourceRestore, {
        args: [request],
        workflowId: workflowIds.resourceRestore(hub),
        typedSearchAttributes: [
          { key: LifeboatCluster, value: hub },
          { key: LifeboatKind, value: LifeboatKinds.resourceRestore },
        ],
        staticSummary: `step ${step.step} of hub restore ${restore}: ${step.backup}${step.selector ? ` (${step.selector})` : ''}`,
      }),
    );
    done.push(step.step);
    progress.results.push({
      step: step.step,
      backup: step.backup,
      restore: result.restore,
      outcome: result.outcome,
      counts: result.counts,
      failed: result.steps.flatMap((s) =>
        s.notable
          .filter((i) => i.outcome === 'failed')
          .map((i) => `${i.groupResource} ${i.namespace ? `${i.namespace}/` : ''}${i.name}: ${i.reason ?? 'failed'}`),
      ),
    });
  };

  for (const step of plan.steps.filter((s) => !s.activation)) await restoreStep(step);

  const activation = plan.steps.filter((s) => s.activation);
  if (activation.length > 0) {
    if (input.requireApproval) {
      await runbook.gate(
        'approval',
        planned.approvalTimeout,
        done.length > 0
          ? `the passive data (${done.join(', ')}) stays restored, the clusters were not activated`
          : undefined,
      );
    }
    progress.activation = await runbook.change('activation-check', () =>
      checkOldHub.executeWithOptions({ summary: `check that ${fromCluster} no longer writes backups` }, [
        { request: input, location: planned.location, intervalMs: planned.intervalMs },
      ]),
    );
    for (const step of activation) await restoreStep(step);
    progress.autoImport = await runbook.change('auto-import', () =>
      writeAutoImportSecrets.executeWithOptions(
        { summary: `write the auto-import secrets of the managed clusters of ${hub}` },
        [{ hub }],
      ),
    );
  }
  if (cleanup !== 'none') {
    progress.cleanup = await runbook.change('cleanup', () =>
      cleanupHub.executeWithOptions(
        { summary: `delete from ${hub} what the restored backups no longer hold (${cleanup})` },
        [{ hub, fromCluster, location: planned.location, mode: cleanup, backups: plan.backups }],
      ),
    );
  }
  runbook.complete();
  return progress;
}

function texts(input: AcmRestoreInput): RunbookTexts<AcmRestoreProgress> {
  const { hub, fromCluster } = input;
  return {
    subject: `ACM hub restore of ${hub}${fromCluster !== hub ? ` from ${fromCluster}` : ''}`,
    heading: (p) =>
      `**ACM hub restore ${p.restore}** onto ${hub} from the backups of ${fromCluster}: ${p.phase}` +
      (p.plan
        ? ` (credentials ${p.plan.backups.credentials ?? 'skip'}, resources ${p.plan.backups.resources ?? 'skip'}, managed clusters ${p.plan.backups.managedClusters ?? 'skip'})`
        : ''),
    hints: {
      approval: `lifeboat restore approve ${hub} --kind acm   (or abort: lifeboat restore abort ${hub} --kind acm)`,
      operator: `lifeboat restore retry ${hub} --kind acm   or   lifeboat restore abort ${hub} --kind acm`,
    },
  };
}
