import { cancellationSignal, heartbeat } from '@temporalio/activity';
import {
  cleanupDecision,
  cleanupLists,
  cleanupScope,
  type CleanupPart,
  type CleanupScope,
  type CleanupSource,
} from '../../core/acm/cleanup.js';
import type { AcmRestorePlan, CleanupMode } from '../../core/acm/restore-plan.js';
import { FailureTypes } from '../../core/failure-types.js';
import { BackupKinds, manifestKey } from '../../core/layout.js';
import { groupResource, type ApiResource } from '../../core/resources/model.js';
import { findCluster, findLocation } from '../config-lookup.js';
import type { ActivityDeps } from '../deps.js';
import { nonRetryable } from '../failures.js';
import { reviewAccess } from '../kube/access-review.js';
import { ApiError, type ClusterApi } from '../kube/cluster-api.js';
import { discover } from '../kube/discovery.js';
import { apiReason, listPages, resourcePath, withApiRetries } from '../kube/list-pages.js';
import { readManifest } from '../storage/catalog.js';
import { classifyS3Error, s3ClientFor } from '../storage/s3.js';

/**
 * The cleanup after an ACM hub restore (`--cleanup-before-restore restored|all`, the operator's cleanupBeforeRestore,
 * which runs after the restore): every object of the restored types' kinds that the used backups no longer hold, as
 * core/acm/cleanup.ts decides, deleted by the restore identity and, as the operator does, freed of its finalizers.
 * Idempotent: a retry lists again, and what is gone is not found again.
 */

export interface HubCleanupInput {
  hub: string;
  fromCluster: string;
  location: string;
  mode: Exclude<CleanupMode, 'none'>;
  backups: AcmRestorePlan['backups'];
}

export interface CleanupReport {
  mode: Exclude<CleanupMode, 'none'>;
  deleted: Record<CleanupPart, number>;
  /** The first objects deleted, as `<part>: <resource> [<namespace>/]<name> (<reason>)`; all of them are counted. */
  examples: string[];
  /** Objects or lists the cleanup could not handle, with the API's reason. */
  failed: string[];
}

export const CLEANER_RBAC = 'deploy/kubernetes/acm-restore-cleaner.yaml';
const EXAMPLES = 50;
const FAILURES = 50;

