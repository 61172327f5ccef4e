import type { Command } from 'commander';
import { ExitCode } from '../../exit-codes.js';
import { registerAcmActivate } from './acm-activate.js';
import type { AcmOptions } from './acm-run.js';

/** `lifeboat restore acm`: starts the acmRestore workflow and, asked to, follows it. */
export function registerAcm(restore: Command): void {
  const acm = restore
    .command('acm')
    .description(
      "Restore an ACM hub's backups onto a (new) hub, as the cluster-backup-operator's Restore: credentials, " +
        'resources, generic, then the activation (managed clusters) and the auto-import secrets',
    )
    // Not commander's requiredOption: it would demand them of `restore acm activate` too; the action checks them.
    .option('-c, --cluster <name>', 'the hub to restore onto, as named in the config (required)')
    .option('--from-cluster <name>', 'the hub whose backups are restored (default: --cluster)')
    .option('--managed-clusters <choice>', 'latest, skip, or a managed-clusters backup name (activates the hub)')
    .option('--credentials <choice>', 'latest, skip, or a credentials backup name')
    .option('--resources <choice>', 'latest, skip, or a resources backup name (its generic backup comes with it)')
    .option('--cleanup-before-restore <mode>', 'none, restored or all (with --yes-delete-unrestored)')
    .option('--yes-delete-unrestored', 'confirm --cleanup-before-restore all', false)
    .option('--require-approval', 'wait for `lifeboat restore approve HUB --kind acm` before activating', false)
    .option('--old-hub-gone <reason>', 'activate although the old hub wrote a recent backup set, for this reason')
    .option(
      '--sync',
      'passive sync (with --managed-clusters skip): keep restoring newer credentials and resources backups until `lifeboat restore acm activate HUB`',
      false,
    )
    .option('--sync-interval <duration>', 'with --sync: how often to look for newer backups (default 30m)')
    .option('--location <name>', "the storage location of the backups (default: the source hub's acmBackups policy's)")
    .option('-f, --restore-file <path>', "ACM's own Restore manifest (cluster.open-cluster-management.io/v1beta1)")
    .option('--follow', 'print progress until the restore ends, then its results', false)
    .option('--by <name>', 'who asks, recorded in the workflow (default: $USER)')
    .option('--config <path>', 'the Lifeboat config file (required)', process.env.LIFEBOAT_CONFIG)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  lifeboat restore acm --cluster new-hub --from-cluster hub --credentials latest --resources latest --managed-clusters skip\n' +
        '  lifeboat restore acm --cluster new-hub --from-cluster hub --credentials latest --resources latest \\\n' +
        '      --managed-clusters latest --require-approval --follow\n' +
        '  lifeboat restore acm --cluster new-hub --from-cluster hub -f restore-acm.yaml --follow\n' +
        '\nThe activation (restoring the managed clusters) is refused while the old hub still writes backups (a set ' +
        'newer than twice its schedule interval); --old-hub-gone "<reason>" overrides. -f reads the Lifeboat config ' +
        'from --config (or LIFEBOAT_CONFIG), since -f names the Restore manifest here.\n' +
        `\nExit codes: ${ExitCode.Ok} completed; ${ExitCode.CompletedWithErrors} completed with failed items (listed); ` +
        `${ExitCode.Failed} the restore failed or one already runs; ${ExitCode.BadInput} bad input (a flag, a name that ` +
        'is not a backup of its type, the old hub alive): nothing was written.',
    )
    .action(async (opts: Partial<AcmOptions>) => (await import('./acm-run.js')).runAcmRestore(opts));
  registerAcmActivate(acm);
}
