import { Option, type Command } from 'commander';
import { BackupKinds } from '../../core/layout.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { printJson } from '../output.js';
import { withLocation } from '../storage.js';
import {
  collect,
  findBackup,
  KIND_CHOICES,
  locationOf,
  type BackupRow,
  type SelectOptions,
} from './backups/collect.js';
import { describeEtcd, describeResources, readResourceList, resourceListText } from './backups/describe.js';
import { backupsTable } from './backups/list.js';
import { readResults, resultsTable } from './backups/results.js';
import { listVeleroBackups, parseVeleroSpec, veleroTable } from './backups/velero.js';

interface OutputOptions {
  output: string;
}

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

/** A resource backup with its manifest, for the commands that read the files beside it. */
function requireResourceManifest(row: BackupRow) {
  if (row.kind !== BackupKinds.resources) {
    throw new CliError(
      `${row.backup} is an etcd backup: it has one snapshot and no per-item results or resource list.`,
      ExitCode.BadInput,
    );
  }
  if (!row.manifest) {
    throw new CliError(
      `${row.backup} has no manifest: it is still running, or it died before it finished (nothing to read yet).`,
      ExitCode.BadInput,
    );
  }
  return row.manifest;
}

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
    .action(async (opts: SelectOptions & OutputOptions & { velero?: string }) => {
      if (opts.velero !== undefined) {
        if (opts.kind || opts.cluster || opts.policy || opts.location) {
          throw new CliError(
            '--velero lists one BackupStorageLocation, named by the option itself: leave out --kind, --cluster, ' +
              '--policy and --location.',
            ExitCode.BadInput,
          );
        }
        const config = loadConfigFile(opts.file);
        const spec = parseVeleroSpec(config, opts.velero);
        const rows = await listVeleroBackups(config, spec);
        if (opts.output === 'json') return printJson(rows);
        if (rows.length === 0) {
          return console.log(`No Velero backups under "${spec.prefix}" in ${spec.location.name}.`);
        }
        return console.log(veleroTable(rows));
      }
      const { rows } = await collect(opts);
      if (opts.output === 'json') return printJson(rows);
      if (rows.length === 0) return console.log('No backups found.');
      console.log(backupsTable(rows));
    });
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
    .action(async (name: string, opts: SelectOptions & OutputOptions & { details: boolean }) => {
      const { config, row } = await findBackup(name, opts);
      const list =
        opts.details && row.kind === BackupKinds.resources
          ? await withLocation(config, locationOf(config, row), (s3) =>
              readResourceList(s3, locationOf(config, row).bucket, requireResourceManifest(row)),
            )
          : undefined;
      if (opts.output === 'json') {
        const manifest = row.manifest ?? row;
        return printJson(list ? { manifest, resourceList: list } : manifest);
      }
      if (row.kind === BackupKinds.etcd) {
        if (opts.details) console.error('(--details applies to resource backups; an etcd backup has none)');
        return console.log(describeEtcd(row, row.manifest));
      }
      describeResources(row, row.manifest);
      if (list) console.log(`\n${resourceListText(list)}`);
    });
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
  ).action(async (name: string, opts: SelectOptions & OutputOptions) => {
    const { config, row } = await findBackup(name, opts);
    const manifest = requireResourceManifest(row);
    const location = locationOf(config, row);
    const problems = await withLocation(config, location, (s3) => readResults(s3, location.bucket, manifest));
    if (opts.output === 'json') return printJson(problems);
    if (problems.length === 0) return console.log(`No warnings or errors: backup ${name} ${manifest.outcome}.`);
    console.log(resultsTable(problems));
  });
}

export function registerBackups(program: Command): void {
  const backups = program.command('backups').description('List and inspect backups, read from the storage locations');
  registerList(backups);
  registerDescribe(backups);
  registerResults(backups);
}
