import type { ArchiveIndexEntry } from '../velero/archive-index.js';
import type { ApiResource } from './model.js';
import type { ItemOutcome, ItemResult, RestoreOptions } from './restore-model.js';
import type { PlannedSkip } from './restore-plan.js';

/**
 * A resource restore as it runs (issue 14): what the workflow (workflows/resource-restore.ts) hands its activities
 * (activities/resource-restore/) and what they answer. The plan itself (core/resources/restore-plan.ts) is too large
 * for a workflow history at 50k objects, so it never travels: every step recomputes it, with the pure planRestore,
 * from the backup's immutable resource list and what the planning recorded here (the options and the discovery it
 * was made with). Plain data only.
 */

/** What a user asks for: `lifeboat restore resources`. */
export interface ResourceRestoreRequest {
  /** The cluster the objects are restored into. */
  target: string;
  /** The restore's name (its label on every object); default: restoreName(target, requestedAt). A hub restore names its steps. */
  name?: string;
  /** The ACM hub restore (its workflow id) that runs this restore as one of its steps: it does not exclude its own. */
  partOf?: string;
  /** `latest` or a backup name. */
  backup: string;
  /** Whose backup: another cluster's (migration). Default: the target's own. */
  fromCluster?: string;
  /** The storage location the backup is in (a hub restore has resolved it); default: those of its cluster's policies. */
  location?: string;
  /** With `latest`: the newest backup of this resource-backup policy only. */
  policy?: string;
  /** A backup stock Velero wrote: a storage location of the config and the BackupStorageLocation prefix in it. */
  velero?: { location: string; prefix: string };
  options: RestoreOptions;
  /** Plan and compare against the live target, write nothing. */
  dryRun?: boolean;
  requireApproval?: boolean;
  requestedBy: string;
  /** ISO-8601, chosen by the caller: names the restore (restoreName), so a re-run names the same one. */
  requestedAt: string;
}

/** Where the backup is, and what proves it intact. */
export type RestoreSource =
  | {
      kind: 'lifeboat';
      location: string;
      cluster: string;
      backup: string;
      archiveKey: string;
      resourceListKey: string;
      bytes: number;
      sha256: string;
      encrypted: boolean;
      storeChecksum?: string;
      /** The manifest's index of the archive (absent in backups made before it, and when encrypted). */
      index?: ArchiveIndexEntry[];
    }
  | {
      /** Written by stock Velero: no manifest and no sha256; preflight reads the whole archive instead. */
      kind: 'velero';
      location: string;
      prefix: string;
      backup: string;
      archiveKey: string;
      resourceListKey: string;
      bytes: number;
    };

/** One step of the plan as the workflow sees it: its resource, why it is there, how many items. */
export interface StepSummary {
  groupResource: string;
  reason: string;
  waitForEstablished?: boolean;
  items: number;
  /** Restored only if a restored object needs it (a bound claim's PV). */
  related: number;
}

/** Where a restore keeps its per-item results; absent for a dry run, or when the only bucket is one Velero owns. */
export interface ResultsLocation {
  location: string;
  /** The location's prefix; the keys come from core/layout.ts (resourceRestore*Key). */
  prefix: string;
}

/** What planResourceRestore answers: enough to show the plan and to recompute it in every step. */
export interface PlannedRestore {
  restore: string;
  target: string;
  source: RestoreSource;
  steps: StepSummary[];
  skipped: PlannedSkip[];
  namespaces: { source: string; target: string }[];
  counts: { backedUp: number; planned: number; related: number; skipped: number };
  warnings: string[];
  /** The target's discovery the plan was made with, narrowed to the backup's resources: each step plans again with it. */
  discovery: ApiResource[];
  /** The groupResources the backup holds (manifest counts, or the archive's directories). */
  groupResources: string[];
  results?: ResultsLocation;
  /** How long the approval gate waits (the target's restore.approvalTimeout). */
  approvalTimeout: string;
}

/** What a step activity needs: the request, the recorded plan inputs, and which step. */
export interface RestoreStepInput {
  request: ResourceRestoreRequest;
  restore: string;
  source: RestoreSource;
  discovery: ApiResource[];
  groupResources: string[];
  /** Index into the plan's steps, and its resource (checked: the recomputed plan must agree). */
  index: number;
  groupResource: string;
  results?: ResultsLocation;
}

export type OutcomeCounts = Record<ItemOutcome, number>;

export function zeroOutcomes(): OutcomeCounts {
  return { created: 0, unchanged: 0, updated: 0, skipped: 0, failed: 0 };
}

/** How many items of a step results list by name in its report (all of them are in its results object). */
export const NOTABLE_LIMIT = 50;

/** What one step did (or, in a dry run, would do). */
export interface StepReport {
  groupResource: string;
  counts: OutcomeCounts;
  /** Per target namespace ('' for cluster-scoped items), the counts of each outcome that occurred. */
  byNamespace: Record<string, Partial<OutcomeCounts>>;
  /** Up to NOTABLE_LIMIT items that are not created or unchanged (failed first), with their reasons. */
  notable: ItemResult[];
  notableOmitted: number;
  /** The step's per-item results in the bucket, when it kept them. */
  resultsKey?: string;
}

/** How a restore ended: errors are items that failed. Never "partially failed" without the list. */
export type ResourceRestoreOutcome = 'Completed' | 'CompletedWithErrors';

export function restoreOutcome(counts: OutcomeCounts): ResourceRestoreOutcome {
  return counts.failed > 0 ? 'CompletedWithErrors' : 'Completed';
}

export function addOutcomes(into: OutcomeCounts, more: Partial<OutcomeCounts>): OutcomeCounts {
  for (const key of Object.keys(into) as ItemOutcome[]) into[key] += more[key] ?? 0;
  return into;
}

/**
 * Requests a step keeps in flight: the floor of bench:resource-restore uses the same. A kube-apiserver's default
 * max-requests-inflight is 400 (mutating 200), and client-go's default rate limit would allow far fewer; 16 keeps a
 * restore well inside what one client may take, and 429s (with Retry-After) slow it further.
 */
export const RESTORE_CONCURRENCY = 16;

/** What a step activity reports while it runs (a signal: the workflow's progress query and UI details follow it). */
export interface StepCounters {
  groupResource: string;
  done: number;
  total: number;
  counts: OutcomeCounts;
}
