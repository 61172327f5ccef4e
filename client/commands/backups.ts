import type { Command } from 'commander';
import { listBackups, readManifest } from '../../activities/storage/catalog.js';
import { BackupKinds } from '../../core/layout.js';
import type { EtcdBackupManifest } from '../../core/manifest.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { humanAge, humanBytes, printJson, table } from '../output.js';
import { selectLocations, withLocation } from '../storage.js';

export interface BackupRow {
  location: string;
  cluster: string;
  policy: string;
  backup: string;
  time: string;
  status: 'complete' | 'incomplete';
  bytes: number;
  manifest: EtcdBackupManifest | undefined;
}

interface ListOptions {
  file: string;
  cluster?: string;
  policy?: string;
  location?: string[];
  output: string;
}

async function collect(opts: ListOptions): Promise<BackupRow[]> {
  const config = loadConfigFile(opts.file);
  const rows: BackupRow[] = [];
  for (const location of selectLocations(config, opts.location)) {
    await withLocation(config, location, async (s3) => {
      const filter = {
        ...(opts.cluster ? { cluster: opts.cluster } : {}),
        ...(opts.policy ? { policy: opts.policy } : {}),
      };
      for (const entry of await listBackups(s3, location, BackupKinds.etcd, filter)) {
        const manifest = entry.manifestKey
          ? await readManifest(s3, location, entry.manifestKey, BackupKinds.etcd)
          : undefined;
        rows.push({
          location: location.name,
          cluster: entry.cluster,
          policy: entry.policy,
          backup: entry.backup,
          time: entry.time.toISOString(),
          status: manifest ? 'complete' : 'incomplete',
          bytes: manifest?.object.bytes ?? entry.bytes,
          manifest,
        });
      }
    });
  }
  return rows;
}

const listOptions = (command: Command) =>
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

export function registerBackups(program: Command): void {
  const backups = program.command('backups').description('List and inspect backups, read from the storage locations');
  listOptions(
    backups.command('list').description('List etcd backups, newest first (reads the bucket, not Temporal)'),
  ).action(async (opts: ListOptions) => {
    const rows = await collect(opts);
    if (opts.output === 'json') return printJson(rows);
    if (rows.length === 0) return console.log('No backups found.');
    console.log(
      table(
        ['name', 'cluster/policy', 'time (UTC)', 'size', 'revision', 'age', 'encrypted', 'status', 'location'],
        rows.map((r) => [
          r.backup,
          `${r.cluster}/${r.policy}`,
          r.time.replace('T', ' ').replace('.000Z', ''),
          humanBytes(r.bytes),
          r.manifest?.etcd.revision ?? '-',
          humanAge(new Date(r.time)),
          r.manifest ? (r.manifest.object.encryption ? 'yes' : 'no') : '-',
          r.status,
          r.location,
        ]),
      ),
    );
  });
  listOptions(
    backups
      .command('describe')
      .description('Show one backup: its manifest, checksums and where it is stored')
      .argument('<name>', 'the backup name, e.g. hourly-20261121030000'),
  ).action(async (name: string, opts: ListOptions) => {
    const matches = (await collect(opts)).filter((r) => r.backup === name);
    if (matches.length === 0)
      throw new CliError(`No backup named ${name} in the selected locations.`, ExitCode.BadInput);
    if (matches.length > 1 && !opts.cluster) {
      const where = matches.map((m) => `${m.cluster} in ${m.location}`).join(', ');
      throw new CliError(
        `${name} exists more than once (${where}); narrow it with --cluster or --location.`,
        ExitCode.BadInput,
      );
    }
    const row = matches[0]!;
    if (opts.output === 'json') return printJson(row.manifest ?? row);
    const m = row.manifest;
    const lines = [
      `backup:        ${row.backup}`,
      `cluster/policy: ${row.cluster}/${row.policy}`,
      `status:        ${row.status}${m ? '' : ' (no manifest: in progress, or died; retention removes it after the grace period)'}`,
      `location:      ${row.location}`,
    ];
    if (m) {
      lines.push(
        `nominal time:  ${m.nominalTime}${m.oneOff ? ' (one-off)' : ''}`,
        `took:          ${m.startedAt} .. ${m.completedAt}`,
        `etcd:          revision ${m.etcd.revision}, version ${m.etcd.version}, from ${m.etcd.member} (${m.etcd.endpoint})`,
        `object:        ${m.object.key}`,
        `               ${humanBytes(m.object.bytes)}, compression ${m.object.compression}, encryption ${m.object.encryption ? `age (${m.object.encryption.recipients.length} recipient(s))` : 'none'}`,
        `               sha256 ${m.object.sha256}`,
        `snapshot:      ${humanBytes(m.snapshot.bytes)}, sha256 ${m.snapshot.sha256}`,
        `made by:       workflow ${m.createdBy.workflowId} (run ${m.createdBy.runId})`,
      );
    }
    console.log(lines.join('\n'));
  });
}
