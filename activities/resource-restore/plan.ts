import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { StorageLocation } from '../../core/config/schema.js';
import { FailureTypes } from '../../core/failure-types.js';
import {
  BackupKinds,
  parseVeleroLocationRecordKey,
  resourceListKey,
  resourceRestoreDir,
  veleroLocationArchiveKey,
  veleroLocationBackupsPrefix,
  veleroLocationRecordKey,
  veleroLocationResourceListKey,
} from '../../core/layout.js';
import { groupResource as groupResourceOf, type ApiResource } from '../../core/resources/model.js';
import { backupContents, planRestore, type RestorePlan } from '../../core/resources/restore-plan.js';
import { validateRestoreOptions, type RestoreOptionIssue } from '../../core/resources/restore-options.js';
import type { PlannedRestore, ResourceRestoreRequest, RestoreSource } from '../../core/resources/restore-run.js';
import { CUSTOM_RESOURCE_DEFINITIONS } from '../../core/resources/selection.js';
import { chooseBackup } from '../../core/restore-plan.js';
import { workflowIds } from '../../core/naming.js';
import { parseVeleroRecord } from '../../core/velero/backup-record.js';
import { findCluster, findLocation } from '../config-lookup.js';
import type { ActivityDeps } from '../deps.js';
import { nonRetryable } from '../failures.js';
import { refuseWhileAcmRestoreRuns, refuseWhileEtcdRestoreRuns } from '../restore-exclusion.js';
import { discover } from '../kube/discovery.js';
import { listBackups, readManifest } from '../storage/catalog.js';
import { withS3 } from '../storage/s3.js';
import { readResourceList } from './archive.js';

/**
 * Step 1 of a resource restore: which backup, what it holds, and the plan against the live target. Reads only; every
 * problem with the request is found here, before anything is written, and reported all at once.
 */

function badRequest(message: string): Error {
  return nonRetryable(FailureTypes.InvalidRestoreRequest, message);
}

export function describeIssues(issues: RestoreOptionIssue[]): string {
  return issues.map((i) => `${i.flag} (${i.field}): ${i.message}`).join('; ');
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToString('utf8');
}

/** The locations a cluster's resource backups are in: those of its resource policies (of one, with `policy`). */
function resourceLocations(deps: ActivityDeps, cluster: string, policy?: string): StorageLocation[] {
  const policies = deps.config.resourceBackups.filter((p) => p.cluster === cluster);
  if (policy !== undefined && !policies.some((p) => p.name === policy)) {
    throw badRequest(
      `--policy ${policy}: cluster ${cluster} has no resource backup policy of that name (it has: ${policies.map((p) => p.name).join(', ') || 'none'})`,
    );
  }
  const names = new Set(policies.filter((p) => policy === undefined || p.name === policy).map((p) => p.location));
  return [...names].map((name) => findLocation(deps, name));
}

