import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../build/repo-root.js';

/**
 * With LIFEBOAT_RECORD_HISTORIES=1, tests save the histories of the runs they check under test/histories, where
 * replay.test.ts replays them against the current workflow code: a change that would break a running restore or
 * backup (non-determinism) fails there. Re-record when a workflow change is meant to be incompatible (and version it
 * with patched() if runs of the old code may still be open).
 *
 * Binary protobuf, not JSON: the SDK's JSON reader trips over the two protobufjs copies this dependency tree holds.
 * `temporal workflow show` of a live run, or a decode with @temporalio/proto, shows one as text.
 */
export const HISTORY_SUFFIX = '.history.binpb';

export async function recordHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (!process.env.LIFEBOAT_RECORD_HISTORIES) return;
  const history = await handle.fetchHistory();
  const bytes = temporal.api.history.v1.History.encode(history).finish();
  writeFileSync(join(repoRoot, 'test', 'histories', `${name}${HISTORY_SUFFIX}`), bytes);
}