function describeObject(o: { groupResource: string; namespace?: string; name: string }): string {
  return `${o.groupResource} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

/** The filters each used backup recorded, read from its manifest. */
async function usedBackups(deps: ActivityDeps, input: HubCleanupInput): Promise<Parameters<typeof cleanupScope>[1]> {
  const where = findLocation(deps, input.location);
  const s3 = s3ClientFor(deps, where);
  try {
    const used: Parameters<typeof cleanupScope>[1] = {};
    for (const type of ['credentials', 'resources', 'generic', 'managedClusters'] as const) {
      const backup = input.backups[type];
      if (!backup) continue;
      const key = manifestKey({
        prefix: where.prefix,
        kind: BackupKinds.resources,
        cluster: input.fromCluster,
        backup,
      });
      const manifest = await readManifest(s3, where, key, BackupKinds.resources);
      const source: CleanupSource = {
        backup,
        filters: {
          includedResources: manifest.filters.includedResources,
          excludedResources: manifest.filters.excludedResources,
          excludedNamespaces: manifest.filters.excludedNamespaces,
        },
      };
      used[type] = source;
    }
    return used;
  } catch (err) {
    return classifyS3Error(where, err);
  } finally {
    s3.destroy();
  }
}

/** Deletes one object and strips its finalizers if it stays (the operator's way); false when it was already gone. */
async function deleteObject(api: ClusterApi, resource: ApiResource, namespace: string | undefined, name: string) {
  const path = resourcePath(resource, namespace, name);
  try {
    await withApiRetries(() => api.send('DELETE', path, { propagationPolicy: 'Background' }, { discardBody: true }));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return false;
    throw err;
  }
  try {
    const left = await withApiRetries(() => api.get<{ metadata?: { finalizers?: string[] } }>(path));
    if ((left.metadata?.finalizers ?? []).length > 0) {
      await withApiRetries(() =>
        api.send(
          'PATCH',
          path,
          { metadata: { finalizers: null } },
          { contentType: 'application/merge-patch+json', discardBody: true },
        ),
      );
    }
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  return true;
}

export function createHubCleanupActivities(deps: ActivityDeps) {
  return {
    /**
     * Before anything is restored: the restore identity may delete (deploy/kubernetes/acm-restore-cleaner.yaml), so
     * a cleanup never fails after the restore has written.
     */
    async checkCleanupAccess(input: { hub: string }): Promise<void> {
      const cluster = findCluster(deps, input.hub);
      const writer = await deps.clusterApiFor(cluster, 'restore');
      try {
        const checks = [
          { group: '*', resource: '*', verb: 'delete' },
          { group: '*', resource: '*', verb: 'patch' },
        ];
        const denied = (await reviewAccess(writer, checks)).filter((a) => !a.allowed);
        if (denied.length > 0) {
          throw nonRetryable(
            FailureTypes.RestorePermissionDenied,
            `--cleanup-before-restore: the restore identity of ${input.hub} (${writer.server}) may not ` +
              `${denied.map((d) => d.verb).join(' or ')} the objects a cleanup removes; bind it to ${CLEANER_RBAC} ` +
              `as well (clusters[${input.hub}].restoreApi names the identity), or restore with --cleanup-before-restore none`,
          );
        }
      } finally {
        await writer.close();
      }
    },

    async cleanupHub(input: HubCleanupInput): Promise<CleanupReport> {
      const cluster = findCluster(deps, input.hub);
      const signal = cancellationSignal();
      const scope: CleanupScope = cleanupScope(input.mode, await usedBackups(deps, input));
      const reader = await deps.clusterApiFor(cluster);
      const writer = await deps.clusterApiFor(cluster, 'restore');
      const report: CleanupReport = {
        mode: input.mode,
        deleted: { credentials: 0, resources: 0, generic: 0, 'managed-clusters': 0 },
        examples: [],
        failed: [],
      };
      const fail = (line: string) => {
        if (report.failed.length < FAILURES) report.failed.push(line);
      };
      try {
        const discovery = await discover(reader, signal);
        const deletable = new Map(
          discovery.resources
            .filter((r) => r.verbs.includes('list') && r.verbs.includes('delete'))
            .map((r) => [groupResource(r), r] as const),
        );
        const seen = new Set<string>();
        for (const list of cleanupLists(scope, [...deletable.keys()])) {
          const resource = deletable.get(list.groupResource)!;
          for await (const event of listPages(reader, {
            resource,
            ...(list.labelSelector ? { labelSelector: list.labelSelector } : {}),
            signal,
          })) {
            if ('problem' in event) {
              fail(`${list.groupResource}: ${event.problem.message}`);
              continue;
            }
            for (const { object } of event.items) {
              const meta = object.metadata ?? {};
              const live = {
                groupResource: list.groupResource,
                name: meta.name ?? '',
                labels: meta.labels ?? {},
                ...(meta.namespace ? { namespace: meta.namespace } : {}),
              };
              const id = describeObject(live);
              if (seen.has(id) || meta.deletionTimestamp) continue;
              seen.add(id);
              const decision = cleanupDecision(live, scope);
              if (!decision.delete) continue;
              try {
                if (!(await deleteObject(writer, resource, live.namespace, live.name))) continue;
                report.deleted[decision.part]++;
                if (report.examples.length < EXAMPLES)
                  report.examples.push(`${decision.part}: ${id} (${decision.reason})`);
              } catch (err) {
                if (!(err instanceof ApiError)) throw err;
                fail(
                  `${id}: ${apiReason(err)}${err.status === 403 ? `; bind the restore identity to ${CLEANER_RBAC}` : ''}`,
                );
              }
              heartbeat({ deleted: Object.values(report.deleted).reduce((a, b) => a + b, 0) });
            }
          }
        }
        return report;
      } finally {
        await Promise.all([reader.close(), writer.close()]);
      }
    },
  };
}
