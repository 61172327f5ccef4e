import { workflowIds } from '../naming.js';
import type { RestoreOptions } from '../resources/restore-model.js';
import type { OutcomeCounts, ResourceRestoreOutcome, ResourceRestoreRequest } from '../resources/restore-run.js';
import { withPointOfNoReturn, type RunbookStep, type Stranded } from '../runbook.js';
import {
  NEVER_RESTORED_BY_ACM,
  type AcmRestorePlan,
  type AcmRestoreRequest,
  type AcmRestoreStep,
} from './restore-plan.js';

/**
 * An ACM hub restore as a runbook (workflows/acm-restore.ts): the plan's steps (core/acm/restore-plan.ts), each a
 * resource restore of one typed backup, with the activation made a visible step of its own — the approval gate when
 * asked, the check that the old hub no longer writes backups, the activation data — then the auto-import secrets and
 * the cleanup. Pure: the workflow runs it, the activities read and write.
 */

export interface AcmRestoreInput {
  /** The new hub: the cluster the objects are restored into. */
  hub: string;
  /** The hub whose backups are restored; default: `hub` (a hub restoring its own backups). */
  fromCluster: string;
  /** The storage location of the backups; default: that of the source hub's acmBackups policy. */
  location?: string;
  request: AcmRestoreRequest;
  /** Wait for `lifeboat restore approve` before the activation (restoring the managed clusters). */
  requireApproval?: boolean;
  /** The operator's word that the old hub is gone, which lets the activation run although it wrote a recent set. */
  oldHubGone?: string;
  requestedBy: string;
  /** ISO-8601, chosen by the caller: names the restore and its steps, so a re-run names the same ones. */
  requestedAt: string;
  /** Passive sync: how long to wait between looks for newer backups (the operator's restoreSyncInterval). */
  syncIntervalMs?: number;
  /** Passive sync: rounds one run makes before it continues as new (default SYNC_ROUNDS_PER_RUN). */
  syncRoundsPerRun?: number;
  /** Set when a passive sync continued as new: what the runs before restored, so this one goes on from there. */
  continued?: ContinuedSync;
}

/** One step's resource restore, as it ended. */
export interface AcmStepResult {
  step: string;
  backup: string;
  restore: string;
  outcome: ResourceRestoreOutcome;
  counts: OutcomeCounts;
  /** Items that failed, as `<resource> <namespace>/<name>: <reason>`. */
  failed: string[];
}

export interface ContinuedSync {
  /** What the hub holds from the runs before: each step's last result. */
  results: AcmStepResult[];
  /** The rounds of the runs before. */
  rounds: number;
  /** Of those, the rounds that restored newer backups. */
  restoredRounds: number;
  /** The backups last restored. */
  restored: AcmRestorePlan['backups'];
}

export type AcmRestoreStepKind =
  AcmRestoreStep['step'] | 'sync' | 'approval' | 'activation-check' | 'auto-import' | 'cleanup';

/** The operator's restoreSyncInterval default. */
export const DEFAULT_SYNC_INTERVAL_MS = 30 * 60_000;
/** Rounds of a passive sync in one run before it continues as new, keeping its history short. */
export const SYNC_ROUNDS_PER_RUN = 100;

/**
 * Whether the restore is a passive sync: it keeps restoring newer credentials and resources backups until an
 * operator activates it. With managed clusters `latest` the operator restores once and activates, so that is no sync.
 */
export function syncsUntilActivation(request: AcmRestoreRequest): boolean {
  return request.sync === true && request.managedClusters.trim().toLowerCase() === 'skip';
}

/** The request an activation plans with: the latest of every type, the managed clusters too. */
export function activationRequest(request: AcmRestoreRequest): AcmRestoreRequest {
  return { ...request, credentials: 'latest', resources: 'latest', managedClusters: 'latest' };
}

/**
 * Which types a sync round restores again: only a newer credentials or resources backup starts a round, as in the
 * operator (a newer generic backup alone does not: it comes with its resources backup).
 */
export function newerTypes(
  restored: AcmRestorePlan['backups'],
  latest: AcmRestorePlan['backups'],
): ('credentials' | 'resources')[] {
  return (['credentials', 'resources'] as const).filter((t) => latest[t] !== undefined && latest[t] !== restored[t]);
}

const TITLES: Record<AcmRestoreStep['step'], string> = {
  credentials: 'restore the credentials (not the activation data)',
  resources: 'restore the hub resources (policies, placements, applications, cluster sets)',
  generic: 'restore the generic resources (not the activation data)',
  'generic-active': 'restore the generic activation data',
  'credentials-active': 'restore the credentials activation data, then wait for the PVCs backup-pvc ConfigMaps name',
  'managed-clusters': 'restore the managed clusters: the new hub takes them over',
};

