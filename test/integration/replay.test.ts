import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { validateConfig } from '../../core/config/parse.js';
import { repoRoot } from '../../build/repo-root.js';
import * as workflows from '../../workflows/index.js';
import { HISTORY_SUFFIX } from '../helpers/histories.js';
import { testDeps } from '../helpers/stack.js';

// Recorded histories of real runs (test/helpers/histories.ts) replayed against today's workflow code: a worker that
// picks up a restore half-way must make the same decisions the old one made.
const dir = join(repoRoot, 'test', 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith(HISTORY_SUFFIX))
  .sort();

/** Each history, the test that records it, and the path it covers. A missing or extra file fails the first test. */
const expected: Record<string, string> = {
  'etcd-backup-minio': 'etcd-backup.test.ts: a gzip backup to MinIO (direct mode)',
  'etcd-backup-versitygw': 'etcd-backup.test.ts: a gzip backup to versitygw (direct mode)',
  'etcd-backup-gave-up': 'backup-faults.test.ts: giveUpAfter runs out, BackupGaveUp',
  'resource-backup-completed': 'resource-backup-workflow.test.ts: a one-off resource backup, then retention',
  'resource-backup-signalled':
    "resource-backup-workflow.test.ts: a resource backup that got its archive's counters signal",
  retention: 'retention.test.ts: a sweep that deletes backups, manifests first',
  'retention-aborts-uploads': 'retention.test.ts: a sweep that aborts an abandoned multipart upload',
  'storage-check': 'storage-check.test.ts: lifeboat check of a location',
  'etcd-restore-completed': 'etcd-restore.test.ts: preflight by the store checksum, all steps done',
  'etcd-restore-cancelled-rolled-back': 'etcd-restore.test.ts: cancelled before the point of no return',
  'etcd-restore-operator-retries': 'etcd-restore-faults.test.ts: a failing Job retried twice by an operator',
  'etcd-restore-aborted': 'etcd-restore-faults.test.ts: aborted after the point of no return',
  'acm-backup-completed': 'acm-backup.test.ts: one hub backup set, four typed resource backups at once, then retention',
  'acm-backup-one-by-one':
    'acm-backup.test.ts before the typed backups ran at once (recorded at 280d852): the four one after the other',
  'acm-backup-collision': "acm-backup.test.ts: another hub's newer set found, the schedule paused, nothing written",
  'acm-restore-passive':
    'acm-restore.test.ts: a passive hub restore, credentials, resources and generic as child resource restores',
  'acm-restore-activated':
    'acm-restore.test.ts: a hub restore with the activation, the old hub declared gone, the auto-import report',
  'acm-restore-cleanup':
    'acm-restore-new-hub.test.ts: a hub restore onto a new hub with cleanup restored, deleting what older backups brought',
  'acm-restore-sync-rounds': 'acm-restore.test.ts: the first run of a passive sync, its rounds, then continued as new',
  'acm-restore-sync-activated': 'acm-restore.test.ts: the last run of a passive sync, activated by the activate update',
  'resource-restore-completed':
    'resource-restore.test.ts: deleted namespaces and a CRD with its custom resources restored, record written',
};

const histories = new Map(
  files.map((f) => [
    f.slice(0, -HISTORY_SUFFIX.length),
    temporal.api.history.v1.History.decode(readFileSync(join(dir, f))),
  ]),
);

const scheduledActivities = (history: temporal.api.history.v1.IHistory) =>
  (history.events ?? []).flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
const workflowType = (history: temporal.api.history.v1.IHistory) =>
  history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '(none)';

describe('recorded workflow histories replay against the current code', () => {
  it('has exactly the expected histories', () => {
    expect([...histories.keys()].sort()).toEqual(Object.keys(expected).sort());
  });

  it('cover every workflow and every activity the workflow code schedules, so a stale set shows', () => {
    const bundle = readFileSync(inject('workflowBundlePath'), 'utf8');
    // Activities are only listed here, never called: any valid config will do.
    const config = validateConfig({
      apiVersion: 'lifeboat.dev/v1alpha1',
      kind: 'LifeboatConfig',
      storageLocations: [
        {
          name: 'unused',
          endpoint: 'http://127.0.0.1:9',
          bucket: 'unused',
          credentials: { accessKeyIdEnv: 'UNUSED_ID', secretAccessKeyEnv: 'UNUSED_SECRET' },
        },
      ],
    });
    if (!config.ok) throw new Error(JSON.stringify(config.issues));
    // The activities workflow code names (a registered activity no workflow calls is not a replay concern).
    const called = Object.keys(createActivities(testDeps(config.config))).filter((name) =>
      new RegExp(`\\b${name}\\b`).test(bundle),
    );
    const recorded = new Set([...histories.values()].flatMap(scheduledActivities));
    expect(called.filter((name) => !recorded.has(name))).toEqual([]);
    const recordedWorkflows = new Set([...histories.values()].map(workflowType));
    expect(Object.keys(workflows).filter((name) => !recordedWorkflows.has(name))).toEqual([]);
  });

  it("resource-backup-signalled holds the archive's counters signal, so replay covers its handler", () => {
    const signals = (histories.get('resource-backup-signalled')?.events ?? []).flatMap((e) => {
      const name = e.workflowExecutionSignaledEventAttributes?.signalName;
      return name ? [name] : [];
    });
    expect(signals).toContain('counters');
  });

  it.each([...histories.keys()])('%s', async (name) => {
    const history = histories.get(name)!;
    expect(history.events.length).toBeGreaterThan(5);
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, name);
  });
});
