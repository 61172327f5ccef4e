import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { heartbeat } from '@temporalio/activity';
import type { RetentionRules } from '../core/retention.js';
import { acmPolicyInventory, policyInventory } from './storage/catalog.js';
import { findLocation, findPolicy } from './config-lookup.js';
import type { ActivityDeps } from './deps.js';
import { abortUpload } from './storage/multipart-upload.js';
import { classifyS3Error, s3ClientFor } from './storage/s3.js';

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
  /** An ACM hub backup policy's: its typed backups are decided by set (core/acm/hub-backup.ts setEntries). */
  bySet?: true;
}

export function createRetentionActivities(deps: ActivityDeps) {
  return {
    /**
     * Lists one policy's backups (with each manifest's one-off flag) and its open multipart uploads. The policy may be
     * of either kind; a backup's keys are every file of its folder (both layouts are flat), so deleting them all
     * deletes the backup.
     */
    async retentionInventory(cluster: string, policyName: string): Promise<RetentionInventory> {
      const acm = deps.config.acmBackups.find((p) => p.cluster === cluster && p.name === policyName);
      const found = acm ? undefined : findPolicy(deps, cluster, policyName);
      const location = findLocation(deps, acm?.location ?? found!.policy.location);
      const s3 = s3ClientFor(deps, location);
      const onProgress = (listed: number) => heartbeat({ listed });
      try {
        const inventory = acm
          ? await acmPolicyInventory(s3, location, acm, onProgress)
          : await policyInventory(s3, location, found!.kind, found!.policy, onProgress);
        return {
          ...(acm ? { bySet: true as const } : {}),
          location: location.name,
          rules: inventory.rules,
          backups: inventory.backups.map((b) => ({
            backup: b.backup,
            time: b.time.toISOString(),
            complete: b.complete,
            oneOff: b.oneOff,
            keys: b.keys,
          })),
          uploads: inventory.uploads.map((u) => ({
            key: u.key,
            uploadId: u.uploadId,
            initiated: u.initiated.toISOString(),
          })),
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
