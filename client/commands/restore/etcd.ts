import type { Command } from 'commander';
import type { EtcdOptions } from './etcd-run.js';

/** `lifeboat restore etcd`: starts the etcdRestore workflow, or with --dry-run prints its plan. */
export function registerEtcd(restore: Command): void {
  restore
    .command('etcd')
    .description(
      "Replace a cluster's etcd data with a backup's (the etcdRestore workflow: pause, scale down, restore, check)",
    )
    .requiredOption('-c, --cluster <name>', 'the cluster to restore, as named in the config')
    .option('-b, --backup <name>', '"latest" (newest complete backup of any policy of the cluster) or a backup name')
    .option('--from <s3url>', 'a snapshot Lifeboat did not make: s3://<bucket>/<key> in a configured location')
    .option('-l, --location <name>', 'with --from: the storage location to read it through (default: by bucket)')
    .option('--require-approval', 'wait for `lifeboat restore approve` before changing anything', false)
    .option('--dry-run', 'print the plan (backup, revision, members, steps) and change nothing', false)
    .option('--follow', 'print each step as it runs; exit 0 only if the restore completes (default on a terminal)')
    .option('--no-follow', 'return once the restore has started')
    .option('--by <name>', 'who asks, recorded in the workflow (default: $USER)')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  lifeboat restore etcd --cluster demo --backup latest --dry-run\n' +
        '  lifeboat restore etcd --cluster demo --backup latest --follow\n' +
        '  lifeboat restore etcd --cluster demo --from s3://lifeboat/raw/etcd-snapshot.db --require-approval\n' +
        '\nWith --follow, progress goes to stderr (a line per step transition) and the outcome to stdout.\n' +
        '--dry-run reads the bucket (S3 keys from the variables the config names) and the cluster (its kubeconfig).',
    )
    .action(async (opts: EtcdOptions) => (await import('./etcd-run.js')).runEtcdRestore(opts));
}
