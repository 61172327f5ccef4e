import { GetObjectCommand, HeadObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { heartbeat, log } from '@temporalio/activity';
import type { ClusterConfig, PreflightMode, StorageLocation } from '../core/config/schema.js';
import { etcdMemberLayout, memberCount, type EtcdMemberLayout } from '../core/etcd-members.js';
import { controlPlaneReplicas } from '../core/kube-metadata.js';
import { BackupKinds, encodingOfKey, type Compression } from '../core/layout.js';
import { chooseBackup } from '../core/restore-plan.js';
import { listBackups, readManifest, type CatalogEntry } from './storage/catalog.js';
import { findCluster, findLocation } from './config-lookup.js';
import type { ActivityDeps } from './deps.js';
import { probeMembers } from './etcd/members.js';
import { readEtcdStatefulSet, resolveEtcd } from './etcd/target.js';
import { nonRetryable } from './failures.js';
import { kubeStatus, type Kube } from './kube/client.js';
import { classifyS3Error, s3ClientFor } from './storage/s3.js';
import { clusterScheduleIds, existingSchedules } from './schedules.js';
import { measure, SnapshotIntegrityError, verifyEtcdSnapshot } from './etcd/snapshot-stream.js';
import type { EtcdRestoreRequest } from '../core/etcd-restore-request.js';

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

async function manifestSource(deps: ActivityDeps, cluster: ClusterConfig, wanted: string): Promise<RestoreSource> {
  // Every location a policy of this cluster writes to; backups of removed policies are still found there.
  const locations = new Map<string, StorageLocation>();
  for (const policy of deps.config.etcdBackups.filter((p) => p.cluster === cluster.name)) {
    locations.set(policy.location, findLocation(deps, policy.location));
  }
  if (locations.size === 0) {
    throw nonRetryable(
      'BackupNotFound',
      `cluster ${cluster.name} has no etcd backup policy, so Lifeboat knows no location to find its backups in; use --from s3://bucket/key for a snapshot stored elsewhere.`,
    );
  }
  const found: (CatalogEntry & { location: StorageLocation })[] = [];
  for (const location of locations.values()) {
    const s3 = s3ClientFor(deps, location);
    try {
      const entries = await listBackups(s3, location, BackupKinds.etcd, { cluster: cluster.name });
      found.push(...entries.map((e) => ({ ...e, location })));
    } catch (err) {
      classifyS3Error(location, err);
    } finally {
      s3.destroy();
    }
  }
  const choice = chooseBackup(
    found.map((e) => ({ backup: e.backup, time: e.time, complete: e.manifestKey !== undefined })),
    wanted,
  );
  if (!choice.ok) throw nonRetryable('BackupNotFound', `cluster ${cluster.name}: ${choice.error}`);
  const entry = found.find((e) => e.backup === choice.backup && e.manifestKey)!;
  const s3 = s3ClientFor(deps, entry.location);
  try {
    const manifest = await readManifest(s3, entry.location, entry.manifestKey!, BackupKinds.etcd);
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
  } finally {
    s3.destroy();
  }
}

async function foreignSource(deps: ActivityDeps, from: { location: string; key: string }): Promise<RestoreSource> {
  const location = findLocation(deps, from.location);
  const s3 = s3ClientFor(deps, location);
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: from.key }));
    return {
      location: location.name,
      key: from.key,
      backup: from.key,
      foreign: true,
      bytes: head.ContentLength ?? 0,
      ...encodingOfKey(from.key),
    };
  } catch (err) {
    if (err instanceof S3ServiceException && (err.name === 'NotFound' || err.$metadata.httpStatusCode === 404)) {
      throw nonRetryable(
        'BackupNotFound',
        `there is no object s3://${location.bucket}/${from.key} in storage location "${location.name}"; check the key (lifeboat backups list shows Lifeboat's own).`,
      );
    }
    classifyS3Error(location, err);
  } finally {
    s3.destroy();
  }
}

async function controlPlane(kube: Kube, cluster: ClusterConfig): Promise<RestoreInspection['apiserver']> {
  const ref = cluster.controlPlane?.deployment;
  if (!ref) return undefined;
  try {
    const deployment = await kube.apps.readNamespacedDeployment(ref);
    // Paused by an earlier restore: the count it remembered is the one to come back to.
    return { namespace: ref.namespace, name: ref.name, replicas: controlPlaneReplicas(deployment) };
  } catch (err) {
    if (kubeStatus(err) === 404) {
      throw nonRetryable(
        'InvalidConfig',
        `Deployment ${ref.namespace}/${ref.name} does not exist; fix clusters[${cluster.name}].controlPlane.deployment.`,
      );
    }
    throw err;
  }
}

