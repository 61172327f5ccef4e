import type { S3Client } from '@aws-sdk/client-s3';
import type { EtcdBackupManifest, ResourceBackupManifest } from '../../../core/manifest.js';
import { parseResourceList } from '../../../core/velero/resource-list.js';
import { humanBytes, plural, printFields, resourceOutcomeText, table } from '../../output.js';
import { readGzipText } from '../../storage.js';
import type { BackupRow } from './collect.js';

export function describeEtcd(row: BackupRow, m: EtcdBackupManifest | undefined): string {
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
  return lines.join('\n');
}

const listed = (items: string[]) => (items.length > 0 ? items.join(', ') : '-');

/** The filters as `velero backup describe` shows a backup's spec, with Velero's defaults spelled out. */
function filterLines(f: ResourceBackupManifest['filters']): string {
  const clusterScoped =
    f.includeClusterResources === null
      ? 'auto (only when every namespace is backed up)'
      : String(f.includeClusterResources);
  const selectors =
    f.labelSelectors.length === 0
      ? '<none>'
      : f.labelSelectors.length === 1
        ? f.labelSelectors[0]!
        : `any of: ${f.labelSelectors.join(' | ')}`;
  return [
    `namespaces:       included ${f.includedNamespaces.length > 0 ? f.includedNamespaces.join(', ') : '*'}, excluded ${listed(f.excludedNamespaces)}`,
    `resources:        included ${f.includedResources.length > 0 ? f.includedResources.join(', ') : '*'}, excluded ${listed(f.excludedResources)}`,
    `cluster-scoped:   ${clusterScoped}`,
    `label selector:   ${selectors}`,
  ].join('\n');
}

export function describeResources(row: BackupRow, m: ResourceBackupManifest | undefined): void {
  const head: [string, string][] = [
    ['backup:', row.backup],
    ['kind:', 'resources'],
    ['cluster/policy:', `${row.cluster}/${row.policy}`],
    [
      'status:',
      m ? row.status : `${row.status} (no manifest: in progress, or died; retention removes it after the grace period)`,
    ],
    ['location:', row.location],
  ];
  if (!m) return printFields(head);
  const resources = Object.keys(m.counts.resources).length;
  const problems = m.counts.warnings + m.counts.errors > 0 ? `; every one: lifeboat backups results ${m.backup}` : '';
  printFields([
    ...head,
    ['outcome:', `${resourceOutcomeText(m)}${problems}`],
    ['nominal time:', `${m.nominalTime}${m.oneOff ? ' (one-off)' : ''}`],
    ['took:', `${m.startedAt} .. ${m.completedAt}`],
    ['kubernetes:', `${m.kubernetes.gitVersion} (${m.kubernetes.major}.${m.kubernetes.minor})`],
    ['filters:', filterLines(m.filters)],
    [
      'items:',
      `${m.counts.items} in ${plural(resources, 'resource')}, ${plural(m.counts.warnings, 'warning')}, ${plural(m.counts.errors, 'error')}`,
    ],
    [
      'object:',
      `${m.object.key}\n${humanBytes(m.object.bytes)}, encryption ${
        m.object.encryption
          ? `age (${m.object.encryption.recipients.length} recipient(s); stock Velero cannot read it)`
          : 'none'
      }\nsha256 ${m.object.sha256}`,
    ],
    [
      'files:',
      [
        `resource list  ${m.files.resourceList}`,
        `results        ${m.files.results}`,
        `velero record  ${m.files.veleroRecord ?? 'none (encrypted: stock Velero would list it and fail to restore it)'}`,
      ].join('\n'),
    ],
    ['made by:', `workflow ${m.createdBy.workflowId} (run ${m.createdBy.runId})`],
  ]);
  const counts = Object.entries(m.counts.resources).sort(([a], [b]) => a.localeCompare(b));
  if (counts.length > 0) {
    console.log(`\nItems per resource:\n${table(['resource', 'items'], counts)}`);
  }
}

/** Every backed-up item by group/version/kind, read from the backup's `<backup>-resource-list.json.gz`. */
export async function readResourceList(
  s3: S3Client,
  bucket: string,
  m: ResourceBackupManifest,
): Promise<Record<string, string[]>> {
  return parseResourceList(await readGzipText(s3, bucket, m.files.resourceList));
}

/** The list as `velero backup describe --details` prints it: each group/version/kind, then its items. */
export function resourceListText(list: Record<string, string[]>): string {
  const lines = ['Resource List:'];
  const kinds = Object.keys(list).sort();
  if (kinds.length === 0) lines.push('  <none>');
  for (const gvk of kinds) {
    lines.push(`  ${gvk}:`, ...list[gvk]!.map((item) => `    - ${item}`));
  }
  return lines.join('\n');
}
