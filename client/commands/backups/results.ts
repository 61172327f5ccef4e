import type { S3Client } from '@aws-sdk/client-s3';
import type { ResourceBackupManifest } from '../../../core/manifest.js';
import type { ItemProblem } from '../../../core/resources/model.js';
import { parseVeleroResults } from '../../../core/velero/results.js';
import { table, wrap } from '../../output.js';
import { readGzipText } from '../../storage.js';

/** Every warning and error of a resource backup, read from its `<backup>-results.gz` (the manifest keeps the first). */
export async function readResults(s3: S3Client, bucket: string, m: ResourceBackupManifest): Promise<ItemProblem[]> {
  return parseVeleroResults(await readGzipText(s3, bucket, m.files.results));
}

/** Errors first, then by resource, namespace and name: what a person fixes first, grouped. */
export function sortProblems(problems: ItemProblem[]): ItemProblem[] {
  const key = (p: ItemProblem) => [p.level === 'error' ? '0' : '1', p.resource ?? '', p.namespace ?? '', p.name ?? ''];
  return [...problems].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) {
      const order = ka[i]!.localeCompare(kb[i]!);
      if (order !== 0) return order;
    }
    return 0;
  });
}

export function resultsTable(problems: ItemProblem[]): string {
  return table(
    ['level', 'resource', 'namespace', 'name', 'message'],
    sortProblems(problems).map((p) => [
      p.level,
      p.resource ?? '-',
      p.namespace === undefined ? '-' : p.namespace === '' ? '(cluster)' : p.namespace,
      p.name ?? '-',
      wrap(p.message, 64),
    ]),
  );
}
