import { GetObjectCommand, HeadObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { heartbeat, log } from '@temporalio/activity';
import type { ClusterConfig, PreflightMode, StorageLocation } from '../core/config/schema.js';
import { FailureTypes } from '../core/failure-types.js';
import { etcdMemberLayout, memberCount, type EtcdMemberLayout } from '../core/etcd-members.js';
import { controlPlaneReplicas } from '../core/kube-metadata.js';
import { BackupKinds, encodingOfKey, type Compression } from '../core/layout.js';
import { chooseBackup } from '../core/restore-plan.js';
import { listBackups, readManifest, type CatalogEntry } from './storage/catalog.js';
import { clusterEtcd, findLocation } from './config-lookup.js';
import { clusterContext, type ClusterContext } from './context.js';
import type { ActivityDeps } from './deps.js';
import { refuseWhileAcmRestoreRuns, refuseWhileResourceRestoreRuns } from './restore-exclusion.js';
import { probeMembers } from './etcd/members.js';
import { readEtcdStatefulSet, resolveEtcd } from './etcd/target.js';
import { nonRetryable } from './failures.js';
import { readConfigured, type Kube } from './kube/client.js';
import { withS3 } from './storage/s3.js';
import { clusterScheduleIds, existingSchedules } from './schedules.js';
import { measure, SnapshotIntegrityError, verifyEtcdSnapshot } from './etcd/snapshot-stream.js';
import type { EtcdRestoreRequest } from '../core/etcd-restore-request.js';

type Secrets = Pick<ActivityDeps, 'readSecretEnv'>;

/** The object a restore reads, and what it must find there. No secret: location by name, checks by hash. */
export interface RestoreSource {
  location: string;
  key: string;
  /** The backup's name, or the key of a snapshot Lifeboat did not make. */
  backup: string;
  /** A snapshot without a manifest: only etcd's trailing hash vouches for it. */
  foreign: boolean;
  bytes: number;
  compression: Compression;
  encrypted: boolean;
  storedSha256?: string;
  snapshotSha256?: string;
  /** The composite CRC32 the store verified when the backup was uploaded (manifests since it was recorded). */
  storeChecksum?: string;
  /** The snapshot's revision, from the manifest; unknown for a foreign snapshot until etcdutl reads it. */
  revision?: string;
}

export interface RestoreInspection {
  source: RestoreSource;
  layout: EtcdMemberLayout;
  apiserver?: { namespace: string; name: string; replicas: number };
  /** Schedule ids of the cluster's backup policies that exist in Temporal. */
  schedules: string[];
  /** The highest revision a live member reports, when any answers: the revision bump must clear it. */
  liveRevision?: string;
  settings: {
    requireApproval: boolean;
    approvalTimeout: string;
    bumpRevision: boolean;
    verify: PreflightMode;
  };
}

/** How preflight found the object intact. */
export type SourceVerification =
  { verifiedBy: 'store-checksum'; checksum: string } | { verifiedBy: 'download'; bytes: number; sha256: string };

/** Every location a policy of this cluster writes to; backups of removed policies are still found there. */
function backupLocations(deps: Pick<ActivityDeps, 'config'>, cluster: string): StorageLocation[] {
  const names = new Set(deps.config.etcdBackups.filter((p) => p.cluster === cluster).map((p) => p.location));
  return [...names].map((name) => findLocation(deps, name));
}

async function manifestSource(
  secrets: Secrets,
  locations: StorageLocation[],
  cluster: string,
  wanted: string,
): Promise<RestoreSource> {
  if (locations.length === 0) {
    throw nonRetryable(
      FailureTypes.BackupNotFound,
      `cluster ${cluster} has no etcd backup policy, so Lifeboat knows no location to find its backups in; use --from s3://bucket/key for a snapshot stored elsewhere.`,
    );
  }
  const found: (CatalogEntry & { location: StorageLocation })[] = [];
  for (const location of locations) {
    const entries = await withS3(secrets, location, (s3) => listBackups(s3, location, BackupKinds.etcd, { cluster }));
    found.push(...entries.map((e) => ({ ...e, location })));
  }
  const choice = chooseBackup(
    found.map((e) => ({ backup: e.backup, time: e.time, complete: e.manifestKey !== undefined })),
    wanted,
  );
  if (!choice.ok) throw nonRetryable(FailureTypes.BackupNotFound, `cluster ${cluster}: ${choice.error}`);
  const entry = found.find((e) => e.backup === choice.backup && e.manifestKey)!;
  const manifest = await withS3(secrets, entry.location, (s3) =>
    readManifest(s3, entry.location, entry.manifestKey!, BackupKinds.etcd),
  );
  return {
    location: entry.location.name,
    key: manifest.object.key,
    backup: manifest.backup,
    foreign: false,
    bytes: manifest.object.bytes,
    compression: manifest.object.compression,
    encrypted: manifest.object.encryption !== null,
    storedSha256: manifest.object.sha256,
    snapshotSha256: manifest.snapshot.sha256,
    ...(manifest.object.storeChecksum ? { storeChecksum: manifest.object.storeChecksum.value } : {}),
    revision: manifest.etcd.revision,
  };
}

async function foreignSource(secrets: Secrets, location: StorageLocation, key: string): Promise<RestoreSource> {
  return withS3(secrets, location, async (s3) => {
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: key }));
      return {
        location: location.name,
        key,
        backup: key,
        foreign: true,
        bytes: head.ContentLength ?? 0,
        ...encodingOfKey(key),
      };
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === 'NotFound' || err.$metadata.httpStatusCode === 404)) {
        throw nonRetryable(
          FailureTypes.BackupNotFound,
          `there is no object s3://${location.bucket}/${key} in storage location "${location.name}"; check the key (lifeboat backups list shows Lifeboat's own).`,
        );
      }
      throw err;
    }
  });
}

