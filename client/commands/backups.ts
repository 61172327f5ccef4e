import { Option, type Command } from 'commander';
import type { OutputOptions } from './backups-run.js';
import type { SelectOptions } from './backups/collect.js';
import { KIND_CHOICES } from './backups/kind-choices.js';

const selectOptions = (command: Command, withKind: boolean) => {
  command
    .requiredOption(
      '-f, --file <path>',
      'the config file (storage locations and the env vars with their keys)',
      process.env.LIFEBOAT_CONFIG,
    )
    .option('-c, --cluster <name>', 'only this cluster')
    .option('-p, --policy <name>', 'only this policy')
    .option('-l, --location <name...>', 'only these storage locations (default: all)')
    .option('-o, --output <format>', 'table or json', 'table');
  if (withKind) {
    command.addOption(
      new Option('-k, --kind <kind>', 'only backups of this kind (default: both)').choices(KIND_CHOICES),
    );
  }
  return command;
};

function registerList(backups: Command): void {
  selectOptions(
    backups
      .command('list')
      .description(
        'List backups of both kinds, newest first (reads the bucket, not Temporal). ' +
          "With --velero, list the backups of a Velero BackupStorageLocation instead: Velero's own or Lifeboat's.",
      ),
    true,
  )
    .option(
      '--velero <location[:prefix]>',
      'read velero-backup.json records under PREFIX/backups/ in the bucket of this storage location ' +
        "(PREFIX: the BackupStorageLocation's objectStorage.prefix; none for the bucket's root). " +
        "Lifeboat's own resource backups of a cluster are under <location prefix>/resources/<cluster>.",
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  lifeboat backups list --kind resources -c prod\n' +
        '  lifeboat backups list --velero minio:velero           # stock Velero, BSL prefix velero\n' +
        '  lifeboat backups list --velero minio:lb/resources/prod # Lifeboat backups of prod, as Velero sees them',
    )
    .action(async (opts: SelectOptions & OutputOptions & { velero?: string }) =>
      (await import('./backups-run.js')).runList(opts),
    );
}

function registerDescribe(backups: Command): void {
  selectOptions(
    backups
      .command('describe')
      .description(
        'Show one backup: its manifest, checksums and where it is stored; for a resource backup also its filters, ' +
          'outcome and items per resource, and with --details every item (as velero backup describe --details)',
      )
      .argument('<name>', 'the backup name, e.g. hourly-20261121030000'),
    false,
  )
    .option('--details', "a resource backup's every resource and item, from its resource list", false)
    .action(async (name: string, opts: SelectOptions & OutputOptions & { details: boolean }) =>
      (await import('./backups-run.js')).runDescribe(name, opts),
    );
}

function registerResults(backups: Command): void {
  selectOptions(
    backups
      .command('results')
      .description(
        'Every warning and error of a resource backup, per item (like velero backup logs, but only what ' +
          "went wrong, with the resource, namespace, name and the API's reason), read from its results file",
      )
      .argument('<name>', 'the backup name, e.g. apps-20261121030000'),
    false,
  ).action(async (name: string, opts: SelectOptions & OutputOptions) =>
    (await import('./backups-run.js')).runResults(name, opts),
  );
}

export function registerBackups(program: Command): void {
  const backups = program.command('backups').description('List and inspect backups, read from the storage locations');
  registerList(backups);
  registerDescribe(backups);
  registerResults(backups);
}
