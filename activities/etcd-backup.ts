import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { activityInfo, cancellationSignal, heartbeat, log } from '@temporalio/activity';
import type { ApplicationFailure } from '@temporalio/common';
import {
  BackupKinds,
  kubermaticSnapshotKey,
  manifestKey,
  snapshotKey,
  type Compression,
  type EtcdBackupRef,
} from '../core/layout.js';
import { serializeManifest, type EtcdBackupManifest } from '../core/manifest.js';
import type { StorageLocation } from '../core/config/schema.js';
import { FailureTypes, TransientFailureTypes } from '../core/failure-types.js';
import { clusterEtcd, findLocation } from './config-lookup.js';
import { backupContext, type BackupContext } from './context.js';
import { runSnapshotJob, type JobSnapshot } from './etcd/snapshot-job.js';
import { adoptForeignSnapshot, candidateKeys, ForeignSnapshotInvalid, type Adopted } from './etcd/foreign-snapshot.js';
import { nonRetryable, transient } from './failures.js';
import { resolveEtcd, type EtcdConnection } from './etcd/target.js';
import type { ActivityDeps } from './deps.js';
import { etcdClient, probeMembers, type EtcdMemberStatus, type MemberProbe } from './etcd/members.js';
import { uploadStream } from './storage/multipart-upload.js';
import { compress, encrypt, PART_CONCURRENCY, PART_SIZE } from './storage/pipeline.js';
import { classifyS3Error, s3ClientFor, withS3 } from './storage/s3.js';
import { measure, SnapshotIntegrityError, verifyEtcdSnapshot, type StreamStats } from './etcd/snapshot-stream.js';

export interface SnapshotRequest {
  cluster: string;
  policy: string;
  backup: string;
}

export interface SnapshotResult {
  location: string;
  key: string;
  compression: Compression;
  /** age recipients the object is encrypted to; empty when stored in the clear. */
  recipients: string[];
  stored: StreamStats;
  snapshot: StreamStats;
  member: { name: string; endpoint: string; version: string; revision: string; dbSizeBytes: number };
  resumedUpload: boolean;
  /** The composite CRC32 the store verified on upload; absent when a custom store container uploaded it. */
  storeChecksum?: string;
}

/** What an attempt leaves behind for the next one (heartbeat details pass through the payload codec, no secrets). */
export interface SnapshotHeartbeat {
  uploadId?: string;
  /** The member being streamed now, and those that failed this backup before. */
  member?: string;
  failedMembers: string[];
  bytes: number;
}

/** An error from the etcd side of the pipeline: another member may do better. Anything else is storage's. */
export class EtcdStreamError extends Error {
  override name = 'EtcdStreamError';
}

/** Heartbeats also flow while a part is slow to upload, so a short heartbeat timeout still detects a dead worker fast. */
const HEARTBEAT_EVERY_MS = 5_000;

/** Followers first (spare the leader), most recent revision first; members that failed this backup before go last. */
export function orderMembers(members: EtcdMemberStatus[], failed: string[]): EtcdMemberStatus[] {
  return [...members].sort(
    (a, b) =>
      Number(failed.includes(a.endpoint)) - Number(failed.includes(b.endpoint)) ||
      Number(a.isLeader) - Number(b.isLeader) ||
      Number(BigInt(b.revision) - BigInt(a.revision)),
  );
}

async function* snapshotChunks(
  endpoint: string,
  tls: EtcdConnection['tls'],
  onRevision: (revision: string) => void,
): AsyncGenerator<Buffer> {
  const client = etcdClient([endpoint], tls);
  try {
    yield* rawChunks(client, onRevision);
  } catch (err) {
    throw err instanceof EtcdStreamError
      ? err
      : new EtcdStreamError(`snapshot stream from ${endpoint} failed: ${(err as Error).message}`);
  } finally {
    client.close();
  }
}

