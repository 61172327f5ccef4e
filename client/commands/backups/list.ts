import { humanAge, humanBytes, plural, resourceOutcomeText, table } from '../../output.js';
import type { BackupRow } from './collect.js';

/** What a backup holds, by kind: an etcd backup's revision, a resource backup's items. */
function contents(row: BackupRow): string {
  if (!row.manifest) return '-';
  return row.kind === 'etcd' ? `revision ${row.manifest.etcd.revision}` : plural(row.manifest.counts.items, 'item');
}

/** complete or incomplete; a complete resource backup says its outcome instead. */
function status(row: BackupRow): string {
  return row.kind === 'resources' && row.manifest ? resourceOutcomeText(row.manifest) : row.status;
}

export function backupsTable(rows: BackupRow[]): string {
  return table(
    ['name', 'kind', 'cluster/policy', 'time (UTC)', 'size', 'contents', 'age', 'encrypted', 'status', 'location'],
    rows.map((r) => [
      r.backup,
      r.kind,
      `${r.cluster}/${r.policy}`,
      r.time.replace('T', ' ').replace('.000Z', ''),
      humanBytes(r.bytes),
      contents(r),
      humanAge(new Date(r.time)),
      r.manifest ? (r.manifest.object.encryption ? 'yes' : 'no') : '-',
      status(r),
      r.location,
    ]),
  );
}
