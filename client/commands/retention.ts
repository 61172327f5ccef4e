import type { Command } from 'commander';
import { policyInventory } from '../../activities/storage/catalog.js';
import { BackupKinds } from '../../core/layout.js';
import { workflowIds } from '../../core/naming.js';
import { planRetention } from '../../core/retention.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds, LifeboatPolicy } from '../../core/search-attributes.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import type { retention } from '../../workflows/index.js';
import { printJson, table } from '../output.js';
import { withLocation } from '../storage.js';
import { resolvePolicy } from '../targets.js';
import { withTemporal } from '../temporal.js';

export function registerRetention(program: Command): void {
  const command = program.command('retention').description('See and run retention for a backup policy');
  command
    .command('plan')
    .description('Print what retention would delete now and why (reads the bucket; changes nothing)')
    .argument('<cluster/policy>', 'e.g. demo/hourly')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (target: string, opts: { file: string; output: string }) => {
      const config = loadConfigFile(opts.file);
      const policy = resolvePolicy(config, target);
      const location = config.storageLocations.find((l) => l.name === policy.location)!;
      const plan = await withLocation(config, location, async (s3) => {
        const { backups, uploads, rules } = await policyInventory(s3, location, BackupKinds.etcd, policy);
        return planRetention(backups, uploads, rules, new Date());
      });
      if (opts.output === 'json') return printJson(plan);
      if (plan.backups.length === 0) return console.log(`No backups of ${target} yet.`);
      console.log(
        table(
          ['backup', 'action', 'why'],
          plan.backups.map((d) => [d.backup, d.action, d.explanation]),
        ),
      );
      for (const upload of plan.abortUploads) console.log(`abort upload ${upload.key}: ${upload.explanation}`);
      const deletions = plan.backups.filter((d) => d.action === 'delete').length;
      console.log(`${deletions} backup(s) and ${plan.abortUploads.length} upload(s) would be removed.`);
    });
  command
    .command('run')
    .description('Run retention for a policy now (the worker does it; it also runs after every backup)')
    .argument('<cluster/policy>', 'e.g. demo/hourly')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .action(async (target: string, opts: { file: string }) => {
      const policy = resolvePolicy(loadConfigFile(opts.file), target);
      await withTemporal(async ({ client, settings }) => {
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
        console.log(
          `kept ${result.kept.length}, deleted ${result.deleted.length} backup(s)${result.deleted.length ? `: ${result.deleted.join(', ')}` : ''}; aborted ${result.abortedUploads} upload(s).`,
        );
      });
    });
}