async function* rawChunks(
  client: ReturnType<typeof etcdClient>,
  onRevision: (revision: string) => void,
): AsyncGenerator<Buffer> {
  const stream = await client.maintenance.snapshot();
  let first = true;
  // The etcd3 type omits it, but the underlying gRPC stream is a Node Readable and thus async-iterable.
  for await (const message of stream as unknown as AsyncIterable<{ blob: Buffer; header?: { revision: string } }>) {
    if (first && message.header) onRevision(message.header.revision);
    first = false;
    if (message.blob.length > 0) yield message.blob;
  }
}

/** Marks integrity failures of the snapshot as etcd-side too: a different member may send a sound one. */
async function* tagEtcdErrors(source: AsyncIterable<Buffer>, endpoint: string): AsyncGenerator<Buffer> {
  try {
    yield* source;
  } catch (err) {
    if (err instanceof SnapshotIntegrityError) throw new EtcdStreamError(`snapshot from ${endpoint}: ${err.message}`);
    throw err;
  }
}

function noMemberAnswered(cluster: string, probe: MemberProbe): ApplicationFailure {
  const tried = probe.unreachable.map((u) => `${u.endpoint} (${u.error})`).join('; ');
  return transient(TransientFailureTypes.EtcdUnavailable, `No etcd member of ${cluster} answered: ${tried}`);
}

function describeSnapshot(
  location: StorageLocation,
  key: string,
  compression: Compression,
  recipients: string[],
  streams: { stored: StreamStats; snapshot: StreamStats; storeChecksum?: string },
  member: SnapshotResult['member'],
  resumedUpload: boolean,
): SnapshotResult {
  const { name, endpoint, version, revision, dbSizeBytes } = member;
  return {
    location: location.name,
    key,
    compression,
    recipients,
    stored: streams.stored,
    snapshot: streams.snapshot,
    member: { name, endpoint, version, revision, dbSizeBytes },
    resumedUpload,
    ...(streams.storeChecksum ? { storeChecksum: streams.storeChecksum } : {}),
  };
}

