import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { secretsInHistory, secretsInObjects, secretsInText } from '../helpers/secrets.js';

// The leak checks of the integration suite (test/helpers/secrets.ts) must see secrets where a history keeps them:
// inside payloads, which are bytes. A planted secret in each place must be found.
const pem = [
  '-----BEGIN PRIVATE KEY-----',
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPlantedKeyLineOne1',
  'hRANCAAQPlantedKeyLineTwoOfTheTestPrivateKeyxxxxxxxxxxxxxxxxxxxxxx',
  '-----END PRIVATE KEY-----',
  '',
].join('\n');
const secrets = { 's3 secret key': 'planted-s3-secret-0123456789', 'etcd client key': pem };

const payload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const historyWith = (attributes: temporal.api.history.v1.IHistoryEvent) =>
  temporal.api.history.v1.History.create({
    events: [
      {
        eventId: 1 as never,
        workflowExecutionStartedEventAttributes: { input: { payloads: [payload({ cluster: 'demo' })] } },
      },
      { eventId: 2 as never, ...attributes },
    ],
  });

describe('secret scan of a workflow history', () => {
  it('finds a secret in an activity input payload, which JSON.stringify of the history cannot see', async () => {
    const history = historyWith({
      activityTaskScheduledEventAttributes: {
        input: { payloads: [payload({ credentials: secrets['s3 secret key'] })] },
      },
    });
    expect(JSON.stringify(history)).not.toContain(secrets['s3 secret key']);
    expect(await secretsInHistory(history, secrets)).toEqual([
      {
        secret: 's3 secret key',
        where: 'history.events[1].activityTaskScheduledEventAttributes.input.payloads[0] (payload)',
      },
      { secret: 's3 secret key', where: 'history (raw bytes)' },
    ]);
  });

  it('finds a PEM key JSON-escaped in a heartbeat payload, and a single line of it in a memo', async () => {
    const heartbeat = historyWith({
      activityTaskFailedEventAttributes: {
        failure: { message: 'x', applicationFailureInfo: { details: { payloads: [payload({ key: pem })] } } },
      },
    });
    const found = await secretsInHistory(heartbeat, secrets);
    expect(found.map((f) => f.secret)).toEqual(['etcd client key', 'etcd client key']);
    // The raw bytes hold it with its newlines escaped: found by its lines.
    expect(found.map((f) => f.where)).toContain('history (raw bytes)');

    const memo = historyWith({
      workflowPropertiesModifiedEventAttributes: {
        upsertedMemo: { fields: { note: payload(`key line ${pem.split('\n')[2]}`) } },
      },
    });
    expect((await secretsInHistory(memo, secrets)).map((f) => f.where)).toContain(
      'history.events[1].workflowPropertiesModifiedEventAttributes.upsertedMemo.fields.note (payload)',
    );
  });

  it('finds a secret in a failure message (a plain string field)', async () => {
    const history = historyWith({
      workflowExecutionFailedEventAttributes: { failure: { message: `denied for ${secrets['s3 secret key']}` } },
    });
    expect((await secretsInHistory(history, secrets))[0]).toEqual({
      secret: 's3 secret key',
      where: 'history.events[1].workflowExecutionFailedEventAttributes.failure.message',
    });
  });

  it('decodes payloads through the codecs: an encoded secret is found with the codec, not in the raw bytes', async () => {
    const xor: PayloadCodec = {
      encode: (ps) => Promise.resolve(ps.map((p) => ({ ...p, data: p.data!.map((b) => b ^ 0x5a) }))),
      decode: (ps) => Promise.resolve(ps.map((p) => ({ ...p, data: p.data!.map((b) => b ^ 0x5a) }))),
    };
    const [encoded] = await xor.encode([payload({ password: secrets['s3 secret key'] })]);
    const history = historyWith({ activityTaskCompletedEventAttributes: { result: { payloads: [encoded!] } } });
    expect(await secretsInHistory(history, secrets)).toEqual([]);
    expect(await secretsInHistory(history, secrets, [xor])).toEqual([
      {
        secret: 's3 secret key',
        where: 'history.events[1].activityTaskCompletedEventAttributes.result.payloads[0] (payload)',
      },
    ]);
  });

  it('finds nothing in a clean history', async () => {
    const history = historyWith({
      activityTaskCompletedEventAttributes: { result: { payloads: [payload({ backup: 'nightly-20260101000000' })] } },
    });
    expect(await secretsInHistory(history, secrets)).toEqual([]);
  });
});

describe('secret scan of objects and text', () => {
  it('finds a secret in a Pod spec env value and in a log line, by path or name', async () => {
    const pod = {
      spec: { containers: [{ env: [{ name: 'AWS_SECRET_ACCESS_KEY', value: secrets['s3 secret key'] }] }] },
    };
    expect(await secretsInObjects('pods', [pod], secrets)).toEqual([
      { secret: 's3 secret key', where: 'pods[0].spec.containers[0].env[0].value' },
    ]);
    expect(secretsInText('worker.log', `{"msg":"x","key":${JSON.stringify(pem)}}`, secrets)).toEqual([
      { secret: 'etcd client key', where: 'worker.log' },
    ]);
    expect(secretsInText('worker.log', 'nothing here', secrets)).toEqual([]);
  });
});
