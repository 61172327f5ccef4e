import type { Command } from 'commander';
import { ExitCode } from '../../exit-codes.js';
import type { ResourcesOptions } from './resources-run.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `lifeboat restore resources`: starts the resourceRestore workflow (or its dry run) and, asked to, follows it. */
export function registerResources(restore: Command): void {
  restore
    .command('resources')
    .description(
      'Restore Kubernetes objects from a resource backup into a cluster (the resourceRestore workflow: plan, preflight, restore by priority)',
    )
    .requiredOption('-c, --cluster <name>', 'the target cluster, as named in the config')
    .option('-b, --backup <name>', '"latest" (newest complete resource backup) or a backup name')
    .option('--from-cluster <name>', "restore another cluster's backup into the target (migration)")
    .option('--policy <name>', 'with --backup latest: the newest backup of this resource-backup policy only')
    .option('--include-namespaces <list>', 'namespace globs to restore, comma-separated (default: all)')
    .option('--exclude-namespaces <list>', 'namespace globs to leave out')
    .option('--include-resources <list>', 'resources to restore (kubectl names: configmaps, deployments.apps)')
    .option('--exclude-resources <list>', 'resources to leave out')
    .option('--selector <selector>', 'restore only objects whose labels match (Kubernetes selector syntax)')
    .option(
      '--or-selector <selector>',
      'objects matching any of these selectors (repeatable; not with --selector)',
      collect,
    )
    .option(
      '--include-cluster-resources <bool>',
      'true or false (default: the cluster-scoped objects restored ones need)',
    )
    .option('--namespace-mapping <old:new,...>', 'restore namespace old into new')
    .option('--existing-resource-policy <policy>', 'none (leave existing objects) or update (patch them)', 'none')
    .option('--restore-status <list>', 'resources whose saved status is written back ("*" for all)')
    .option('--preserve-node-ports', "keep Services' node ports as backed up", false)
    .option('--dry-run', 'plan and compare against the live target, write nothing, print what would happen', false)
    .option('--require-approval', 'wait for `lifeboat restore approve` before writing anything', false)
    .option('--follow', 'print progress until the restore ends, then its results (always on with --dry-run)', false)
    .option('--velero-location <name>', 'a backup stock Velero wrote: the storage location of its bucket')
    .option('--velero-prefix <prefix>', "with --velero-location: the BackupStorageLocation's prefix (default: none)")
    .option('--by <name>', 'who asks, recorded in the workflow (default: $USER)')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  lifeboat restore resources --cluster demo --backup latest --dry-run\n' +
        '  lifeboat restore resources --cluster demo --backup latest --include-namespaces shop --follow\n' +
        '  lifeboat restore resources --cluster new-hub --from-cluster hub --backup latest --namespace-mapping shop:shop-copy\n' +
        '\nWith --follow, progress goes to stderr and the results to stdout. Follow a restore started without it:\n' +
        '  lifeboat restore status CLUSTER --kind resources\n' +
        `\nExit codes: ${ExitCode.Ok} completed; ${ExitCode.CompletedWithErrors} completed with errors (the failed items are ` +
        `listed with their reasons); ${ExitCode.Failed} the restore failed or is already running; ${ExitCode.BadInput} bad ` +
        'input (a flag, an unknown cluster, location or backup, a mapping or filter that does not fit the backup): ' +
        'nothing was written.',
    )
    .action(async (opts: ResourcesOptions) => (await import('./resources-run.js')).runResourceRestore(opts));
}