async function controlPlane(kube: Kube, cluster: ClusterConfig): Promise<RestoreInspection['apiserver']> {
  const ref = cluster.controlPlane?.deployment;
  if (!ref) return undefined;
  const deployment = await readConfigured(
    () => kube.apps.readNamespacedDeployment(ref),
    `Deployment ${ref.namespace}/${ref.name} does not exist; fix clusters[${cluster.name}].controlPlane.deployment.`,
  );
  // Paused by an earlier restore: the count it remembered is the one to come back to.
  return { namespace: ref.namespace, name: ref.name, replicas: controlPlaneReplicas(deployment) };
}

async function liveRevision(target: ClusterContext): Promise<string | undefined> {
  try {
    const { reachable } = await probeMembers(await resolveEtcd(target));
    const revisions = reachable.map((m) => BigInt(m.revision));
    return revisions.length > 0 ? revisions.reduce((a, b) => (a > b ? a : b)).toString() : undefined;
  } catch {
    return undefined; // etcd is down: that is often why we restore
  }
}

/** The object's composite CRC32 as the store reports it, or undefined when it reports none (or cannot say). */
async function storeChecksumOf(s3: S3Client, location: StorageLocation, source: RestoreSource) {
  try {
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: location.bucket, Key: source.key, ChecksumMode: 'ENABLED' }),
    );
    return head.ContentLength === source.bytes ? head.ChecksumCRC32 : undefined;
  } catch {
    return undefined; // the full read that follows reports what is wrong
  }
}

/** Reads the whole object, checking it as it streams by. */
async function readAndCheck(
  s3: S3Client,
  location: StorageLocation,
  source: RestoreSource,
): Promise<{ bytes: number; sha256: string }> {
  const response = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: source.key }));
  let read = 0;
  let lastBeat = 0;
  const counted = async function* () {
    for await (const chunk of response.Body as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (Date.now() - lastBeat > 1000) {
        heartbeat({ read, of: source.bytes });
        lastBeat = Date.now();
      }
      yield chunk;
    }
  };
  let stats = { bytes: 0, sha256: '' };
  const plainForeign = source.foreign && source.compression === 'none' && !source.encrypted;
  // etcd's trailing hash check measures the whole stream too: one sha256 pass either way.
  const stream = plainForeign
    ? verifyEtcdSnapshot(counted(), (s) => (stats = s))
    : measure(counted(), (s) => (stats = s));
  try {
    for await (const chunk of stream) void chunk;
  } catch (err) {
    if (err instanceof SnapshotIntegrityError) {
      throw nonRetryable(
        FailureTypes.ChecksumMismatch,
        `${source.key} is not an intact etcd snapshot: ${err.message}. Nothing was changed.`,
      );
    }
    throw err;
  }
  if (source.storedSha256 && stats.sha256 !== source.storedSha256) {
    throw nonRetryable(
      FailureTypes.ChecksumMismatch,
      `${source.key} does not match its manifest: sha256 ${stats.sha256} (${stats.bytes} bytes), the manifest says ${source.storedSha256} (${source.bytes} bytes). The backup is damaged; restore another one. Nothing was changed.`,
    );
  }
  return stats;
}

