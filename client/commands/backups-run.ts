import { BackupKinds } from '../../core/layout.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { printJson } from '../output.js';
import { withLocation } from '../storage.js';
import { collect, findBackup, locationOf, type BackupRow, type SelectOptions } from './backups/collect.js';
import { describeEtcd, describeResources, readResourceList, resourceListText } from './backups/describe.js';
import { backupsTable } from './backups/list.js';
import { readResults, resultsTable } from './backups/results.js';
import { listVeleroBackups, parseVeleroSpec, veleroTable } from './backups/velero.js';

export interface OutputOptions {
  output: string;
}

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

/** `lifeboat backups list` (backups.ts registers it). */
export async function runList(opts: SelectOptions & OutputOptions & { velero?: string }): Promise<void> {
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
}

/** `lifeboat backups describe` (backups.ts registers it). */
export async function runDescribe(
  name: string,
  opts: SelectOptions & OutputOptions & { details: boolean },
): Promise<void> {
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
}

/** `lifeboat backups results` (backups.ts registers it). */
export async function runResults(name: string, opts: SelectOptions & OutputOptions): Promise<void> {
  const { config, row } = await findBackup(name, opts);
  const manifest = requireResourceManifest(row);
  const location = locationOf(config, row);
  const problems = await withLocation(config, location, (s3) => readResults(s3, location.bucket, manifest));
  if (opts.output === 'json') return printJson(problems);
  if (problems.length === 0) return console.log(`No warnings or errors: backup ${name} ${manifest.outcome}.`);
  console.log(resultsTable(problems));
}
