import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { createActivities } from '../../activities/index.js';
import { recordHistory } from '../helpers/histories.js';
import type { storageCheck } from '../../workflows/index.js';
import { secretsInHistory } from '../helpers/secrets.js';
import {
  isolatedConfig,
  testDeps,
  s3ClientFor,
  s3SecretKeys,
  startTestWorker,
  testSecrets,
  uniqueName,
  type TestWorker,
} from '../helpers/stack.js';

// The storage smoke test: a real worker runs the storageCheck workflow, whose activities write an object to S3,
// read it back and compare checksums, then delete it, against both S3 implementations.
describe.each(inject('s3Servers').map((s) => [s.name, s] as const))('storage on %s', (serverName, server) => {
  let config: LifeboatConfig;
  let bucket: string;
  let tw: TestWorker;

  beforeAll(async () => {
    const isolated = await isolatedConfig();
    config = isolated.config;
    bucket = isolated.buckets[serverName]!;
    tw = await startTestWorker(config);
  });
  afterAll(async () => tw?.close());

  it('the storageCheck workflow writes, reads back and deletes a probe object', async () => {
    const workflowId = uniqueName('storage-check');
    const result = await tw.client.workflow.execute<typeof storageCheck>('storageCheck', {
      args: [serverName],
      taskQueue: tw.taskQueue,
      workflowId,
    });
    const handle = tw.client.workflow.getHandle(workflowId);
    await recordHistory('storage-check', handle);
    const expectedBody = `lifeboat storage probe ${(await handle.describe()).runId}\n`.repeat(64);
    expect(result).toMatchObject({
      location: serverName,
      bytes: expectedBody.length,
      sha256: createHash('sha256').update(expectedBody).digest('hex'),
    });
    expect(result.key).toMatch(/^it\/\.lifeboat-probe\//);

    // The history shows the three steps, in order, each an activity.
    const history = await handle.fetchHistory();
    const activityTypes = history.events!.flatMap((e) =>
      e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name] : [],
    );
    expect(activityTypes).toEqual(['writeProbe', 'verifyObject', 'deleteObject']);

    // Nothing is left in the bucket, and no S3 secret key entered the workflow history: not its decoded payloads
    // (inputs, results, heartbeats, memos), not its string fields, not its raw bytes.
    const s3 = s3ClientFor(server);
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    s3.destroy();
    expect(listing.KeyCount ?? 0).toBe(0);
    expect(await secretsInHistory(history, s3SecretKeys())).toEqual([]);
  });

  it('the history check finds a secret planted in a real workflow payload (the check above can fail)', async () => {
    // The real secret key, planted where a leak through data would be: an extra workflow input and a memo. The
    // workflow ignores both; the server stores them as payload bytes, which JSON shows only as numbers.
    const planted = server.secretAccessKey;
    const workflowId = uniqueName('storage-check-planted');
    await tw.client.workflow.execute<(location: string, extra: unknown) => Promise<unknown>>('storageCheck', {
      args: [serverName, { leaked: planted }],
      memo: { note: `credentials: ${planted}` },
      taskQueue: tw.taskQueue,
      workflowId,
    });
    const history = await tw.client.workflow.getHandle(workflowId).fetchHistory();
    expect(JSON.stringify(history)).not.toContain(planted);
    const label = `S3 secret key (${serverName})`;
    const started = 'history.events[0].workflowExecutionStartedEventAttributes';
    expect(await secretsInHistory(history, s3SecretKeys())).toEqual(
      expect.arrayContaining([
        { secret: label, where: `${started}.input.payloads[1] (payload)` },
        { secret: label, where: `${started}.memo.fields.note (payload)` },
        { secret: label, where: 'history (raw bytes)' },
      ]),
    );
  });

  it('the writeProbe activity stores exactly the bytes it reports', async () => {
    const activities = createActivities(testDeps(config));
    const written = await activities.writeProbe(serverName, 'direct-probe');
    const s3 = s3ClientFor(server);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: written.key }));
    const body = Buffer.from(await object.Body!.transformToByteArray());
    // It went the way a snapshot goes: one multipart part whose CRC32 the store checked and reports.
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: written.key, ChecksumMode: 'ENABLED' }));
    s3.destroy();
    expect(head.ChecksumCRC32).toMatch(/^[A-Za-z0-9+/]{6}==-1$/);
    expect(body.length).toBe(written.bytes);
    expect(createHash('sha256').update(body).digest('hex')).toBe(written.sha256);
    await activities.deleteObject(serverName, written.key);
    // Deleting again is a no-op, so a retried delete succeeds.
    await expect(activities.deleteObject(serverName, written.key)).resolves.toBeUndefined();
  });

  it('wrong credentials fail at once, non-retryable, naming the location and the env vars', async () => {
    const wrong = testSecrets();
    for (const [name] of wrong) if (name.endsWith('SECRET_ACCESS_KEY')) wrong.set(name, 'definitely-wrong-secret');
    const badWorker = await startTestWorker(config, wrong);
    try {
      const workflowId = uniqueName('storage-check-bad-creds');
      const err = await badWorker.client.workflow
        .execute<typeof storageCheck>('storageCheck', {
          args: [serverName],
          taskQueue: badWorker.taskQueue,
          workflowId,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause?.cause as { type?: string; message: string };
      expect(cause.type).toBe('StorageAccessDenied');
      expect(cause.message).toContain(`"${serverName}"`);
      expect(cause.message).toContain('_SECRET_ACCESS_KEY');
      const history = await badWorker.client.workflow.getHandle(workflowId).fetchHistory();
      // Neither the secret the worker had nor the right one shows anywhere in the history of the failure.
      expect(
        await secretsInHistory(history, { ...s3SecretKeys(), 'the wrong S3 secret key': 'definitely-wrong-secret' }),
      ).toEqual([]);
      const failedAttempt = history.events!.find((e) => e.activityTaskFailedEventAttributes);
      expect(failedAttempt).toBeDefined();
      // One attempt only: the failure is non-retryable.
      const started = history.events!.find((e) => e.activityTaskStartedEventAttributes);
      expect(started!.activityTaskStartedEventAttributes!.attempt).toBe(1);
    } finally {
      await badWorker.close();
    }
  });

  it('a missing bucket fails at once with a message naming the bucket', async () => {
    const missing = structuredClone(config);
    const location = missing.storageLocations.find((l) => l.name === serverName)!;
    location.bucket = uniqueName('no-such-bucket');
    const activities = createActivities(testDeps(missing));
    await expect(activities.writeProbe(serverName, 'x')).rejects.toMatchObject({
      type: 'BucketNotFound',
      nonRetryable: true,
      message: expect.stringContaining(`bucket "${location.bucket}" does not exist`) as unknown,
    });
  });

  it('unset credential env vars are reported by name, before any request', async () => {
    const activities = createActivities(testDeps(config, new Map()));
    await expect(activities.writeProbe(serverName, 'x')).rejects.toMatchObject({
      type: 'MissingCredentials',
      message: expect.stringContaining(`TEST_${serverName.toUpperCase()}_ACCESS_KEY_ID`) as unknown,
    });
  });
});
