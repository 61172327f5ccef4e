import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { heartbeat } from '@temporalio/activity';
import { parseDuration } from '../core/duration.js';
import { policyPrefix } from '../core/layout.js';
import { rulesFromPolicy, type RetentionRules } from '../core/retention.js';
import { listBackups, listOpenUploads, readManifest } from './catalog.js';
import { findEtcdPolicy, findLocation } from './config-lookup.js';
import type { ActivityDeps } from './deps.js';
import { abortUpload } from './multipart-upload.js';
import { classifyS3Error, s3ClientFor } from './s3.js';

/** Dates travel as ISO strings: activity results are JSON. */
export interface InventoryBackup {
  backup: string;
  time: string;
  complete: boolean;
  oneOff: boolean;
  keys: string[];
}

export interface RetentionInventory {
  location: string;
  rules: RetentionRules;
  backups: InventoryBackup[];
  uploads: { key: string; uploadId: string; initiated: string }[];
}

const MANIFEST_READ_CONCURRENCY = 8;

export function createRetentionActivities(deps: ActivityDeps) {
  return {
    /** Lists one policy's backups (with each manifest's one-off flag) and its open multipart uploads. */
    async retentionInventory(cluster: string, policyName: string): Promise<RetentionInventory> {
      const policy = findEtcdPolicy(deps, cluster, policyName);
      const location = findLocation(deps, policy.location);
      const s3 = s3ClientFor(deps, location);
      try {
        const entries = await listBackups(s3, location, 'etcd', { cluster, policy: policyName });
        const backups: InventoryBackup[] = [];
        for (let i = 0; i < entries.length; i += MANIFEST_READ_CONCURRENCY) {
          const batch = entries.slice(i, i + MANIFEST_READ_CONCURRENCY);
          backups.push(
            ...(await Promise.all(
              batch.map(async (entry) => ({
                backup: entry.backup,
                time: entry.time.toISOString(),
                complete: entry.manifestKey !== undefined,
                oneOff: entry.manifestKey ? (await readManifest(s3, location, entry.manifestKey)).oneOff : false,
                keys: entry.keys,
              })),
            )),
          );
          heartbeat({ listed: backups.length });
        }
        const uploads = await listOpenUploads(s3, location, policyPrefix(location.prefix, 'etcd', cluster, policyName));
        return {
          location: location.name,
          rules: rulesFromPolicy(policy, {
            keepOneOff: policy.keepOneOff,
            incompleteGraceMs: parseDuration(policy.incompleteGracePeriod)!,
          }),
          backups,
          uploads: uploads.map((u) => ({ key: u.key, uploadId: u.uploadId, initiated: u.initiated.toISOString() })),
        };
      } catch (err) {
        return classifyS3Error(location, err);
      } finally {
        s3.destroy();
      }
    },

    /** Deletes objects in batches of up to 1000 (the S3 limit). Deleting what is already gone succeeds. */
    async deleteObjects(locationName: string, keys: string[]): Promise<number> {
      const location = findLocation(deps, locationName);
      const s3 = s3ClientFor(deps, location);
      try {
        for (let i = 0; i < keys.length; i += 1000) {
          const batch = keys.slice(i, i + 1000);
          const result = await s3.send(
            new DeleteObjectsCommand({
              Bucket: location.bucket,
              Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
            }),
          );
          const failed = (result.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
          if (failed.length > 0) {
            throw new Error(
              `could not delete ${failed.length} object(s), e.g. ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message}`,
            );
          }
          heartbeat({ deleted: i + batch.length });
        }
        return keys.length;
      } catch (err) {
        return classifyS3Error(location, err);
      } finally {
        s3.destroy();
      }
    },

    async abortUploads(locationName: string, uploads: { key: string; uploadId: string }[]): Promise<number> {
      const location = findLocation(deps, locationName);
      const s3 = s3ClientFor(deps, location);
      try {
        for (const upload of uploads) await abortUpload(s3, location.bucket, upload.key, upload.uploadId);
        return uploads.length;
      } catch (err) {
        return classifyS3Error(location, err);
      } finally {
        s3.destroy();
      }
    },
  };
}
