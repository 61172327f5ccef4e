import { proxyActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { LifeboatKind, LifeboatKinds, LifeboatPhase } from '../core/search-attributes.js';
import { nonRetryableFailureTypes } from '../core/failure-types.js';

const storage = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: nonRetryableFailureTypes },
});

export interface StorageCheckResult {
  location: string;
  key: string;
  bytes: number;
  sha256: string;
}

/**
 * Proves a storage location works end to end: write a probe object, read it back and compare its checksum, delete it.
 * Runs before the first backup to a location, and on demand with `lifeboat check`.
 */
export async function storageCheck(location: string): Promise<StorageCheckResult> {
  upsertSearchAttributes([
    { key: LifeboatKind, value: LifeboatKinds.storageCheck },
    { key: LifeboatPhase, value: 'writing' },
  ]);
  setCurrentDetails(`Writing a probe object to storage location **${location}**`);
  // The run id keeps concurrent checks apart; a retried activity rewrites the same key with the same bytes.
  const written = await storage.writeProbe.executeWithOptions(
    { summary: `write probe to ${location}`, startToCloseTimeout: '1m' },
    [location, workflowInfo().runId],
  );

  upsertSearchAttributes([{ key: LifeboatPhase, value: 'verifying' }]);
  setCurrentDetails(`Reading back \`${written.key}\` and checking its sha256`);
  const read = await storage.verifyObject.executeWithOptions(
    { summary: `read back and verify ${written.key}`, startToCloseTimeout: '1m' },
    [location, written.key, written.sha256],
  );

  upsertSearchAttributes([{ key: LifeboatPhase, value: 'cleaning-up' }]);
  await storage.deleteObject.executeWithOptions({ summary: `delete probe ${written.key}`, startToCloseTimeout: '1m' }, [
    location,
    written.key,
  ]);

  upsertSearchAttributes([{ key: LifeboatPhase, value: 'done' }]);
  setCurrentDetails(`Storage location **${location}** is readable and writable`);
  return { location, key: read.key, bytes: read.bytes, sha256: read.sha256 };
}
