import type { PreflightMode } from './config/schema.js';
import type { EtcdRestoreRequest } from './etcd-restore-request.js';
import { withPointOfNoReturn, type RunbookStep, type Stranded } from './runbook.js';

/**
 * The etcd restore as a plan, before anything runs: which backup, and the ordered steps with what each touches.
 * Pure (ARCHITECTURE.md, "The runbook engine"): `lifeboat restore etcd --dry-run` prints it, the workflow
 * follows it, and the point of no return is explicit so that everything before it can roll back.
 */

export interface BackupCandidate {
  backup: string;
  time: Date;
  complete: boolean;
}

export type BackupChoice = { ok: true; backup: string } | { ok: false; error: string };

/** `latest` is the newest complete backup; a name must exist and be complete (an incomplete one has no manifest). */
export function chooseBackup(candidates: readonly BackupCandidate[], wanted: string): BackupChoice {
  const complete = candidates.filter((c) => c.complete).sort((a, b) => b.time.getTime() - a.time.getTime());
  if (wanted === 'latest') {
    return complete[0]
      ? { ok: true, backup: complete[0].backup }
      : { ok: false, error: 'there is no complete backup to restore' };
  }
  const found = candidates.find((c) => c.backup === wanted);
  if (!found) {
    const recent = complete.slice(0, 3).map((c) => c.backup);
    return { ok: false, error: `no backup named ${wanted}${recent.length ? ` (newest: ${recent.join(', ')})` : ''}` };
  }
  if (!found.complete)
    return { ok: false, error: `backup ${wanted} is incomplete (no manifest): it cannot be trusted` };
  return { ok: true, backup: wanted };
}

/**
 * Revisions after the restore must stay above any the tenant's kube-apiserver has seen, or its watches would go
 * backwards: bump by the distance to the live revision when it is known, plus a margin; otherwise by a billion
 * (what the Kubernetes documentation suggests for etcdutl --bump-revision).
 */
export function revisionBump(backupRevision: bigint, liveRevision: bigint | undefined): bigint {
  const margin = 1_000_000n;
  if (liveRevision === undefined || liveRevision < backupRevision) return 1_000_000_000n;
  return liveRevision - backupRevision + margin;
}

export interface RestoreTarget {
  cluster: string;
  namespace: string;
  statefulSet: string;
  members: { name: string; peerUrl: string }[];
  volumeClaims: string[];
  /** The tenant control plane to pause: its kube-apiserver Deployment. */
  apiserver?: { namespace: string; name: string; replicas: number };
  schedules: string[];
}

export interface RestoreOptions {
  backup: string;
  requireApproval: boolean;
  bumpRevision: boolean;
  /** How preflight checks the object: the store's checksum (when the manifest has one), or reading it all. */
  preflight?: PreflightMode;
}

export type RestoreStepKind =
  | 'preflight'
  | 'approval'
  | 'pause-schedules'
  | 'pause-control-plane'
  | 'scale-etcd-down'
  | 'delete-volumes'
  | 'restore-members'
  | 'scale-etcd-up'
  | 'wait-for-quorum'
  | 'verify-revision'
  | 'mark-initialized'
  | 'unpause-control-plane'
  | 'resume-schedules';

export type RestoreStep = RunbookStep<RestoreStepKind>;

export function planEtcdRestore(target: RestoreTarget, options: RestoreOptions): RestoreStep[] {
  const sts = `StatefulSet ${target.namespace}/${target.statefulSet}`;
  const apiserver = target.apiserver ? `Deployment ${target.apiserver.namespace}/${target.apiserver.name}` : undefined;
  const step = (kind: RestoreStepKind, title: string, touches: string[], pointOfNoReturn = false): RestoreStep => ({
    kind,
    title,
    touches,
    pointOfNoReturn,
  });
  const steps: RestoreStep[] = [
    step(
      'preflight',
      options.preflight === 'store-checksum'
        ? `check backup ${options.backup} (manifest; the store's checksum of the object, its sha256 if they differ) and ${sts}`
        : `check backup ${options.backup} (manifest; read the whole object, check its sha256) and ${sts}`,
      [options.backup, sts],
    ),
  ];
  if (options.requireApproval) steps.push(step('approval', 'wait for an operator to approve', []));
  steps.push(step('pause-schedules', 'pause the backup schedules of the cluster', target.schedules));
  if (apiserver)
    steps.push(
      step('pause-control-plane', `scale ${apiserver} to 0 (it had ${target.apiserver!.replicas})`, [apiserver]),
    );
  steps.push(step('scale-etcd-down', `scale ${sts} to 0 and wait for its pods to go`, [sts]));
  steps.push(
    step(
      'delete-volumes',
      `delete the members' volumes (${target.volumeClaims.length})`,
      target.volumeClaims.map((c) => `PersistentVolumeClaim ${target.namespace}/${c}`),
      true,
    ),
  );
  steps.push(
    step(
      'restore-members',
      `restore each member from ${options.backup} with etcdutl${options.bumpRevision ? ' (revision bumped, marked compacted)' : ''}`,
      target.members.map((m) => `member ${m.name} (${m.peerUrl})`),
    ),
  );
  steps.push(step('scale-etcd-up', `scale ${sts} back to ${target.members.length}`, [sts]));
  steps.push(step('wait-for-quorum', 'wait until every member is ready and the cluster has quorum', [sts]));
  steps.push(step('verify-revision', 'check the restored revision against the manifest and the bump', []));
  steps.push(step('mark-initialized', 'set the EtcdClusterInitialized annotation', [sts]));
  if (apiserver)
    steps.push(step('unpause-control-plane', `scale ${apiserver} back to ${target.apiserver!.replicas}`, [apiserver]));
  steps.push(step('resume-schedules', 'resume the backup schedules', target.schedules));
  return withPointOfNoReturn(steps);
}

