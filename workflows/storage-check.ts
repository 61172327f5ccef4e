import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { LifeboatKind, LifeboatKinds } from '../core/search-attributes.js';
import { nonRetryableFailureTypes } from '../core/failure-types.js';
import { trackPhases } from './phase.js';

const storage = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: nonRetryableFailureTypes },
});

export type StorageCheckPhase = 'writing' | 'verifying' | 'cleaning-up' | 'done';

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
  const phases = trackPhases<StorageCheckPhase>();
  phases.enter('writing', `Writing a probe object to storage location **${location}**`, [
    { key: LifeboatKind, value: LifeboatKinds.storageCheck },
  ]);
  // The run id keeps concurrent checks apart; a retried activity rewrites the same key with the same bytes.
  const written = await storage.writeProbe.executeWithOptions({ summary: `write probe to ${location}` }, [
    location,
    workflowInfo().runId,
  ]);

  phases.enter('verifying', `Reading back \`${written.key}\` and checking its sha256`);
  const read = await storage.verifyObject.executeWithOptions({ summary: `read back and verify ${written.key}` }, [
    location,
    written.key,
    written.sha256,
  ]);

  phases.enter('cleaning-up');
  await storage.deleteObject.executeWithOptions({ summary: `delete probe ${written.key}` }, [location, written.key]);

  phases.enter('done', `Storage location **${location}** is readable and writable`);
  return { location, key: read.key, bytes: read.bytes, sha256: read.sha256 };
}