export function createEtcdBackupActivities(deps: ActivityDeps) {
  async function streamFromMember(
    member: EtcdMemberStatus,
    s3: S3Client,
    bucket: string,
    key: string,
    compression: Compression,
    recipients: string[],
    tls: EtcdConnection['tls'],
    state: SnapshotHeartbeat,
  ) {
    let snapshot: StreamStats | undefined;
    let stored: StreamStats | undefined;
    let revision = member.revision;
    const plain = tagEtcdErrors(
      verifyEtcdSnapshot(
        snapshotChunks(member.endpoint, tls, (r) => (revision = r)),
        (s) => (snapshot = s),
      ),
      member.endpoint,
    );
    state.member = member.endpoint;
    // Heartbeats after the first are throttled, so the first one must already carry the upload id: a worker that
    // dies later then leaves its successor an upload to reattach to, never an abandoned one.
    let ticker: NodeJS.Timeout | undefined;
    // Stored in the clear, the stored object is the snapshot: one hash serves both (hashing dominates the CPU here).
    const transformed = compression !== 'none' || recipients.length > 0;
    const out = transformed ? measure(encrypt(compress(plain, compression), recipients), (s) => (stored = s)) : plain;
    const upload = await uploadStream(out, {
      s3,
      bucket,
      key,
      partSize: PART_SIZE,
      concurrency: PART_CONCURRENCY,
      ...(state.uploadId ? { resumeUploadId: state.uploadId } : {}),
      signal: cancellationSignal(),
      onProgress: (p) => {
        state.uploadId = p.uploadId;
        state.bytes = p.bytes;
        heartbeat(state);
        ticker ??= setInterval(() => heartbeat(state), HEARTBEAT_EVERY_MS);
      },
    }).finally(() => clearInterval(ticker));
    return {
      snapshot: snapshot!,
      stored: transformed ? stored! : snapshot!,
      storeChecksum: upload.storeChecksum,
      revision,
      resumed: upload.resumed,
    };
  }

  /**
   * A custom store container printed no report line (Kubermatic's never do): find the object it stored, verify it and
   * move it to the layout key. Fails non-retryably when there is none, or when it is not a sound snapshot.
   */
  async function adoptJobSnapshot(
    ref: EtcdBackupRef,
    location: StorageLocation,
    namespace: string,
    job: JobSnapshot,
  ): Promise<Adopted> {
    const foreignKey = kubermaticSnapshotKey(ref.cluster, ref.backup);
    // Heartbeats while the object is read back: a large snapshot takes longer than the heartbeat timeout.
    const state = { job: job.job, verifying: foreignKey, failedMembers: [] as string[], bytes: 0 };
    const s3 = s3ClientFor(deps, location);
    const request = {
      s3,
      bucket: location.bucket,
      foreignKey,
      layoutKey: (compression: 'none' | 'gzip') => snapshotKey(ref, compression, false),
      signal: cancellationSignal(),
      onProgress: (bytes: number) => (state.bytes = bytes),
    };
    heartbeat(state);
    const ticker = setInterval(() => heartbeat(state), HEARTBEAT_EVERY_MS);
    try {
      const adopted = await adoptForeignSnapshot(request);
      if (adopted) {
        if (adopted.movedFrom)
          log.info("moved the store container's object to the layout key", {
            from: adopted.movedFrom,
            to: adopted.key,
          });
        return adopted;
      }
      const [foreign, ...layout] = candidateKeys(request);
      throw nonRetryable(
        FailureTypes.SnapshotJobFailed,
        `snapshot Job ${namespace}/${job.job} completed, but its custom store container printed no Lifeboat report ` +
          `line and stored nothing where Lifeboat looks in bucket "${location.bucket}" (location "${location.name}"): ` +
          `not at ${foreign} ($CLUSTER-$BACKUP_TO_CREATE, where Kubermatic's store containers upload), nor at ` +
          `${layout.join(' or ')} ($LIFEBOAT_OBJECT_KEY). Last log lines of ${job.store.pod}/store:\n` +
          (job.store.lastLines || '(no output)'),
      );
    } catch (err) {
      if (err instanceof ForeignSnapshotInvalid) {
        throw nonRetryable(
          FailureTypes.ChecksumMismatch,
          `${err.message}. The custom store container of snapshot Job ${namespace}/${job.job} stored it; it is left ` +
            `in bucket "${location.bucket}" for inspection (delete it when done). Last log lines of ` +
            `${job.store.pod}/store:\n${job.store.lastLines || '(no output)'}`,
        );
      }
      return classifyS3Error(location, err);
    } finally {
      clearInterval(ticker);
      s3.destroy();
    }
  }

  /** Job mode: the Job next to etcd takes and stores the snapshot; the worker only creates and follows it. */
  async function snapshotWithJob(
    req: SnapshotRequest,
    { cluster, policy, location, kube }: BackupContext,
    ref: EtcdBackupRef,
    key: string,
    recipients: string[],
    connection: EtcdConnection,
  ): Promise<SnapshotResult> {
    const etcd = clusterEtcd(cluster);
    const sts = etcd.statefulSet!;
    // etcdctl snapshot save takes exactly one endpoint: a healthy member, sparing the leader, as in direct mode.
    const probe = await probeMembers(connection);
    const member = orderMembers(probe.reachable, [])[0];
    if (!member) {
      throw noMemberAnswered(req.cluster, probe);
    }
    const result = await runSnapshotJob(await kube(), {
      namespace: sts.namespace,
      cluster: req.cluster,
      policy: req.policy,
      backup: req.backup,
      endpoints: [member.endpoint],
      ...(etcd.tls ? { tlsSecret: etcd.tls.secretRef.name } : {}),
      storage: { endpoint: location.endpoint, bucket: location.bucket, region: location.region, objectKey: key },
      compression: policy.compression,
      recipients,
      job: policy.job!,
    });
    // etcdutl reports the snapshot's storage version, which a cluster this young may not have written yet (then it
    // says ""): the member's server version, as direct mode records, says the same thing.
    const version = {
      version: result.version || member.version,
      revision: result.revision,
      dbSizeBytes: result.totalSize,
    };
    const from = { ...version, name: `${member.name} (job ${result.job})`, endpoint: member.endpoint };
    if (result.report)
      return describeSnapshot(location, key, policy.compression, recipients, result.report, from, false);
    // Config validation refuses compression and encryption with a custom store container: it stores what it finds.
    const adopted = await adoptJobSnapshot(ref, location, sts.namespace, result);
    return describeSnapshot(location, adopted.key, adopted.compression, [], adopted, from, false);
  }

  return {
    /**
     * Streams a snapshot from a healthy member through optional compression into S3, never touching disk.
     * Idempotent: the key comes from the backup name, and a retry reattaches to the earlier attempt's upload.
     */
    async snapshotToStorage(req: SnapshotRequest): Promise<SnapshotResult> {
      const context = backupContext(deps, req.cluster, req.policy);
      const { policy, location } = context;
      const ref: EtcdBackupRef = {
        prefix: location.prefix,
        kind: BackupKinds.etcd,
        cluster: req.cluster,
        policy: req.policy,
        backup: req.backup,
      };
      const recipients = policy.encryption?.recipients ?? [];
      const key = snapshotKey(ref, policy.compression, recipients.length > 0);
      const previous = activityInfo().heartbeatDetails as SnapshotHeartbeat | undefined;
      const state: SnapshotHeartbeat = {
        uploadId: previous?.uploadId,
        failedMembers: previous?.failedMembers ?? [],
        bytes: 0,
      };

      const connection = await resolveEtcd(context);
      if (policy.mode === 'job') return snapshotWithJob(req, context, ref, key, recipients, connection);
      const probe = await probeMembers(connection);
      if (probe.reachable.length === 0) {
        throw noMemberAnswered(req.cluster, probe);
      }
      const s3 = s3ClientFor(deps, location);
      try {
        let lastError: unknown;
        for (const member of orderMembers(probe.reachable, state.failedMembers)) {
          try {
            const result = await streamFromMember(
              member,
              s3,
              location.bucket,
              key,
              policy.compression,
              recipients,
              connection.tls,
              state,
            );
            const from = { ...member, revision: result.revision };
            return describeSnapshot(location, key, policy.compression, recipients, result, from, result.resumed);
          } catch (err) {
            // Storage errors (and cancellation) end the attempt: no other member can fix them.
            if (!(err instanceof EtcdStreamError) || cancellationSignal().aborted) classifyS3Error(location, err);
            lastError = err;
            state.failedMembers = [...new Set([...state.failedMembers, member.endpoint])];
            heartbeat(state);
            log.warn('snapshot from member failed; trying another', {
              member: member.name,
              error: err.message,
            });
          }
        }
        throw lastError;
      } finally {
        s3.destroy();
      }
    },

    /** Writes the manifest, the commit marker; rewriting it with the same content is harmless. */
    async writeManifest(manifest: EtcdBackupManifest, locationName: string): Promise<string> {
      const location = findLocation(deps, locationName);
      const key = manifestKey({
        prefix: location.prefix,
        kind: BackupKinds.etcd,
        cluster: manifest.cluster,
        policy: manifest.policy,
        backup: manifest.backup,
      });
      await withS3(deps, location, (s3) =>
        s3.send(
          new PutObjectCommand({
            Bucket: location.bucket,
            Key: key,
            Body: serializeManifest(manifest),
            ContentType: 'application/json',
          }),
        ),
      );
      return key;
    },
  };
}
