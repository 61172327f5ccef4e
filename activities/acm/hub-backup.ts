import type { Client } from '@temporalio/client';
import { ScheduleNotFoundError } from '@temporalio/client';
import { cancellationSignal, heartbeat } from '@temporalio/activity';
import {
  ACM_BACKUP_TYPES,
  acmSelection,
  type AcmBackupType,
  type HubNamespaces,
} from '../../core/acm/backup-selection.js';
import {
  checkCollision,
  collisionNote,
  hubId,
  type AcmTypedBackup,
  type StoredSet,
} from '../../core/acm/hub-backup.js';
import { FailureTypes, TransientFailureTypes } from '../../core/failure-types.js';
import { BackupKinds } from '../../core/layout.js';
import { acmTypedPolicy, scheduleIds } from '../../core/naming.js';
import { groupResource, type ApiResource } from '../../core/resources/model.js';
import { LifeboatPaused } from '../../core/search-attributes.js';
import { findAcmPolicy, findCluster, findLocation } from '../config-lookup.js';
import type { ActivityDeps } from '../deps.js';
import { nonRetryable, transient } from '../failures.js';
import { ApiError, type ClusterApi } from '../kube/cluster-api.js';
import { discover } from '../kube/discovery.js';
import { apiReason, resourcePath, withApiRetries } from '../kube/list-pages.js';
import { listBackups, readManifest } from '../storage/catalog.js';
import { classifyS3Error, s3ClientFor } from '../storage/s3.js';

/**
 * The hub side of an ACM hub backup set (workflows/acm-backup.ts): who the hub is, what each type selects on it
 * today, and whether another hub writes into the same history. Reads only, with the hub's resource-reader identity.
 */

export interface HubBackupPlan {
  hub: string;
  /** The typed backups to take, in the operator's order; a type whose kinds the hub does not serve is left out. */
  typed: (Omit<AcmTypedBackup, 'tag' | 'oneOff'> & { type: AcmBackupType })[];
  /** Types the hub serves none of (a hub without Hive has no managed-clusters kinds only in odd cases). */
  skipped: AcmBackupType[];
  namespaces: HubNamespaces;
  /** Set when another hub wrote the newest set: the schedule's pause note, naming both hub ids. */
  collision?: string;
}

const MANAGED_CLUSTERS = 'managedclusters.cluster.open-cluster-management.io';
const CHANNELS = 'channels.apps.open-cluster-management.io';
const CLUSTER_VERSIONS = 'clusterversions.config.openshift.io';
/** The Channel the MultiClusterHub creates in its own namespace (the operator finds that namespace by it). */
const MULTICLUSTERHUB_CHANNEL = 'charts-v1';

interface Listed<T> {
  items?: T[];
}
interface Meta {
  metadata?: { name?: string; namespace?: string; uid?: string };
}

export const served = (resources: ApiResource[], name: string) => resources.find((r) => groupResource(r) === name);

async function firstItem<T>(
  api: ClusterApi,
  r: ApiResource | undefined,
  query: Record<string, string>,
  signal: AbortSignal,
) {
  if (!r) return undefined;
  const list = await withApiRetries(() => api.get<Listed<T>>(resourcePath(r), { query, signal }), signal);
  return list.items?.[0];
}

/** The ClusterVersion's id on OpenShift, else the kube-system namespace's uid (core/acm/hub-backup.ts hubId). */
async function readHubId(api: ClusterApi, resources: ApiResource[], signal: AbortSignal): Promise<string> {
  const version = await firstItem<{ spec?: { clusterID?: string } }>(
    api,
    served(resources, CLUSTER_VERSIONS),
    { limit: '1' },
    signal,
  );
  const kubeSystem = version?.spec?.clusterID
    ? undefined
    : await withApiRetries(() => api.get<Meta>('/api/v1/namespaces/kube-system', { signal }), signal);
  const id = hubId({
    ...(version?.spec?.clusterID ? { clusterVersionId: version.spec.clusterID } : {}),
    ...(kubeSystem?.metadata?.uid ? { kubeSystemUid: kubeSystem.metadata.uid } : {}),
  });
  if (!id) throw new Error('the hub has neither a ClusterVersion id nor a kube-system namespace uid to be told by');
  return id;
}

