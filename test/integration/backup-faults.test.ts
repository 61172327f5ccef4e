import { WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { SnapshotResult } from '../../activities/etcd-backup.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import type { ManagedProcess } from '../../devstack/process.js';
import { freePorts } from '../../devstack/ports.js';
import type { etcdBackup } from '../../workflows/index.js';
import { loadEtcd, pendingActivity, privateEtcd, privateS3, waitFor, workerProcess } from '../helpers/faults.js';
import {
  bucketState,
  createBucket,
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
      await first.kill();
      const second = workerProcess(config, taskQueue, secrets);
      await second.start();
      try {
        const manifest = await handle.result();
        await expectExactlyOneBackup(manifest.backup);
        const history = await handle.fetchHistory();
        const attempts = history.events!.flatMap((e) =>
          e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : [],
        );
        expect(Math.max(...attempts.map(Number))).toBeGreaterThanOrEqual(2);
        // The snapshot activity is the first to complete; its result says it reattached to the killed attempt's upload.
        const completed = history.events!.find((e) => e.activityTaskCompletedEventAttributes)!;
        const result = defaultPayloadConverter.fromPayload<SnapshotResult>(
          completed.activityTaskCompletedEventAttributes!.result!.payloads![0]!,
        );
        expect(result.resumedUpload).toBe(true);
        expect(uploading.details?.uploadId).toBeTypeOf('string');
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
    'etcd unreachable with a give-up time: retried until then, then one clear failure naming the endpoints',
    { timeout: 120_000 },
    async () => {
      const started = Date.now();
      const workflowId = uniqueName('etcd-backup-dead-give-up');
      const err = await tw.client.workflow
        .execute<typeof etcdBackup>('etcdBackup', {
          args: [{ cluster: 'dead', policy: 'never', requestedAt: '2026-06-05T00:00:00.000Z', giveUpAfter: '20s' }],
          taskQueue: tw.taskQueue,
          workflowId,
        })
        .catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const failure = (err as WorkflowFailedError).cause as { type?: string; message: string };
      expect(failure.type).toBe('BackupGaveUp');
      expect(failure.message).toMatch(
        /^backup never-20260605000000 of dead\/never gave up after 20s: No etcd member of dead answered: http:\/\/127\.0\.0\.1:\d+ /,
      );
      // It kept trying until the deadline: attempts at 0, 5 and 15 s (a fourth would start after 20 s), not one and out.
      const history = await tw.client.workflow.getHandle(workflowId).fetchHistory();
      const attempts = history.events!.flatMap((e) =>
        e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : [],
      );
      expect(attempts).toEqual([3]);
      expect(elapsed).toBeGreaterThanOrEqual(14_000);
    },
  );
});