/** A Lifeboat backup, and the groupResources its manifest counts (they confirm the resource list's kinds). */
async function lifeboatSource(
  deps: ActivityDeps,
  request: ResourceRestoreRequest,
): Promise<{ source: RestoreSource; groupResources: string[] }> {
  const cluster = request.fromCluster ?? request.target;
  findCluster(deps, cluster);
  const locations =
    request.location !== undefined
      ? [findLocation(deps, request.location)]
      : resourceLocations(deps, cluster, request.policy);
  if (locations.length === 0) {
    throw nonRetryable(
      FailureTypes.BackupNotFound,
      `cluster ${cluster} has no resource backup policy, so Lifeboat knows no location to find its backups in; name the cluster whose backup it is with --from-cluster, or a Velero location with --velero`,
    );
  }
  const found = [];
  for (const location of locations) {
    const entries = await withS3(deps, location, (s3) =>
      listBackups(s3, location, BackupKinds.resources, {
        cluster,
        ...(request.policy !== undefined ? { policy: request.policy } : {}),
      }),
    );
    found.push(...entries.map((e) => ({ ...e, location })));
  }
  const choice = chooseBackup(
    found.map((e) => ({ backup: e.backup, time: e.time, complete: e.manifestKey !== undefined })),
    request.backup,
  );
  if (!choice.ok) throw nonRetryable(FailureTypes.BackupNotFound, `--backup: cluster ${cluster}: ${choice.error}`);
  const entry = found.find((e) => e.backup === choice.backup && e.manifestKey)!;
  const manifest = await withS3(deps, entry.location, (s3) =>
    readManifest(s3, entry.location, entry.manifestKey!, BackupKinds.resources),
  );
  const source: RestoreSource = {
    kind: 'lifeboat',
    location: entry.location.name,
    cluster,
    backup: manifest.backup,
    archiveKey: manifest.object.key,
    resourceListKey: resourceListKey({
      prefix: entry.location.prefix,
      kind: BackupKinds.resources,
      cluster,
      backup: manifest.backup,
    }),
    bytes: manifest.object.bytes,
    sha256: manifest.object.sha256,
    encrypted: manifest.object.encryption !== null,
    ...(manifest.object.storeChecksum ? { storeChecksum: manifest.object.storeChecksum.value } : {}),
    ...(manifest.object.index ? { index: manifest.object.index } : {}),
  };
  return { source, groupResources: Object.keys(manifest.counts.resources).sort() };
}

/** A backup stock Velero wrote: by name, or `latest`, the newest Completed or PartiallyFailed record. */
async function veleroSource(
  deps: ActivityDeps,
  request: ResourceRestoreRequest,
  spec: { location: string; prefix: string },
): Promise<RestoreSource> {
  const location = findLocation(deps, spec.location);
  return withS3(deps, location, async (s3) => {
    let backup = request.backup;
    if (backup === 'latest') {
      const candidates: { backup: string; time: Date; complete: boolean }[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: location.bucket,
            Prefix: veleroLocationBackupsPrefix(spec.prefix),
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) {
          const name = parseVeleroLocationRecordKey(spec.prefix, object.Key!);
          if (name === undefined) continue;
          const parsed = parseVeleroRecord(await readText(s3, location.bucket, object.Key!));
          if (!parsed.ok) continue;
          const started = Date.parse(parsed.backup.startTimestamp ?? '');
          candidates.push({
            backup: name,
            time: new Date(Number.isFinite(started) ? started : 0),
            complete: parsed.backup.phase === 'Completed' || parsed.backup.phase === 'PartiallyFailed',
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      const choice = chooseBackup(candidates, 'latest');
      if (!choice.ok) {
        throw nonRetryable(
          FailureTypes.BackupNotFound,
          `--backup latest: the Velero location ${spec.location}:${spec.prefix}: ${choice.error}`,
        );
      }
      backup = choice.backup;
    }
    let recordText: string;
    try {
      recordText = await readText(s3, location.bucket, veleroLocationRecordKey(spec.prefix, backup));
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') {
        throw nonRetryable(
          FailureTypes.BackupNotFound,
          `--backup ${backup}: the Velero location ${spec.location}:${spec.prefix} has no backup of that name (lifeboat backups list --velero ${spec.location}:${spec.prefix})`,
        );
      }
      throw err;
    }
    const record = parseVeleroRecord(recordText);
    if (!record.ok) throw badRequest(`--backup ${backup}: ${record.error}`);
    if (record.backup.phase !== 'Completed' && record.backup.phase !== 'PartiallyFailed') {
      throw nonRetryable(
        FailureTypes.BackupNotFound,
        `--backup ${backup}: Velero's backup is ${record.backup.phase}, not Completed: it cannot be trusted`,
      );
    }
    const archiveKey = veleroLocationArchiveKey(spec.prefix, backup);
    const head = await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: archiveKey }));
    return {
      kind: 'velero',
      location: location.name,
      prefix: spec.prefix,
      backup,
      archiveKey,
      resourceListKey: veleroLocationResourceListKey(spec.prefix, backup),
      bytes: head.ContentLength ?? 0,
    };
  });
}