export async function hubNamespaces(
  api: ClusterApi,
  resources: ApiResource[],
  scheduleNamespace: string,
  signal: AbortSignal,
): Promise<HubNamespaces> {
  const local = await firstItem<Meta>(
    api,
    served(resources, MANAGED_CLUSTERS),
    { labelSelector: 'local-cluster=true', limit: '1' },
    signal,
  );
  const channel = await firstItem<Meta>(
    api,
    served(resources, CHANNELS),
    { fieldSelector: `metadata.name=${MULTICLUSTERHUB_CHANNEL}`, limit: '1' },
    signal,
  );
  return {
    schedule: scheduleNamespace,
    localCluster: local?.metadata?.name ?? 'local-cluster',
    ...(channel?.metadata?.namespace ? { multiClusterHub: channel.metadata.namespace } : {}),
  };
}

/** Stored sets of the policy, newest first, read until this hub's newest one: all checkCollision needs. */
async function storedSets(deps: ActivityDeps, cluster: string, policy: string, location: string, thisHub: string) {
  const where = findLocation(deps, location);
  const s3 = s3ClientFor(deps, where);
  const sets: StoredSet[] = [];
  try {
    // Every set has a credentials backup: Secrets and ConfigMaps are served everywhere.
    const entries = await listBackups(s3, where, BackupKinds.resources, {
      cluster,
      policy: acmTypedPolicy(policy, 'credentials'),
    });
    for (const entry of entries) {
      if (!entry.manifestKey) continue;
      heartbeat({ sets: sets.length });
      const manifest = await readManifest(s3, where, entry.manifestKey, BackupKinds.resources);
      if (!manifest.acm) continue;
      sets.push({ set: manifest.acm.set, hub: manifest.acm.hub });
      if (manifest.acm.hub === thisHub) break;
    }
    return sets;
  } catch (err) {
    return classifyS3Error(where, err);
  } finally {
    s3.destroy();
  }
}

async function pauseSchedule(client: Client, id: string, note: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(id).update((previous) => ({
      ...previous,
      state: { ...previous.state, paused: true, note },
      typedSearchAttributes: previous.typedSearchAttributes.updateCopy([{ key: LifeboatPaused, value: note }]),
    }));
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false; // an on-demand policy: nothing scheduled to pause
    throw err;
  }
}

export function createAcmBackupActivities(deps: ActivityDeps) {
  return {
    /**
     * Reads the hub (discovery, its id, the namespaces the types leave out) and the policy's history, and decides what
     * each type selects. The selection is decided here once per set so that it is in the workflow's history.
     */
    async planHubBackup(input: { cluster: string; policy: string }): Promise<HubBackupPlan> {
      const policy = findAcmPolicy(deps, input.cluster, input.policy);
      const api = await deps.clusterApiFor(findCluster(deps, input.cluster));
      const signal = cancellationSignal();
      try {
        let discovery, hub, namespaces;
        try {
          discovery = await discover(api, signal);
          hub = await readHubId(api, discovery.resources, signal);
          namespaces = await hubNamespaces(api, discovery.resources, policy.scheduleNamespace, signal);
        } catch (err) {
          if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
            throw nonRetryable(
              FailureTypes.InvalidConfig,
              `The API of hub ${input.cluster} (${api.server}) refused the worker (${apiReason(err)}); bind its ` +
                'identity to the resource backup ClusterRole (deploy/kubernetes/resource-reader.yaml).',
            );
          }
          throw transient(
            TransientFailureTypes.KubernetesApiUnavailable,
            `The API of hub ${input.cluster} (${api.server}) did not answer: ${apiReason(err)}`,
          );
        }
        const typed: HubBackupPlan['typed'] = [];
        const skipped: AcmBackupType[] = [];
        for (const type of ACM_BACKUP_TYPES) {
          const selection = acmSelection(type, discovery.resources, namespaces);
          if ((selection.filters.includedResources ?? []).length === 0) skipped.push(type);
          else typed.push({ type, filters: selection.filters, excludedItems: selection.excludedItems });
        }
        const check = checkCollision(await storedSets(deps, input.cluster, input.policy, policy.location, hub), hub);
        return {
          hub,
          typed,
          skipped,
          namespaces,
          ...(check.collision ? { collision: collisionNote(hub, check) } : {}),
        };
      } finally {
        await api.close();
      }
    },

    /** Pauses the policy's schedule with the collision's note (and search attribute); false when it has none. */
    async pauseHubBackupSchedule(input: { cluster: string; policy: string; note: string }): Promise<boolean> {
      return pauseSchedule(deps.temporalClient(), scheduleIds.acmBackup(input.cluster, input.policy), input.note);
    },
  };
}
