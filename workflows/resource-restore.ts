import { proxyActivities, setHandler, upsertSearchAttributes, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { restoreName } from '../core/naming.js';
import { resourceRestoreRunbook, restoreStepKind, strandedResourceRestore } from '../core/resources/restore-runbook.js';
import {
  addOutcomes,
  restoreOutcome,
  zeroOutcomes,
  type ResourceRestoreRequest,
  type StepReport,
} from '../core/resources/restore-run.js';
import { LifeboatBackup, LifeboatCluster, LifeboatKind, LifeboatKinds } from '../core/search-attributes.js';
import {
  resourceRestoreCounters,
  resourceRestoreProgress,
  type ResourceRestoreProgress,
  type ResourceRestoreResult,
  type ResourceRestoreStepKind,
} from './resource-restore-api.js';
import { restoreActivityRetry } from './restore-retry.js';
import { Runbook, type RunbookTexts } from './runbook.js';

export * from './resource-restore-api.js';

const retry = restoreActivityRetry;
const heartbeating: ActivityOptions = { heartbeatTimeout: '30s', retry };
const { planResourceRestore, recordResourceRestore } = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  retry,
});
// A step of 50k objects takes minutes; the heartbeat, not this timeout, notices a dead worker.
const { preflightResourceRestore, restoreResourceStep } = proxyActivities<Activities>({
  ...heartbeating,
  startToCloseTimeout: '6h',
});

/**
 * A resource restore, as the runbook has it: plan (which backup, what it holds, the order, what is skipped and why),
 * preflight (the archive intact, every kind served, the identity allowed: before anything is written), the approval
 * gate if asked, then each resource in the plan's order, then the record. Durable: a step interrupted by a dead
 * worker runs again and finds what it created by its restore label. With `dryRun` it compares and writes nothing.
 */
export async function resourceRestore(request: ResourceRestoreRequest): Promise<ResourceRestoreResult> {
  const { target } = request;
  const dryRun = request.dryRun ?? false;
  const restore = request.name ?? restoreName(target, new Date(request.requestedAt));
  const startedAt = new Date(Date.now()).toISOString();
  const progress: ResourceRestoreProgress = {
    target,
    restore,
    dryRun,
    phase: 'planning',
    steps: [],
    planned: 0,
    counts: zeroOutcomes(),
  };
  const runbook = new Runbook<ResourceRestoreStepKind, ResourceRestoreProgress>(
    resourceRestoreProgress,
    progress,
    texts(target, restore, dryRun),
  );
  const finished = zeroOutcomes();
  setHandler(resourceRestoreCounters, (counters) => {
    if (progress.current?.groupResource !== counters.groupResource) return;
    progress.current = { groupResource: counters.groupResource, done: counters.done, total: counters.total };
    progress.counts = addOutcomes(addOutcomes(zeroOutcomes(), finished), counters.counts);
  });
  runbook.begin([
    { key: LifeboatCluster, value: target },
    { key: LifeboatKind, value: LifeboatKinds.resourceRestore },
  ]);

  const planned = await runbook.refusing('planning', () =>
    planResourceRestore.executeWithOptions({ summary: `plan the restore of ${target} from ${request.backup}` }, [
      request,
      restore,
    ]),
  );
  progress.backup = planned.source.backup;
  progress.source = planned.source;
  progress.planned = planned.counts.planned + planned.counts.related;
  upsertSearchAttributes([{ key: LifeboatBackup, value: planned.source.backup }]);
  const reports: StepReport[] = [];
  runbook.plan(resourceRestoreRunbook(planned, { requireApproval: Boolean(request.requireApproval), dryRun }), {
    rolledBack: dryRun ? 'A dry run changes nothing.' : 'Nothing was restored.',
    stranded: () => strandedResourceRestore(target, restore, reports.length, planned.steps.length),
  });

  await runbook.check('preflight', () =>
    preflightResourceRestore.executeWithOptions(
      { summary: `check ${planned.source.archiveKey}, the kinds and the access of the restore identity` },
      [{ request, planned }],
    ),
  );
  if (request.requireApproval && !dryRun) await runbook.gate('approval', planned.approvalTimeout);

  for (const [index, step] of planned.steps.entries()) {
    progress.current = { groupResource: step.groupResource, done: 0, total: step.items + step.related };
    const report = await runbook.change(restoreStepKind(step.groupResource), () =>
      restoreResourceStep.executeWithOptions(
        { summary: `${dryRun ? 'compare' : 'restore'} ${step.items + step.related} ${step.groupResource}` },
        [
          {
            request,
            restore,
            source: planned.source,
            discovery: planned.discovery,
            groupResources: planned.groupResources,
            index,
            groupResource: step.groupResource,
            ...(planned.results ? { results: planned.results } : {}),
          },
        ],
      ),
    );
    reports.push(report);
    addOutcomes(finished, report.counts);
    progress.counts = addOutcomes(zeroOutcomes(), finished);
  }
  delete progress.current;

  const { discovery: _, ...summary } = planned;
  let recordKey: string | undefined;
  if (planned.results && !dryRun) {
    recordKey = await runbook.change('record', () =>
      recordResourceRestore.executeWithOptions({ summary: `write the record of ${restore}` }, [
        { request, planned: summary, reports, startedAt, completedAt: new Date(Date.now()).toISOString() },
      ]),
    );
  }
  runbook.complete();
  return {
    target,
    restore,
    backup: planned.source.backup,
    source: planned.source,
    dryRun,
    outcome: restoreOutcome(finished),
    counts: finished,
    plan: planned.steps,
    steps: reports,
    skipped: planned.skipped,
    warnings: planned.warnings,
    ...(recordKey ? { recordKey } : {}),
  };
}

function texts(target: string, restore: string, dryRun: boolean): RunbookTexts<ResourceRestoreProgress> {
  const what = dryRun ? 'Dry run of the resource restore' : 'Resource restore';
  return {
    subject: `${dryRun ? 'dry run of the ' : ''}resource restore ${restore} of ${target}`,
    heading: (p) =>
      `**${what} ${restore}** into ${target} from ${p.backup ?? '(planning)'}: ${p.phase}` +
      (p.current ? ` — ${p.current.groupResource} ${p.current.done}/${p.current.total}` : '') +
      ` (created ${p.counts.created}, unchanged ${p.counts.unchanged}, updated ${p.counts.updated}, skipped ${p.counts.skipped}, failed ${p.counts.failed})`,
    hints: {
      approval: `lifeboat restore approve ${target}   (or abort: lifeboat restore abort ${target})`,
      operator: `lifeboat restore retry ${target}   or   lifeboat restore abort ${target}`,
    },
  };
}