async function liveRevision(deps: ActivityDeps, cluster: string): Promise<string | undefined> {
  try {
    const { reachable } = await probeMembers(await resolveEtcd(deps, cluster));
    const revisions = reachable.map((m) => BigInt(m.revision));
    return revisions.length > 0 ? revisions.reduce((a, b) => (a > b ? a : b)).toString() : undefined;
  } catch {
    return undefined; // etcd is down: that is often why we restore
  }
}

export function createRestoreInspectActivities(deps: ActivityDeps) {
  /** The object's composite CRC32 as the store reports it, or undefined when it reports none (or cannot say). */
  async function storeChecksumOf(source: RestoreSource): Promise<string | undefined> {
    const location = findLocation(deps, source.location);
    const s3 = s3ClientFor(deps, location);
    try {
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: location.bucket, Key: source.key, ChecksumMode: 'ENABLED' }),
      );
      return head.ContentLength === source.bytes ? head.ChecksumCRC32 : undefined;
    } catch {
      return undefined; // the full read that follows reports what is wrong
    } finally {
      s3.destroy();
    }
  }

  /** Reads the whole object, checking it as it streams by. */
  async function readAndCheck(source: RestoreSource): Promise<{ bytes: number; sha256: string }> {
    const location = findLocation(deps, source.location);
    const s3 = s3ClientFor(deps, location);
    try {
      const response = await s3
        .send(new GetObjectCommand({ Bucket: location.bucket, Key: source.key }))
        .catch((err: unknown) => classifyS3Error(location, err));
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
            'ChecksumMismatch',
            `${source.key} is not an intact etcd snapshot: ${err.message}. Nothing was changed.`,
          );
        }
        throw err;
      }
      if (source.storedSha256 && stats.sha256 !== source.storedSha256) {
        throw nonRetryable(
          'ChecksumMismatch',
          `${source.key} does not match its manifest: sha256 ${stats.sha256} (${stats.bytes} bytes), the manifest says ${source.storedSha256} (${source.bytes} bytes). The backup is damaged; restore another one. Nothing was changed.`,
        );
      }
      return stats;
    } finally {
      s3.destroy();
    }
  }

  return {
    /** Step 0: the backup to restore, the members to restore it into, what to pause. Changes nothing. */
    async inspectRestore(request: EtcdRestoreRequest): Promise<RestoreInspection> {
      const cluster = findCluster(deps, request.cluster);
      if (!cluster.etcd.statefulSet) {
        throw nonRetryable(
          'InvalidConfig',
          `cluster ${cluster.name} has fixed etcd endpoints; Lifeboat restores StatefulSet-hosted etcd only (set clusters[${cluster.name}].etcd.statefulSet), or restore by hand with etcdutl (README).`,
        );
      }
      const source = request.from
        ? await foreignSource(deps, request.from)
        : await manifestSource(deps, cluster, request.backup);
      if (source.encrypted && !cluster.restore.decryptionSecret) {
        throw nonRetryable(
          'InvalidConfig',
          `${source.backup} is encrypted (age): create a Secret with the age identity in namespace ${cluster.etcd.statefulSet.namespace} and set clusters[${cluster.name}].restore.decryptionSecret.`,
        );
      }
      const kube = await deps.kubeFor(cluster);
      const sts = await readEtcdStatefulSet(kube, cluster);
      const layout = etcdMemberLayout(sts, memberCount(sts));
      if (!layout.ok) throw nonRetryable('InvalidConfig', layout.error);
      const live = await liveRevision(deps, cluster.name);
      const apiserver = await controlPlane(kube, cluster);
      return {
        source,
        layout: layout.layout,
        ...(apiserver ? { apiserver } : {}),
        schedules: await existingSchedules(deps, clusterScheduleIds(deps, cluster.name)),
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
    async verifyRestoreSource(
      source: RestoreSource,
      mode: PreflightMode = 'download',
    ): Promise<SourceVerification> {
      if (mode === 'store-checksum' && source.storeChecksum) {
        const stored = await storeChecksumOf(source);
        if (stored === source.storeChecksum) return { verifiedBy: 'store-checksum', checksum: stored };
        log.warn("the store's checksum does not match the manifest's; reading the whole object", {
          key: source.key,
          store: stored ?? '(none)',
          manifest: source.storeChecksum,
        });
      }
      return { verifiedBy: 'download', ...(await readAndCheck(source)) };
    },
  };
}
