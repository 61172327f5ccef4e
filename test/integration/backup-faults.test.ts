import { WorkflowFailedError } from '@temporalio/client';
import type { SnapshotResult } from '../../activities/etcd-backup.js';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import type { ManagedProcess } from '../../devstack/process.js';
import { freePorts } from '../../devstack/ports.js';
import type { etcdBackup } from '../../workflows/index.js';
import {
  loadEtcd,
  pendingActivity,
  privateEtcd,
  privateS3,
  timestampMs,
  waitFor,
  workerProcess,
} from '../helpers/faults.js';
import { activityResult, activityRuns, recordHistory } from '../helpers/histories.js';
import { secretsInHistory, secretsInText, type Secrets } from '../helpers/secrets.js';
import {
  bucketState,
  createBucket,
  s3ClientFor,
  s3SecretKeys,
  secretEnvNames,
  startTestWorker,
  uniqueName,
  type S3ServerInfo,
  type TestWorker,
} from '../helpers/stack.js';

// Fault injection on a private etcd cluster and a private S3 server, so killing them disturbs no other test file.
// The etcd holds ~200 MiB of random data: a snapshot then takes seconds to stream, long enough to break it midway.
describe('backups survive faults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-faults-'));
  let etcd: Awaited<ReturnType<typeof privateEtcd>>;
  let s3: Awaited<ReturnType<typeof privateS3>>;
  let s3Process: ManagedProcess;
  let server: S3ServerInfo;
  let config: LifeboatConfig;
  let secrets: Map<string, string>;
  /** What must not leak: this file's private S3 secret key and the shared servers' ones. */
  let secretValues: Secrets;
  let bucket: string;
  let tw: TestWorker;

  beforeAll(async () => {
    etcd = await privateEtcd(join(dir, 'etcd'));
    s3 = await privateS3(join(dir, 's3'));
    s3Process = await s3.start();
    server = s3.server;
    bucket = uniqueName('faults');
    await createBucket(server, bucket);
    await loadEtcd(etcd.endpoints, 200);
    const names = secretEnvNames('faults');
    secrets = new Map([
      [names.accessKeyIdEnv, server.accessKeyId],
      [names.secretAccessKeyEnv, server.secretAccessKey],
    ]);
    secretValues = { ...s3SecretKeys(), 'S3 secret key (private versitygw)': server.secretAccessKey };
    const deadPorts = await freePorts(2);
    const result = validateConfig({
      apiVersion: 'lifeboat.dev/v1alpha1',
      kind: 'LifeboatConfig',
      storageLocations: [{ name: 'faulty', endpoint: server.endpoint, bucket, credentials: names }],
      clusters: [
        { name: 'private', etcd: { endpoints: etcd.endpoints } },
        { name: 'dead', etcd: { endpoints: deadPorts.map((p) => `http://127.0.0.1:${p}`) } },
      ],
      etcdBackups: [
        { name: 'big', cluster: 'private', location: 'faulty', compression: 'gzip', keep: 50 },
        { name: 'never', cluster: 'dead', location: 'faulty' },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    tw = await startTestWorker(config, secrets);
  }, 300_000);

  afterAll(async () => {
    await tw?.close();
    await s3Process?.stop();
    await etcd?.stop();
  });

  const startBackup = (requestedAt: string, taskQueue = tw.taskQueue) =>
    tw.client.workflow.start<typeof etcdBackup>('etcdBackup', {
      args: [{ cluster: 'private', policy: 'big', requestedAt }],
      taskQueue,
      workflowId: uniqueName('etcd-backup-fault'),
    });

  const expectExactlyOneBackup = async (backup: string) => {
    const state = await bucketState(server, bucket);
    const mine = state.keys.filter((k) => k.includes(`/${backup}/`));
    expect(mine).toEqual([`etcd/private/big/${backup}/manifest.json`, `etcd/private/big/${backup}/snapshot.db.gz`]);
    expect(state.uploads).toEqual([]);
  };

  it(
    'the worker killed mid-upload: the next worker reattaches to the upload; one snapshot, one manifest',
    { timeout: 240_000 },
    async () => {
      const taskQueue = uniqueName('faults-worker');
      const first = workerProcess(config, taskQueue, secrets);
      await first.start();
      const handle = await startBackup('2026-06-01T00:00:00.000Z', taskQueue);
      const uploading = await waitFor('the first heartbeat with an upload id', async () => {
        const pending = await pendingActivity(handle);
        return pending?.details?.uploadId ? pending : undefined;
      });
      const heartbeated = uploading.details!.uploadId as string;
      await first.kill();
      // The store agrees: the killed attempt left exactly that upload open, no other.
      const openUploads = async () =>
        (await bucketState(server, bucket)).uploads.filter((u) => u.Key?.includes('/big-20260601000000/'));
      expect((await openUploads()).map((u) => u.UploadId)).toEqual([heartbeated]);
      const second = workerProcess(config, taskQueue, secrets);
      await second.start();
      try {
        // Every upload open on the store while the second attempt runs: a fresh upload would show here for as long
        // as ~200 MiB take to stream.
        const seen = new Set<string>();
        let finished = false;
        const watching = (async () => {
          while (!finished) {
            for (const u of await openUploads()) seen.add(u.UploadId!);
            await new Promise((r) => setTimeout(r, 200));
          }
        })();
        const manifest = await handle.result().finally(() => (finished = true));
        await watching;
        await expectExactlyOneBackup(manifest.backup);
        expect([...seen]).toEqual([heartbeated]);
        // ... and that upload is the one completed into the object: it is gone, and nothing else could have made it.
        const s3 = s3ClientFor(server);
        const parts = await s3
          .send(new ListPartsCommand({ Bucket: bucket, Key: manifest.object.key, UploadId: heartbeated }))
          .then(
            () => 'still open',
            (e: Error) => e.name,
          )
          .finally(() => s3.destroy());
        expect(parts).toBe('NoSuchUpload');

        const history = await handle.fetchHistory();
        // The snapshot activity itself ran again (not merely some activity of the backup), and says it reattached.
        const [snapshotRun] = activityRuns(history, 'snapshotToStorage');
        expect(snapshotRun!.attempt).toBeGreaterThanOrEqual(2);
        const result = activityResult<SnapshotResult>(history, 'snapshotToStorage');
        expect(result.resumedUpload).toBe(true);

        expect(await secretsInHistory(history, secretValues)).toEqual([]);
        for (const proc of [first, second])
          expect(secretsInText(proc.spec.logFile, readFileSync(proc.spec.logFile, 'utf8'), secretValues)).toEqual([]);
      } finally {
        await second.stop();
      }
    },
  );

  it(
    'the member being streamed is killed: another member takes over and the backup completes',
    { timeout: 180_000 },
    async () => {
      const handle = await startBackup('2026-06-02T00:00:00.000Z');
      const victim = await waitFor('the member being streamed', async () => {
        const pending = await pendingActivity(handle);
        return typeof pending?.details?.member === 'string' ? pending.details.member : undefined;
      });
      await etcd.members.get(victim)!.kill();
      try {
        const manifest = await handle.result();
        expect(manifest.etcd.endpoint).not.toBe(victim);
        await expectExactlyOneBackup(manifest.backup);
      } finally {
        await etcd.members.get(victim)!.start(); // rejoins with its data
      }
    },
  );

  it('S3 down for a minute during an upload: the backup completes after it returns', { timeout: 300_000 }, async () => {
    const handle = await startBackup('2026-06-03T00:00:00.000Z');
    await waitFor('the upload to start', async () =>
      (await pendingActivity(handle))?.details?.uploadId ? true : undefined,
    );
    await s3Process.kill();
    const downSince = Date.now();
    await waitFor(
      'a failed attempt while S3 is down',
      async () => {
        const pending = await pendingActivity(handle);
        return pending && pending.attempt >= 2 && pending.lastFailure ? pending : undefined;
      },
      120_000,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - downSince))));
    s3Process = await s3.start();
    const manifest = await handle.result();
    await expectExactlyOneBackup(manifest.backup);
  });

  it(
    'etcd unreachable: retried with backoff and a message naming every endpoint; nothing written',
    { timeout: 120_000 },
    async () => {
      const handle = await tw.client.workflow.start<typeof etcdBackup>('etcdBackup', {
        args: [{ cluster: 'dead', policy: 'never', requestedAt: '2026-06-04T00:00:00.000Z' }],
        taskQueue: tw.taskQueue,
        workflowId: uniqueName('etcd-backup-dead'),
      });
      const third = await waitFor(
        'the wait before a third attempt',
        async () => {
          const pending = await pendingActivity(handle);
          return pending && pending.attempt >= 3 && pending.nextAttemptScheduled ? pending : undefined;
        },
        90_000,
      );
      // Exponential backoff: 5s before the second attempt, 10s before the third.
      expect(third.nextAttemptScheduled! - third.lastAttemptCompleted!).toBeGreaterThanOrEqual(9_000);
      expect(third.lastFailure).toMatch(
        /No etcd member of dead answered: http:\/\/127\.0\.0\.1:\d+ .*; http:\/\/127\.0\.0\.1:\d+/,
      );
      await handle.terminate('test over');
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const state = await bucketState(server, bucket);
      expect(state.keys.filter((k) => k.includes('/dead/'))).toEqual([]);
      expect(state.uploads.filter((u) => u.Key?.includes('/dead/'))).toEqual([]);
    },
  );

  it(
    'etcd unreachable with a give-up time: retried with backoff until then, then one clear failure naming the endpoints',
    { timeout: 120_000 },
    async () => {
      const workflowId = uniqueName('etcd-backup-dead-give-up');
      const handle = await tw.client.workflow.start<typeof etcdBackup>('etcdBackup', {
        args: [{ cluster: 'dead', policy: 'never', requestedAt: '2026-06-05T00:00:00.000Z', giveUpAfter: '20s' }],
        taskQueue: tw.taskQueue,
        workflowId,
      });
      // The waits between attempts as the server schedules them (each lasts seconds, so polling sees most of them).
      const waits = new Map<number, { previousEnded: number; next: number }>();
      let finished = false;
      const watching = (async () => {
        while (!finished) {
          const p = await pendingActivity(handle).catch(() => undefined);
          if (p?.lastAttemptCompleted && p.nextAttemptScheduled && p.attempt >= 2)
            waits.set(p.attempt, { previousEnded: p.lastAttemptCompleted, next: p.nextAttemptScheduled });
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      finished = true;
      await watching;
      await recordHistory('etcd-backup-gave-up', handle);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const failure = (err as WorkflowFailedError).cause as { type?: string; message: string };
      expect(failure.type).toBe('BackupGaveUp');
      expect(failure.message).toMatch(
        /^backup never-20260605000000 of dead\/never gave up after 20s: No etcd member of dead answered: http:\/\/127\.0\.0\.1:\d+ /,
      );

      // What the feature promises, from the server's own record, whatever the number of attempts a loaded machine
      // fits into 20 s: retries with backoff (5 s, then 10 s, ...), none started after the deadline, the last one
      // given up only because the next would have started after it, and one failure.
      const events = (await handle.fetchHistory()).events!;
      const backoffAfter = (attempt: number) => Math.min(5_000 * 2 ** (attempt - 1), 120_000);
      const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes)!;
      expect(Number(scheduled.activityTaskScheduledEventAttributes!.scheduleToCloseTimeout!.seconds)).toBe(20);
      const deadline = timestampMs(scheduled.eventTime)! + 20_000;
      const started = events.filter((e) => e.activityTaskStartedEventAttributes);
      expect(started).toHaveLength(1); // one activity, its attempts retried by the server
      const lastAttempt = started[0]!.activityTaskStartedEventAttributes!.attempt!;
      const lastStarted = timestampMs(started[0]!.eventTime)!;
      const ended = events.filter((e) => e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes);
      expect(ended).toHaveLength(1);
      expect(events.filter((e) => e.workflowExecutionFailedEventAttributes)).toHaveLength(1);
      // Not one and out: it retried.
      expect(lastAttempt).toBeGreaterThanOrEqual(2);
      // The last attempt cannot have started before every earlier backoff had passed, nor after the deadline.
      let earliest = timestampMs(scheduled.eventTime)!;
      for (let attempt = 1; attempt < lastAttempt; attempt++) earliest += backoffAfter(attempt);
      expect(lastStarted).toBeGreaterThanOrEqual(earliest - 100);
      expect(lastStarted).toBeLessThanOrEqual(deadline);
      // It tried until the deadline: one more attempt would have started after it.
      expect(timestampMs(ended[0]!.eventTime)! + backoffAfter(lastAttempt)).toBeGreaterThan(deadline);
      // Each wait seen on the way: the backoff after that attempt, and no attempt scheduled past the deadline.
      expect(waits.size).toBeGreaterThanOrEqual(1);
      for (const [next, wait] of waits) {
        expect(next).toBeLessThanOrEqual(lastAttempt);
        expect(wait.next - wait.previousEnded).toBeGreaterThanOrEqual(backoffAfter(next - 1) - 100);
        expect(wait.next).toBeLessThanOrEqual(deadline);
      }
    },
  );
});
