import type { Command } from 'commander';
import { ExitCode } from '../exit-codes.js';
import type { NowOptions } from './backup-run.js';

export function registerBackup(program: Command): void {
  const backup = program.command('backup').description('Take backups outside their schedule');
  backup
    .command('now')
    .description(
      "Back up a cluster now with a policy's settings (a one-off backup, kept unless keepOneOff is false). " +
        'Takes etcd, resource and ACM hub backup policies alike (an ACM policy takes one set: a backup per type).',
    )
    .argument('<cluster/policy>', 'the policy to back up with, e.g. demo/hourly')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .option(
      '-w, --wait',
      'follow the backup until it ends, printing its progress; exit 0 only if it succeeded ' +
        `(a resource backup completed with errors exits ${ExitCode.CompletedWithErrors})`,
      false,
    )
    .option(
      '--give-up-after <duration>',
      'etcd policies only: stop retrying an unreachable etcd or storage after this long, e.g. 10m',
    )
    .addHelpText(
      'after',
      [
        '',
        'A resource backup ends Completed, Completed with N warnings (exit 0), or Completed with',
        `N errors (exit ${ExitCode.CompletedWithErrors}): the backup exists but lacks what the errors name.`,
        '`lifeboat backups results NAME` lists every warning and error. Resource names in the',
        'policy that no API serves are warnings there (a CRD may be installed later); backup now',
        "also says so before it starts, when it can reach the cluster's API.",
      ].join('\n'),
    )
    .action(async (target: string, opts: NowOptions) => (await import('./backup-run.js')).runBackupNow(target, opts));
}
