import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createResourceBackupActivities,
  type ArchiveHeartbeat,
  type ArchiveRequest,
} from '../../activities/resource-backup/index.js';
import { partCrc32 } from '../../activities/storage/store-checksum.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { kindPrefix, resourcesArchiveKey, type ResourceBackupRef } from '../../core/layout.js';
import { STORE_CHECKSUM_ALGORITHM, type ResourceArchiveFacts } from '../../core/manifest.js';
import { backupName } from '../../core/naming.js';
import { METADATA_VERSION_PATH, parseItemPath } from '../../core/velero/archive-paths.js';
import { TarReader } from '../../core/velero/tar.js';
import { isolatedConfig, s3ClientFor, testDeps, uniqueName, type S3ServerInfo } from '../helpers/stack.js';

// The archive activity's reattach path (activities/resource-backup/index.ts), made deterministic: an attempt whose
// heartbeat details carry no upload id (its predecessor was killed before a heartbeat reached the server) finds the open
// uploads of its archive key, reattaches to the newest, aborts the older ones, and sends every part again. Here the
// predecessors' uploads are made by hand, the newest holding stale parts, and the activity runs once in a mock activity
// context (no Temporal server) against the real S3 servers and the real kube-apiserver.
const admin = new KubeConfig();
admin.loadFromFile(inject('kubeconfig'));
const core = admin.makeApiClient(CoreV1Api);

/** Two distinct Initiated times: servers report them to the second, and openUploadsOf orders by them. */
const INITIATED_RESOLUTION_MS = 1100;

async function openUploads(s3: S3Client, bucket: string, key: string) {
  const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  return (listed.Uploads ?? []).map((u) => ({ key: u.Key!, uploadId: u.UploadId!, initiated: u.Initiated! }));
}

async function uploadIsGone(s3: S3Client, bucket: string, key: string, uploadId: string): Promise<boolean> {
  try {
    await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    return false;
  } catch (err) {
    return (
      (err as Error).name === 'NoSuchUpload' ||
      (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
    );
  }
}

describe('the resource archive reattaches to the newest open upload of its key', () => {
  const namespace = uniqueName('reattach');
  const configMaps = ['alpha', 'beta'];
  let config: LifeboatConfig;
  let buckets: Record<string, string>;

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    for (const name of configMaps) {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { key: name } } });
    }
    const isolated = await isolatedConfig();
    buckets = isolated.buckets;
    const result = validateConfig({
      apiVersion: isolated.config.apiVersion,
      kind: isolated.config.kind,
      storageLocations: isolated.config.storageLocations,
      clusters: [{ name: 'local', api: { kubeconfig: inject('resourceReaderKubeconfig') } }],
      resourceBackups: inject('s3Servers').map((server) => ({
        name: `reattach-${server.name}`,
        cluster: 'local',
        location: server.name,
        includedNamespaces: [namespace],
        includedResources: ['configmaps'],
      })),
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it.each(inject('s3Servers').map((s) => [s.name, s] as const))('%s', async (_name, server: S3ServerInfo) => {
    const policy = `reattach-${server.name}`;
    const startedAt = '2026-05-06T07:08:09.000Z';
    const ref: ResourceBackupRef = {
      prefix: 'it',
      kind: 'resources',
      cluster: 'local',
      backup: backupName(policy, new Date(startedAt)),
    };
    const key = resourcesArchiveKey(ref, false);
    const bucket = buckets[server.name]!;
    const s3 = s3ClientFor(server);
    try {
      // Two attempts that died before their heartbeats got through, as the engine opens uploads (with CRC32).
      const create = async () =>
        (
          await s3.send(
            new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: STORE_CHECKSUM_ALGORITHM }),
          )
        ).UploadId!;
      const older = await create();
      await new Promise((r) => setTimeout(r, INITIATED_RESOLUTION_MS));
      const newer = await create();
      // The newer one got as far as two parts: both stale, and neither may end up in the archive.
      for (const partNumber of [1, 2]) {
        const body = Buffer.from(`stale part ${partNumber} of a killed attempt`);
        await s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: newer,
            PartNumber: partNumber,
            Body: body,
            ChecksumCRC32: partCrc32(body).header,
          }),
        );
      }
      const before = await openUploads(s3, bucket, key);
      expect(before.map((u) => u.uploadId).sort()).toEqual([older, newer].sort());
      const initiated = new Map(before.map((u) => [u.uploadId, u.initiated.getTime()]));
      expect(initiated.get(older)!, 'the server orders the uploads by their Initiated time').toBeLessThan(
        initiated.get(newer)!,
      );

      const deps = {
        ...testDeps(config),
        // A mock activity belongs to no workflow: there is nobody to signal counters to.
        temporalClient: () => {
          throw new Error('no workflow in this test');
        },
      };
      const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 60_000 });
      const heartbeats: ArchiveHeartbeat[] = [];
      env.on('heartbeat', (details: ArchiveHeartbeat) => heartbeats.push(structuredClone(details)));
      const activities = createResourceBackupActivities(deps);
      const facts = await env.run<[ArchiveRequest], ResourceArchiveFacts, typeof activities.archiveResources>(
        (req) => activities.archiveResources(req),
        { cluster: 'local', policy, backup: ref.backup, startedAt },
      );

      // It reattached: the first heartbeat, the one a successor would read, names the newer upload.
      expect(heartbeats[0]?.uploadId).toBe(newer);
      expect(await uploadIsGone(s3, bucket, key, older), 'the older upload is aborted').toBe(true);
      expect(await openUploads(s3, bucket, kindPrefix('it', 'resources', 'local'))).toEqual([]);

      // Exactly one complete archive, beside the resource list and the results.
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: kindPrefix('it', 'resources', 'local') }),
      );
      const keys = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => k.includes(`/${ref.backup}/`));
      expect(keys.sort()).toEqual([key, facts.resourceList, facts.results].sort());

      // Intact: the bytes the activity measured, only the parts it sent (the store's composite checksum), and a
      // gzipped tar of Velero's format holding the namespace's ConfigMaps.
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
      expect(head.ChecksumCRC32).toBe(facts.storeChecksum);
      const body = Buffer.from(
        await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray(),
      );
      expect(body.length).toBe(facts.stored.bytes);
      expect(createHash('sha256').update(body).digest('hex')).toBe(facts.stored.sha256);
      const reader = new TarReader();
      const entries = reader.push(gunzipSync(body));
      reader.end();
      expect(entries[0]?.name).toBe(METADATA_VERSION_PATH);
      const items = entries.flatMap((e) => {
        const item = parseItemPath(e.name);
        return item && item.versionDir === undefined
          ? [
              {
                ...item,
                object: JSON.parse(Buffer.from(e.content).toString('utf8')) as { data?: Record<string, string> },
              },
            ]
          : [];
      });
      for (const name of configMaps) {
        expect(items.find((i) => i.namespace === namespace && i.name === name)).toMatchObject({
          groupResource: 'configmaps',
          object: { data: { key: name } },
        });
      }
      expect(items.every((i) => i.groupResource === 'configmaps' && i.namespace === namespace)).toBe(true);
      expect(facts.counts.items).toBe(items.length);
    } finally {
      s3.destroy();
    }
  });
});
