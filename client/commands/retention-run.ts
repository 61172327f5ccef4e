import { acmPolicyInventory, policyInventory } from '../../activities/storage/catalog.js';
import { setEntries } from '../../core/acm/hub-backup.js';
import { BackupKinds, type BackupKind } from '../../core/layout.js';
import { workflowIds } from '../../core/naming.js';
import { planRetention, type RetentionPlan } from '../../core/retention.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds, LifeboatPolicy } from '../../core/search-attributes.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import type { retention } from '../../workflows/index.js';
import { printJson, table } from '../output.js';
import { withLocation } from '../storage.js';
import { resolveAnyPolicy } from '../targets.js';
import { withTemporal } from '../temporal.js';

/** A policy's kind as the output names it: "etcd backup policy", "resource backup(s)". */
const KIND_WORD: Record<BackupKind | 'acm', string> = {
  [BackupKinds.etcd]: 'etcd',
  [BackupKinds.resources]: 'resource',
  acm: 'ACM hub',
};

/** `retention plan` as people read it: which policy of which kind, every backup's decision, then the totals. */
export function retentionPlanText(
  target: string,
  kind: BackupKind | 'acm',
  location: string,
  plan: RetentionPlan,
): string[] {
  // An ACM policy's decisions are per set, named by the set's time.
  const heading =
    `${target}: ${KIND_WORD[kind]} backup policy, location ${location}` +
    (kind === 'acm' ? ' (whole sets: every typed backup of a set goes with it)' : '');
  if (plan.backups.length === 0 && plan.abortUploads.length === 0) return [heading, `No backups of ${target} yet.`];
  const lines = [heading];
  if (plan.backups.length > 0) {
    lines.push(
      table(
        ['backup', 'action', 'why'],
        plan.backups.map((d) => [d.backup, d.action, d.explanation]),
      ),
    );
  }
  for (const upload of plan.abortUploads) lines.push(`abort upload ${upload.key}: ${upload.explanation}`);
  const deletions = plan.backups.filter((d) => d.action === 'delete').length;
  lines.push(`${deletions} backup(s) and ${plan.abortUploads.length} upload(s) would be removed.`);
  return lines;
}

/** `lifeboat retention plan` (retention.ts registers it). */
export async function runRetentionPlan(target: string, opts: { file: string; output: string }): Promise<void> {
  const config = loadConfigFile(opts.file);
  const resolved = resolveAnyPolicy(config, target);
  const { kind, policy } = resolved;
  const location = config.storageLocations.find((l) => l.name === policy.location)!;
  const plan = await withLocation(config, location, async (s3) => {
    if (resolved.kind === 'acm') {
      const { backups, uploads, rules } = await acmPolicyInventory(s3, location, resolved.policy);
      return planRetention(setEntries(backups).sets, uploads, rules, new Date());
    }
    const { backups, uploads, rules } = await policyInventory(s3, location, resolved.kind, resolved.policy);
    return planRetention(backups, uploads, rules, new Date());
  });
  if (opts.output === 'json') {
    return printJson({ cluster: policy.cluster, policy: policy.name, kind, location: location.name, ...plan });
  }
  for (const line of retentionPlanText(target, kind, location.name, plan)) console.log(line);
}

/** `lifeboat retention run` (retention.ts registers it). */
export async function runRetention(target: string, opts: { file: string }): Promise<void> {
  const { kind, policy } = resolveAnyPolicy(loadConfigFile(opts.file), target);
  await withTemporal(async ({ client, settings }) => {
    // The workflow finds the policy's kind itself (names are unique per cluster across kinds).
    const result = await client.workflow.execute<typeof retention>('retention', {
      args: [{ cluster: policy.cluster, policy: policy.name }],
      taskQueue: settings.taskQueue,
      workflowId: workflowIds.retention(policy.cluster, policy.name),
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: LifeboatCluster, value: policy.cluster },
        { key: LifeboatPolicy, value: policy.name },
        { key: LifeboatKind, value: LifeboatKinds.retention },
      ],
      staticSummary: `retention of ${target} (lifeboat retention run)`,
    });
    const deleted = result.deleted.length ? `: ${result.deleted.join(', ')}` : '';
    console.log(
      `kept ${result.kept.length}, deleted ${result.deleted.length} ${KIND_WORD[kind]} backup(s)${deleted}; ` +
        `aborted ${result.abortedUploads} upload(s).`,
    );
  });
}
