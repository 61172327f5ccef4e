import {
  continueAsNew,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { AcmRestorePlan, AcmRestoreStep } from '../core/acm/restore-plan.js';
import {
  acmRestoreRunbook,
  activationRequest,
  DEFAULT_SYNC_INTERVAL_MS,
  newerTypes,
  stepRestoreRequest,
  SYNC_ROUNDS_PER_RUN,
  syncsUntilActivation,
  strandedAcmRestore,
  type AcmRestoreInput,
  type AcmRestoreStepKind,
} from '../core/acm/restore-run.js';
import { restoreName, workflowIds } from '../core/naming.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds } from '../core/search-attributes.js';
import { failureMessage } from '../core/failures.js';
import {
  acmRestoreProgress,
  activateAcmRestore,
  type AcmRestoreProgress,
  type AcmRestoreResult,
  type AcmSyncProgress,
  type ActivateRequest,
} from './acm-restore-api.js';
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
  const progress: AcmRestoreProgress = {
    hub,
    fromCluster,
    restore,
    phase: 'planning',
    steps: [],
    results: [...(input.continued?.results ?? [])],
  };
  const runbook = new Runbook<AcmRestoreStepKind, AcmRestoreProgress>(acmRestoreProgress, progress, texts(input));
  const sync = syncsUntilActivation(input.request);
  // Registered before anything else: an activation may arrive while a (continued) run still plans or restores,
  // and the sync loop acts on it as soon as it gets there.
  let activatedBy: (ActivateRequest & { at: string }) | undefined;
  if (sync)
    setHandler(
      activateAcmRestore,
      (request) => {
        activatedBy = { ...request, at: new Date().toISOString() };
        if (progress.sync) progress.sync.activatedBy = `${request.by} at ${activatedBy.at}`;
        return `activation requested by ${request.by}: the latest backups of every type are restored next`;
      },
      {
        validator: (request: ActivateRequest) => {
          if (activatedBy) throw new Error(`this sync was already activated by ${activatedBy.by}`);
          if (request.oldHubGone !== undefined && request.oldHubGone.trim() === '')
            throw new Error('--old-hub-gone: give the reason you know the old hub is gone');
        },
        description: 'Activate a passive sync: restore the latest backups of every type, the managed clusters last',
      },
    );
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
  let { plan } = planned;
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
  runbook.plan(acmRestoreRunbook(plan, input, { sync }), {
    rolledBack: 'Nothing was restored.',
    stranded: () => strandedAcmRestore(hub, restore, done),
  });

  /** One step's resource restore; `round` names a sync round's restores apart from the first's. */
  const restoreStep = async (step: AcmRestoreStep, round: AcmRestoreInput = input) => {
    const request = stepRestoreRequest(round, restoreName(hub, new Date(round.requestedAt)), step, planned.location);
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
    if (!done.includes(step.step)) done.push(step.step);
    const stepResult = {
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
    };
    // A sync round's results replace the round before's: the progress says what the hub holds now.
    const before = progress.results.findIndex((r) => r.step === step.step);
    if (before >= 0) progress.results[before] = stepResult;
    else progress.results.push(stepResult);
  };
  const cleanUp = async (backups: AcmRestorePlan['backups']) => {
    if (cleanup === 'none') return;
    progress.cleanup = await runbook.change('cleanup', () =>
      cleanupHub.executeWithOptions(
        { summary: `delete from ${hub} what the restored backups no longer hold (${cleanup})` },
        [{ hub, fromCluster, location: planned.location, mode: cleanup, backups }],
      ),
    );
  };

  const passive = plan.steps.filter((s) => !s.activation);
  const unchanged = input.continued && newerTypes(input.continued.restored, plan.backups).length === 0;
  if (unchanged)
    for (const step of passive) {
      runbook.doneBefore(step.step, 'restored by the run this one continues');
      done.push(step.step);
    }
  else for (const step of passive) await restoreStep(step);

  if (sync) {
    const activation = await syncUntilActivated(input, plan, {
      runbook,
      progress,
      activation: () => activatedBy,
      restoreRound: async (latest, round) => {
        for (const step of latest.steps.filter((s) => !s.activation)) await restoreStep(step, round);
        await cleanUp(latest.backups);
      },
      ...(unchanged ? {} : { firstRound: () => cleanUp(plan.backups) }),
    });
    const activating: AcmRestoreInput = {
      ...input,
      request: activationRequest(input.request),
      requestedBy: activation.by,
      requestedAt: new Date().toISOString(),
      ...((activation.oldHubGone ?? input.oldHubGone) ? { oldHubGone: activation.oldHubGone ?? input.oldHubGone } : {}),
    };
    plan = await runbook.change('activation-check', async () => {
      const replanned = await planHubRestore.executeWithOptions(
        { summary: `resolve the latest ${fromCluster} backups of every type to activate ${hub}` },
        [activating],
      );
      progress.plan = replanned.plan;
      runbook.replan(acmRestoreRunbook(replanned.plan, input, { sync }));
      return replanned.plan;
    });
    // Newer passive data than the last round's comes first, as the operator restores it at activation.
    const newer = newerTypes(progress.sync!.restored, plan.backups);
    if (newer.length > 0)
      for (const step of plan.steps.filter((s) => !s.activation)) await restoreStep(step, activating);
    input = activating;
  }

  const activation = plan.steps.filter((s) => s.activation);
  if (activation.length > 0) {
    if (input.requireApproval && !sync) {
      await runbook.gate(
        'approval',
        planned.approvalTimeout,
        done.length > 0
          ? `the passive data (${done.join(', ')}) stays restored, the clusters were not activated`
          : undefined,
      );
    }
    const checked = await runbook.change('activation-check', () =>
      checkOldHub.executeWithOptions({ summary: `check that ${fromCluster} no longer writes backups` }, [
        { request: input, location: planned.location, intervalMs: planned.intervalMs },
      ]),
    );
    progress.activation = activatedBy ? `activated by ${activatedBy.by}; ${checked}` : checked;
    for (const step of activation) await restoreStep(step, input);
    progress.autoImport = await runbook.change('auto-import', () =>
      writeAutoImportSecrets.executeWithOptions(
        { summary: `write the auto-import secrets of the managed clusters of ${hub}` },
        [{ hub }],
      ),
    );
  }
  await cleanUp(plan.backups);
  runbook.complete();
  return progress;
}