export function createRestoreInspectActivities(deps: ActivityDeps) {
  return {
    /** planning: the backup to restore, the members to restore it into, what to pause. Changes nothing. */
    async inspectRestore(request: EtcdRestoreRequest): Promise<RestoreInspection> {
      const target = clusterContext(deps, request.cluster);
      const { cluster } = target;
      const etcd = clusterEtcd(cluster);
      await refuseWhileResourceRestoreRuns(deps, cluster.name);
      await refuseWhileAcmRestoreRuns(deps, cluster.name, 'restore etcd');
      if (!etcd.statefulSet) {
        throw nonRetryable(
          FailureTypes.InvalidConfig,
          `cluster ${cluster.name} has fixed etcd endpoints; Lifeboat restores StatefulSet-hosted etcd only (set clusters[${cluster.name}].etcd.statefulSet), or restore by hand with etcdutl (README).`,
        );
      }
      const source = request.from
        ? await foreignSource(deps, findLocation(deps, request.from.location), request.from.key)
        : await manifestSource(deps, backupLocations(deps, cluster.name), cluster.name, request.backup);
      if (source.encrypted && !cluster.restore.decryptionSecret) {
        throw nonRetryable(
          FailureTypes.InvalidConfig,
          `${source.backup} is encrypted (age): create a Secret with the age identity in namespace ${etcd.statefulSet.namespace} and set clusters[${cluster.name}].restore.decryptionSecret.`,
        );
      }
      const kube = await target.kube();
      const sts = await readEtcdStatefulSet(kube, cluster);
      const layout = etcdMemberLayout(sts, memberCount(sts));
      if (!layout.ok) throw nonRetryable(FailureTypes.InvalidConfig, layout.error);
      const live = await liveRevision(target);
      const apiserver = await controlPlane(kube, cluster);
      return {
        source,
        layout: layout.layout,
        ...(apiserver ? { apiserver } : {}),
        schedules: await existingSchedules(deps.temporalClient(), clusterScheduleIds(deps.config, cluster.name)),
        ...(live ? { liveRevision: live } : {}),
        settings: {
          requireApproval: cluster.restore.requireApproval,
          approvalTimeout: cluster.restore.approvalTimeout,
          bumpRevision: cluster.restore.bumpRevision,
          verify: cluster.restore.verify,
        },
      };
    },

    /**
     * Preflight: makes sure the object is intact before anything is touched. With `store-checksum`, the store's own
     * account is enough when it matches the manifest: the composite CRC32 it verified part by part as the backup
     * arrived. Otherwise (or with `download`, or when it does not match) reads the whole object and checks it against
     * the manifest's sha256 (or, for a plain foreign snapshot, etcd's own trailing hash). A mismatch is final.
     */
    async verifyRestoreSource(source: RestoreSource, mode: PreflightMode = 'download'): Promise<SourceVerification> {
      const location = findLocation(deps, source.location);
      return withS3(deps, location, async (s3): Promise<SourceVerification> => {
        if (mode === 'store-checksum' && source.storeChecksum) {
          const stored = await storeChecksumOf(s3, location, source);
          if (stored === source.storeChecksum) return { verifiedBy: 'store-checksum', checksum: stored };
          log.warn("the store's checksum does not match the manifest's; reading the whole object", {
            key: source.key,
            store: stored ?? '(none)',
            manifest: source.storeChecksum,
          });
        }
        return { verifiedBy: 'download', ...(await readAndCheck(s3, location, source)) };
      });
    },
  };
}
