import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../devstack/repo-root.js';
import { HISTORY_SUFFIX } from '../helpers/histories.js';

// Recorded histories of real runs (test/helpers/histories.ts) replayed against today's workflow code: a worker that
// picks up a restore half-way must make the same decisions the old one made.
const dir = join(repoRoot, 'test', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith(HISTORY_SUFFIX));

describe('recorded workflow histories replay against the current code', () => {
  it('has histories of backups, retention and restores (completed, retried, aborted, rolled back) to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  it.each(files)('%s', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
    expect(history.events.length).toBeGreaterThan(5);
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, file);
  });
});