interface SyncHooks {
  runbook: Runbook<AcmRestoreStepKind, AcmRestoreProgress>;
  progress: AcmRestoreProgress;
  /** The operator's activation and when it came, once the `activate` update was accepted (the workflow's handler). */
  activation: () => (ActivateRequest & { at: string }) | undefined;
  /** Restores a round's newer passive data, and cleans up after it. */
  restoreRound: (latest: AcmRestorePlan, round: AcmRestoreInput) => Promise<void>;
  /** The cleanup after the first restore, before the first wait. */
  firstRound?: () => Promise<void>;
}

/**
 * A passive sync (the operator's syncRestoreWithNewBackups): every interval, look for newer credentials and
 * resources backups and restore them, until `lifeboat restore acm activate`; continue as new every
 * SYNC_ROUNDS_PER_RUN rounds (or when Temporal suggests it) so the history stays short. A round that fails is
 * recorded and the next round looks again: a sync outlives storage outages. Returns the activation.
 */
async function syncUntilActivated(
  input: AcmRestoreInput,
  first: AcmRestorePlan,
  hooks: SyncHooks,
): Promise<ActivateRequest> {
  const { runbook, progress } = hooks;
  const intervalMs = input.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
  const sync: AcmSyncProgress = {
    intervalMs,
    rounds: input.continued?.rounds ?? 0,
    // A continued run that found newer backups at its start restored them: that counts as a round that did.
    restoredRounds:
      (input.continued?.restoredRounds ?? 0) +
      (input.continued && newerTypes(input.continued.restored, first.backups).length > 0 ? 1 : 0),
    restored: first.backups,
  };
  progress.sync = sync;
  const activated = hooks.activation;
  // An activation that came while this run still planned or restored.
  const early = activated();
  if (early) sync.activatedBy = `${early.by} at ${early.at}`;
  if (hooks.firstRound) await hooks.firstRound();

  for (let inThisRun = 0; ; inThisRun++) {
    const activation = activated();
    if (activation) return activation;
    if (inThisRun >= (input.syncRoundsPerRun ?? SYNC_ROUNDS_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof acmRestore>({
        ...input,
        continued: {
          results: progress.results,
          rounds: sync.rounds,
          restoredRounds: sync.restoredRounds,
          restored: sync.restored,
        },
      });
    }
    const latest = await runbook.change('sync', async () => {
      sync.nextCheckAt = new Date(Date.now() + intervalMs).toISOString();
      const hint = `lifeboat restore acm activate ${input.hub}   (or end the sync: lifeboat restore abort ${input.hub} --kind acm)`;
      if (await runbook.waitOrAbort('sync', intervalMs, () => activated() !== undefined, { for: 'activation', hint }))
        return undefined;
      delete sync.nextCheckAt;
      sync.rounds += 1;
      sync.lastCheckAt = new Date().toISOString();
      try {
        return (
          await planHubRestore.executeWithOptions(
            { summary: `look for newer ${input.fromCluster} credentials and resources backups` },
            [input],
          )
        ).plan;
      } catch (err) {
        if (isCancellation(err)) throw err;
        sync.lastError = `${sync.lastCheckAt}: ${failureMessage(err)}`;
        return undefined;
      }
    });
    const activatedNow = activated();
    if (activatedNow) return activatedNow;
    if (!latest || newerTypes(sync.restored, latest.backups).length === 0) continue;
    await hooks.restoreRound(latest, { ...input, requestedAt: new Date().toISOString() });
    sync.restored = latest.backups;
    sync.restoredRounds += 1;
    progress.plan = latest;
    delete sync.lastError;
  }
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
