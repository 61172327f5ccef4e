import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ensureBucket, s3Client } from '../../devstack/s3-bucket.js';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { validateConfig } from '../../core/config/parse.js';
import type { ActivityDeps } from '../../activities/index.js';
import { kubeFor } from '../../activities/kube/client.js';
import { clusterApiFor } from '../../activities/kube/cluster-api.js';
import { createLifeboatWorker } from '../../worker/create-worker.js';
import { FILE_NAMESPACE, fileNamespace } from './temporal-namespace.js';

export interface S3ServerInfo {
  name: 'versitygw' | 'minio';
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Environment variable names the test config references; their values exist only in the test's secret map. */
export const secretEnvNames = (server: string) => ({
  accessKeyIdEnv: `TEST_${server.toUpperCase()}_ACCESS_KEY_ID`,
  secretAccessKeyEnv: `TEST_${server.toUpperCase()}_SECRET_ACCESS_KEY`,
});

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** The dev stack's S3 helpers, pointed at a test server. */
export const s3ClientFor = (server: S3ServerInfo): S3Client => s3Client(server);
export const createBucket = (server: S3ServerInfo, bucket: string): Promise<void> => ensureBucket(server, bucket);

/** Every key and every open multipart upload in a bucket. */
export async function bucketState(server: S3ServerInfo, bucket: string) {
  const s3 = s3ClientFor(server);
  try {
    const objects = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return { keys: (objects.Contents ?? []).map((o) => o.Key!).sort(), uploads: uploads.Uploads ?? [] };
  } finally {
    s3.destroy();
  }
}

/** A config with one storage location per S3 server (each with its own new bucket) and the test etcd cluster. */
export async function isolatedConfig(): Promise<{ config: LifeboatConfig; buckets: Record<string, string> }> {
  const buckets: Record<string, string> = {};
  for (const server of inject('s3Servers')) {
    buckets[server.name] = uniqueName(`t-${server.name}`);
    await createBucket(server, buckets[server.name]!);
  }
  const result = validateConfig({
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'LifeboatConfig',
    storageLocations: inject('s3Servers').map((server) => ({
      name: server.name,
      endpoint: server.endpoint,
      bucket: buckets[server.name],
      prefix: 'it',
      credentials: secretEnvNames(server.name),
    })),
    clusters: [{ name: 'local', etcd: { endpoints: inject('etcdEndpoints') } }],
  });
  if (!result.ok) throw new Error(`test config invalid: ${JSON.stringify(result.issues)}`);
  return { config: result.config, buckets };
}

/** The secrets the worker may read, keyed by env var name; nothing else in the process environment. */
export function testSecrets(): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const server of inject('s3Servers')) {
    const names = secretEnvNames(server.name);
    secrets.set(names.accessKeyIdEnv, server.accessKeyId);
    secrets.set(names.secretAccessKeyEnv, server.secretAccessKey);
  }
  return secrets;
}

/**
 * Activity dependencies for tests: secrets from a map (not the environment), real Kubernetes access, and Temporal in
 * this file's own namespace (test/helpers/temporal-namespace.ts; a worker started by startTestWorker has awaited it).
 */
export function testDeps(config: LifeboatConfig, secrets: Map<string, string> = testSecrets()): ActivityDeps {
  let client: Client | undefined;
  const temporalClient = () =>
    (client ??= new Client({
      connection: Connection.lazy({ address: inject('temporalAddress') }),
      namespace: FILE_NAMESPACE,
    }));
  return { config, readSecretEnv: (name) => secrets.get(name), kubeFor, clusterApiFor, temporalClient };
}

export interface TestWorker {
  worker: Worker;
  client: Client;
  taskQueue: string;
  close(): Promise<void>;
}

/** A real worker on its own task queue in this file's own namespace, so test files never see each other's work. */
export async function startTestWorker(config: LifeboatConfig, secrets = testSecrets()): Promise<TestWorker> {
  const address = inject('temporalAddress');
  const namespace = await fileNamespace();
  const taskQueue = uniqueName('test');
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createLifeboatWorker({
    connection: nativeConnection,
    namespace,
    taskQueue,
    deps: testDeps(config, secrets),
    shutdownGraceTime: '1s',
    workflowBundlePath: inject('workflowBundlePath'),
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  return {
    worker,
    client,
    taskQueue,
    async close() {
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** The test S3 servers' secret keys, labelled for the leak checks of test/helpers/secrets.ts. */
export function s3SecretKeys(): Record<string, string> {
  return Object.fromEntries(inject('s3Servers').map((s) => [`S3 secret key (${s.name})`, s.secretAccessKey]));
}