export type RevisionCheck = { ok: true } | { ok: false; error: string };

/**
 * After a restore nothing writes (the control plane is paused), so the live revision is the snapshot's revision plus
 * the bump, give or take what etcd itself wrote on the way up. Lower means the members did not come up from this
 * backup; far higher means something wrote to the cluster while it should have been paused.
 */
export const REVISION_SLACK = 1000n;

export function checkRestoredRevision(expected: bigint, live: bigint): RevisionCheck {
  if (live < expected) {
    return {
      ok: false,
      error: `the restored cluster is at revision ${live}, below the ${expected} the backup and bump promise: the members did not start from the restored data`,
    };
  }
  if (live - expected > REVISION_SLACK) {
    return {
      ok: false,
      error: `the restored cluster is at revision ${live}, ${live - expected} past the expected ${expected}: something wrote to it while it was paused`,
    };
  }
  return { ok: true };
}

/** What the restore's inspection found (activities/restore-inspect.ts), as far as the plan depends on it. */
export interface InspectedRestore {
  source: { backup: string; storeChecksum?: string; revision?: string };
  layout: { namespace: string; statefulSet: string; members: { name: string; peerUrl: string; claim: string }[] };
  apiserver?: { namespace: string; name: string; replicas: number };
  schedules: string[];
  settings: { requireApproval: boolean; bumpRevision: boolean; verify?: PreflightMode };
  /** The cluster's revision before the restore, when a member answered. */
  liveRevision?: string;
}

/** The revision bump the restore applies: revisionBump's, or none when the cluster's settings turn it off. */
export function plannedBump(inspected: Pick<InspectedRestore, 'source' | 'settings' | 'liveRevision'>): bigint {
  if (!inspected.settings.bumpRevision) return 0n;
  const live = inspected.liveRevision ? BigInt(inspected.liveRevision) : undefined;
  return revisionBump(BigInt(inspected.source.revision ?? '0'), live);
}

/**
 * How preflight checks the object: by the checksum the store verified on upload when the settings allow it and the
 * manifest recorded one, else by reading it all. The plan's wording and the workflow's preflight both follow this.
 */
export function preflightCheck(inspected: Pick<InspectedRestore, 'source' | 'settings'>): PreflightMode {
  return inspected.settings.verify === 'store-checksum' && inspected.source.storeChecksum
    ? 'store-checksum'
    : 'download';
}

/**
 * The replica counts etcd is scaled down through before 0, from `running` members. A stopping leader hands leadership
 * over first, and to members that are stopping too it waits out its transfer timeout (~7 s). When the first member
 * (the one a StatefulSet removes last) leads, the others stop together and it stops alone; otherwise one member at a
 * time, highest ordinal first, so each stopping leader has a live member to hand over to.
 */
export function scaleDownStages(running: number, firstLeads: boolean): number[] {
  if (running <= 1) return [];
  return firstLeads ? [1] : Array.from({ length: running - 1 }, (_, i) => running - 1 - i);
}

/** The plan the workflow follows and `restore etcd --dry-run` prints: one function, so they cannot drift apart. */
export function planFromInspection(cluster: string, inspected: InspectedRestore, askApproval: boolean): RestoreStep[] {
  const { layout } = inspected;
  return planEtcdRestore(
    {
      cluster,
      namespace: layout.namespace,
      statefulSet: layout.statefulSet,
      members: layout.members,
      volumeClaims: layout.members.map((m) => m.claim),
      ...(inspected.apiserver ? { apiserver: inspected.apiserver } : {}),
      schedules: inspected.schedules,
    },
    {
      backup: inspected.source.backup,
      requireApproval: askApproval || inspected.settings.requireApproval,
      bumpRevision: inspected.settings.bumpRevision,
      preflight: preflightCheck(inspected),
    },
  );
}

/**
 * What an etcd restore aborted after the point of no return leaves paused, and the way out: the same restore again,
 * which restores into the same members and unpauses everything when it completes.
 */
export function strandedRestore(
  request: Pick<EtcdRestoreRequest, 'cluster' | 'from'>,
  inspected: Pick<InspectedRestore, 'source' | 'layout' | 'apiserver'>,
  pausedSchedules: readonly string[],
): Stranded {
  const { layout, apiserver } = inspected;
  const paused = [
    `etcd StatefulSet ${layout.namespace}/${layout.statefulSet} is held at 0 replicas (${layout.members.length} members)`,
    ...(apiserver
      ? [`Deployment ${apiserver.namespace}/${apiserver.name} is at 0 (it had ${apiserver.replicas})`]
      : []),
    ...(pausedSchedules.length > 0 ? [`schedules ${pausedSchedules.join(', ')} are paused`] : []),
  ];
  return {
    state: `The cluster stays paused: ${paused.join('; ')}`,
    next:
      `Fix the cause, then run "lifeboat restore etcd --cluster ${request.cluster} ${sourceFlags(request, inspected)}" again: ` +
      'it restores into the same members and unpauses everything when it completes.',
  };
}

/** The flags that name the same source again; the workflow knows a `--from` object's location and key, not its bucket. */
function sourceFlags(request: Pick<EtcdRestoreRequest, 'from'>, inspected: Pick<InspectedRestore, 'source'>): string {
  return request.from
    ? `--location ${request.from.location} --from s3://<bucket of ${request.from.location}>/${request.from.key}`
    : `--backup ${inspected.source.backup}`;
}
