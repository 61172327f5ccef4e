import type { Command } from 'commander';
import { ExitCode } from '../../exit-codes.js';
import type { ActivateOptions } from './acm-activate-run.js';

/**
 * `lifeboat restore acm activate HUB`: ends a passive sync's waiting (the operator's edit of
 * veleroManagedClustersBackupName to latest). The workflow then restores the latest backups of every type, the
 * managed clusters last, and writes the auto-import secrets. Needs Temporal only.
 */
export function registerAcmActivate(acm: Command): void {
  acm
    .command('activate')
    .description(
      'Activate a passive sync (lifeboat restore acm --sync): restore the latest backups of every type onto the hub, ' +
        'the managed clusters last, so it takes the clusters over',
    )
    .argument('<hub>', 'the hub the sync restores onto, as named in the config')
    .option('--old-hub-gone <reason>', 'activate although the old hub wrote a recent backup set, for this reason')
    .option('--follow', 'print progress until the activation ends, then the results', false)
    .option('--by <name>', 'who activates, recorded in the workflow (default: $USER)')
    .addHelpText(
      'after',
      '\nExample:\n  lifeboat restore acm activate new-hub --follow\n' +
        '\nThe activation is refused while the old hub still writes backups (a set newer than twice its schedule ' +
        'interval); --old-hub-gone "<reason>" overrides.\n' +
        `\nExit codes: ${ExitCode.Ok} activation asked (or, with --follow, completed); ${ExitCode.Failed} no sync ` +
        `of the hub waits for activation; ${ExitCode.BadInput} bad input.`,
    )
    // `restore acm` has --by and --old-hub-gone too, and commander gives them to it: read both levels.
    .action(async (hub: string, _own: unknown, command: Command) =>
      (await import('./acm-activate-run.js')).runAcmActivate(hub, command.optsWithGlobals<ActivateOptions>()),
    );
}