/** Where results go: the source's location under the target's prefix, unless that is inside a prefix Velero owns. */
function resultsLocation(deps: ActivityDeps, source: RestoreSource, target: string, restore: string) {
  const location = findLocation(deps, source.location);
  if (source.kind === 'velero') {
    const dir = resourceRestoreDir(location.prefix, target, restore);
    const owned = source.prefix.replace(/^\/+|\/+$/g, '');
    if (owned === '' || dir.startsWith(`${owned}/`)) return undefined;
  }
  return { location: location.name, prefix: location.prefix };
}

/** The discovery a plan needs again in every step: the resources the backup holds, and the CRDs'. */
function narrowDiscovery(discovery: ApiResource[], groupResources: readonly string[]): ApiResource[] {
  const wanted = new Set([...groupResources, CUSTOM_RESOURCE_DEFINITIONS]);
  return discovery.filter((r) => wanted.has(groupResourceOf(r)));
}

/** The plan's inputs, as planResourceRestore and every step compute it: one function, so they cannot disagree. */
export function recomputePlan(
  resourceList: Record<string, string[]>,
  request: ResourceRestoreRequest,
  discovery: ApiResource[],
  groupResources: string[],
): RestorePlan {
  return planRestore({
    resourceList,
    options: request.options,
    discovery,
    ...(groupResources.length > 0 ? { groupResources } : {}),
  });
}

export function createPlanActivities(deps: ActivityDeps) {
  return {
    /** Chooses the backup, reads what it holds, checks the request against it and the target, and plans. */
    async planResourceRestore(request: ResourceRestoreRequest, restore: string): Promise<PlannedRestore> {
      const target = findCluster(deps, request.target);
      if (request.fromCluster !== undefined && request.velero !== undefined) {
        throw badRequest('--from-cluster and --velero name two sources: give one');
      }
      await refuseWhileEtcdRestoreRuns(deps, request.target);
      if (request.partOf !== workflowIds.acmRestore(request.target)) {
        await refuseWhileAcmRestoreRuns(deps, request.target, 'restore its resources');
      }
      const { source, groupResources } = request.velero
        ? { source: await veleroSource(deps, request, request.velero), groupResources: [] }
        : await lifeboatSource(deps, request);
      const resourceList = await readResourceList(deps, source);

      const api = await deps.clusterApiFor(target, 'restore');
      let discovery: ApiResource[];
      try {
        discovery = (await discover(api)).resources;
      } finally {
        await api.close();
      }

      const { contents } = backupContents(resourceList, {
        discovery,
        ...(groupResources.length > 0 ? { groupResources } : {}),
      });
      const backupNamespaces = new Set<string>();
      for (const entries of Object.values(contents))
        for (const entry of entries) if (entry.includes('/')) backupNamespaces.add(entry.slice(0, entry.indexOf('/')));
      const issues = validateRestoreOptions(request.options, Object.keys(contents), {
        discovery,
        backupNamespaces: [...backupNamespaces],
      });
      if (issues.length > 0) throw badRequest(describeIssues(issues));

      const narrowed = narrowDiscovery(discovery, Object.keys(contents));
      const plan = recomputePlan(resourceList, request, narrowed, groupResources);
      if (plan.refusal) throw badRequest(describeIssues([plan.refusal]));
      const results = request.dryRun ? undefined : resultsLocation(deps, source, request.target, restore);
      const warnings = [...plan.warnings];
      if (!request.dryRun && !results) {
        warnings.push(
          `the backup's bucket prefix is stock Velero's, which Lifeboat never writes to: the per-item results are kept in the workflow only`,
        );
      }
      return {
        restore,
        target: request.target,
        source,
        steps: plan.steps.map((s) => ({
          groupResource: s.groupResource,
          reason: s.reason,
          ...(s.waitForEstablished ? { waitForEstablished: true } : {}),
          items: s.items.length,
          related: s.related.length,
        })),
        skipped: plan.skipped,
        namespaces: plan.namespaces,
        counts: plan.counts,
        warnings,
        discovery: narrowed,
        groupResources,
        ...(results ? { results } : {}),
        approvalTimeout: target.restore.approvalTimeout,
      };
    },
  };
}
