import type { ResourceFilters } from '../resources/selection.js';
import type { BackupEntry, RetentionPolicyInput } from '../retention.js';
import type { AcmBackupType, AcmSelection } from './backup-selection.js';

/**
 * One ACM hub backup set, decided purely: which hub wrote what (its id), whether another hub writes into the same
 * history (a collision), and which whole sets retention removes. The hubBackup workflow is the runbook around these.
 */

/** What every typed backup of a set records in its manifest (`acm`), and what restores and retention read. */
export interface AcmBackupTag {
  /** The acmBackups policy. */
  policy: string;
  type: AcmBackupType;
  /** The set's nominal time (ISO-8601): every typed backup of one run carries the same. */
  set: string;
  /** The id of the hub it was taken on (hubId). */
  hub: string;
}

/**
 * One typed backup of a set, as the hub backup workflow hands it to the resource backup: the tag its manifest gets,
 * and the selection it runs (decided once per set from the hub's discovery, so it is in the workflow's history).
 */
export interface AcmTypedBackup {
  tag: AcmBackupTag;
  /** The set's: a child workflow does not see its parent's schedule time, so it is told. */
  oneOff: boolean;
  filters: ResourceFilters;
  excludedItems: AcmSelection['excludedItems'];
}

/**
 * The hub's id, as the operator's `backup-cluster` label has it: the ClusterVersion's spec.clusterID on OpenShift;
 * elsewhere the kube-system namespace's uid, which is created with the cluster and survives everything but a
 * rebuild (a restored hub is a new cluster, with a new uid: the point of telling hubs apart).
 */
export function hubId(facts: { clusterVersionId?: string; kubeSystemUid?: string }): string | undefined {
  if (facts.clusterVersionId) return facts.clusterVersionId;
  return facts.kubeSystemUid ? `kube-system-${facts.kubeSystemUid}` : undefined;
}

/** One complete set found in storage: its time and the hub that wrote it. */
export interface StoredSet {
  set: string;
  hub: string;
}

export type CollisionCheck =
  { collision: false } | { collision: true; other: string; otherSet: string; ownSet: string };

/**
 * Two hubs writing one history: the newest set in the policy's history is another hub's and newer than this hub's
 * newest. A hub that has written no set yet is taking over (a restored hub's first backup, after the old one is
 * gone), which is not a collision; if the old hub is in fact alive, its next run finds the new hub's set newest and
 * pauses, and the new hub's run after that finds the old hub's and pauses too: neither interleaves silently.
 */
export function checkCollision(sets: StoredSet[], thisHub: string): CollisionCheck {
  const byTime = [...sets].sort((a, b) => Date.parse(b.set) - Date.parse(a.set));
  const newest = byTime[0];
  const own = byTime.find((s) => s.hub === thisHub);
  if (!newest || !own || newest.hub === thisHub) return { collision: false };
  return { collision: true, other: newest.hub, otherSet: newest.set, ownSet: own.set };
}

/** The schedule note and search attribute value of a collision: both hub ids, and how to resume. */
export function collisionNote(thisHub: string, check: Extract<CollisionCheck, { collision: true }>): string {
  return (
    `BackupCollision: hub ${check.other} wrote set ${check.otherSet} after this hub (${thisHub}) wrote set ` +
    `${check.ownSet} to the same location; two active hubs would interleave one history. Make sure only one hub is ` +
    'active, then resume this schedule (lifeboat schedules resume)'
  );
}

/**
 * Retention by set: `maxBackups` counts whole sets and `ttl` expires whole sets, so core retention (its rules, the
 * newest complete one always kept, incomplete ones after their grace period) decides over sets, one entry each, and
 * its decision is applied to every typed backup of the set: never one type alone, since a restore resolves `latest`
 * per type and must not find a set with a hole. A set's entry is complete when every typed backup found has its
 * manifest; its name is the set's time, which every typed backup's name carries (core/naming.ts).
 */
export function setEntries(backups: readonly BackupEntry[]): { sets: BackupEntry[]; members: Map<string, string[]> } {
  const members = new Map<string, string[]>();
  const sets = new Map<string, BackupEntry>();
  for (const b of backups) {
    const set = b.time.toISOString();
    members.set(set, [...(members.get(set) ?? []), b.backup]);
    const known = sets.get(set);
    sets.set(set, {
      backup: set,
      time: b.time,
      complete: (known?.complete ?? true) && b.complete,
      oneOff: (known?.oneOff ?? false) || b.oneOff,
    });
  }
  return { sets: [...sets.values()], members };
}

/**
 * The retention rules of an ACM policy: without maxBackups only the TTL deletes (as in ACM since 2.5). maxBackups
 * counts every complete set, `backup now` ones included, as the operator's count covers every backup of its schedule:
 * a hub keeps a fixed number of restorable points, however they were taken.
 */
export function acmRetentionRules(policy: {
  maxBackups?: number | undefined;
  ttl?: string | undefined;
  incompleteGracePeriod: string;
}): RetentionPolicyInput {
  return {
    keep: policy.maxBackups ?? Number.MAX_SAFE_INTEGER,
    keepOneOff: false,
    incompleteGracePeriod: policy.incompleteGracePeriod,
    ...(policy.ttl !== undefined ? { ttl: policy.ttl } : {}),
  };
}