/** The restore's runbook: the first write is its point of no return (a restore never deletes what it wrote). */
export function acmRestoreRunbook(
  plan: AcmRestorePlan,
  input: Pick<AcmRestoreInput, 'hub' | 'requireApproval' | 'request' | 'syncIntervalMs'>,
  options: { sync: boolean } = { sync: false },
): RunbookStep<AcmRestoreStepKind>[] {
  const steps: RunbookStep<AcmRestoreStepKind>[] = [];
  const restoreStep = (s: AcmRestoreStep): RunbookStep<AcmRestoreStepKind> => ({
    kind: s.step,
    title: `${TITLES[s.step]}, from ${s.backup}`,
    touches: [`${input.hub} (update: existing objects are patched)`],
    pointOfNoReturn: true,
  });
  const passive = plan.steps.filter((s) => !s.activation);
  const active = plan.steps.filter((s) => s.activation);
  steps.push(...passive.map(restoreStep));
  if (options.sync) {
    const every = Math.round((input.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS) / 60_000);
    steps.push({
      kind: 'sync',
      title: `every ${every} min, restore newer credentials and resources backups, until lifeboat restore acm activate ${input.hub}`,
      touches: [`${input.hub} (update: existing objects are patched)`],
      pointOfNoReturn: true,
    });
  }
  // A sync plans its activation when an operator asks for it: the steps are there from the start.
  if (active.length > 0 || options.sync) {
    // In a sync the activate command is the operator's decision: no second gate after it.
    if (input.requireApproval && !options.sync) {
      steps.push({
        kind: 'approval',
        title: 'wait for an operator to approve the activation',
        touches: [],
        pointOfNoReturn: false,
      });
    }
    steps.push({
      kind: 'activation-check',
      title: 'check that the old hub no longer writes backups to the location',
      touches: ['the backups in the location (read)'],
      pointOfNoReturn: false,
    });
    steps.push(...active.map(restoreStep));
    steps.push({
      kind: 'auto-import',
      title: 'write the auto-import secrets of the unavailable managed clusters that have a URL and a token',
      touches: [`Secrets auto-import-secret in ${input.hub}`],
      pointOfNoReturn: false,
    });
  }
  if (input.request.cleanup !== 'none') {
    steps.push({
      kind: 'cleanup',
      title: `delete what the restored backups no longer hold (${input.request.cleanup})`,
      touches: [`objects of the backed-up kinds in ${input.hub} (delete)`],
      pointOfNoReturn: false,
    });
  }
  return withPointOfNoReturn(steps);
}

/** The restore's name: the hub and the time asked, as a resource restore's; each step adds its own. */
export function acmRestoreStepName(restore: string, step: AcmRestoreStep['step']): string {
  return `${restore}-${step}`;
}

/**
 * The resource restore of one step, as the operator sets each Velero Restore: existing objects updated, the never-
 * restored kinds left out, status not written, the step's selector term, cluster-scoped objects except for
 * credentials.
 */
export function stepRestoreRequest(
  input: AcmRestoreInput,
  restore: string,
  step: AcmRestoreStep,
  location: string,
): ResourceRestoreRequest {
  const options: RestoreOptions = {
    filters: {
      includedNamespaces: [],
      excludedNamespaces: [],
      includedResources: [],
      excludedResources: [...NEVER_RESTORED_BY_ACM],
      includeClusterResources: step.includeClusterResources,
      ...(step.selector ? { labelSelector: step.selector } : {}),
    },
    namespaceMapping: {},
    existingResourcePolicy: 'update',
    restoreStatus: [],
    preserveNodePorts: false,
  };
  return {
    target: input.hub,
    name: acmRestoreStepName(restore, step.step),
    partOf: workflowIds.acmRestore(input.hub),
    backup: step.backup,
    ...(input.fromCluster !== input.hub ? { fromCluster: input.fromCluster } : {}),
    location,
    options,
    requestedBy: input.requestedBy,
    requestedAt: input.requestedAt,
  };
}

export type Liveness = { alive: false } | { alive: true; message: string };

/**
 * Whether the hub that wrote the backups still writes them: a set newer than twice its schedule's interval means it
 * is alive, and a new hub that takes its clusters over while it is would have two hubs fighting over every managed
 * cluster (the operator's README warns about exactly this). The operator may override with a reason.
 */
export function oldHubLiveness(facts: {
  newest?: { set: string; hub: string };
  intervalMs: number;
  now: Date;
  fromCluster: string;
}): Liveness {
  const { newest, intervalMs, now, fromCluster } = facts;
  if (!newest) return { alive: false };
  const age = now.getTime() - Date.parse(newest.set);
  if (age >= 2 * intervalMs) return { alive: false };
  const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
  return {
    alive: true,
    message:
      `the old hub ${fromCluster} (id ${newest.hub}) wrote set ${newest.set}, ${minutes(Math.max(age, 0))} ago, within ` +
      `twice its schedule's interval (${minutes(2 * intervalMs)}): it looks alive, and activating now would make two ` +
      'hubs manage the same clusters. Stop its backups (lifeboat schedules pause) and its hub, or, if it is gone, ' +
      'say so: --old-hub-gone "<reason>"',
  };
}

/** What an abort after the first write leaves behind. */
export function strandedAcmRestore(hub: string, restore: string, done: string[]): Stranded {
  return {
    state:
      done.length > 0
        ? `steps ${done.join(', ')} of ${restore} ran: what they restored stays in ${hub} (labelled lifeboat.dev/restore=${restore}-<step>)`
        : `no step of ${restore} wrote anything to ${hub}`,
    next: 'Start the hub restore again to finish it (restored objects are updated in place), with --managed-clusters skip to leave the activation for later.',
  };
}
