import { cancellationSignal, heartbeat } from '@temporalio/activity';
import {
  clusterDeploymentFacts,
  credentialLabelPatches,
  hubObject,
  type HubCredentials,
  type HubListItem,
  type LabelPatch,
} from '../../core/acm/credential-labels.js';
import type { ApiResource } from '../../core/resources/model.js';
import { findAcmPolicy, findCluster } from '../config-lookup.js';
import type { ActivityDeps } from '../deps.js';
import { ApiError, type ClusterApi } from '../kube/cluster-api.js';
import { discover } from '../kube/discovery.js';
import { apiReason, resourcePath, withApiRetries } from '../kube/list-pages.js';
import { hubNamespaces, served } from './hub-backup.js';

/**
 * The operator's pre-backup step (core/acm/credential-labels.ts decides): read the hub's Secrets and ConfigMaps as
 * metadata only (their data never reaches the worker), its ClusterDeployments and ClusterPools, then patch the labels
 * with the hub's labelling identity (clusters[].labelApi: deploy/kubernetes/acm-credential-labeller.yaml). A label
 * the API refuses is a warning of the set, not a failure: the backup goes on with what is labelled.
 */

export interface LabelResult {
  /** Each label set or removed, as `<resource> <namespace>/<name>: <label>=<value> (<reason>)`. */
  labelled: string[];
  warnings: string[];
}

const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const PAGE = '500';
type ResourceRef = Pick<ApiResource, 'group' | 'version' | 'resource'>;
const CORE = (resource: string): ResourceRef => ({ group: '', version: 'v1', resource });
const CLUSTER_DEPLOYMENTS = 'clusterdeployments.hive.openshift.io';
const CLUSTER_POOLS = 'clusterpools.hive.openshift.io';

async function listAll(api: ClusterApi, r: ResourceRef | undefined, accept: string | undefined, signal: AbortSignal) {
  if (!r) return [];
  const items: HubListItem[] = [];
  let token: string | undefined;
  do {
    const page = await withApiRetries(
      () =>
        api.get<{ items?: HubListItem[]; metadata?: { continue?: string } }>(resourcePath(r), {
          query: { limit: PAGE, continue: token },
          signal,
          ...(accept ? { accept } : {}),
        }),
      signal,
    );
    items.push(...(page.items ?? []));
    token = page.metadata?.continue || undefined;
    heartbeat({ listed: items.length });
  } while (token);
  return items;
}

async function readHubCredentials(
  api: ClusterApi,
  scheduleNamespace: string,
  signal: AbortSignal,
): Promise<{ hub: HubCredentials; resources: ApiResource[] }> {
  const { resources } = await discover(api, signal);
  const namespaces = await hubNamespaces(api, resources, scheduleNamespace, signal);
  const hub: HubCredentials = {
    localClusterNamespace: namespaces.localCluster,
    secrets: (await listAll(api, CORE('secrets'), METADATA_LIST, signal)).map(hubObject),
    configMaps: (await listAll(api, CORE('configmaps'), METADATA_LIST, signal)).map(hubObject),
    clusterDeployments: (await listAll(api, served(resources, CLUSTER_DEPLOYMENTS), undefined, signal)).map(
      clusterDeploymentFacts,
    ),
    clusterPools: (await listAll(api, served(resources, CLUSTER_POOLS), METADATA_LIST, signal)).map(hubObject),
  };
  return { hub, resources };
}

const describePatch = (p: LabelPatch) =>
  `${p.resource} ${p.namespace}/${p.name}: ${Object.entries(p.labels)
    .map(([k, v]) => (v === null ? `-${k}` : `${k}=${v}`))
    .join(',')} (${p.reason})`;

export function createCredentialLabelActivities(deps: ActivityDeps) {
  return {
    /** Labels the hub's credentials as the operator does before a backup; what it could not label are warnings. */
    async labelHubCredentials(input: { cluster: string; policy: string }): Promise<LabelResult> {
      const policy = findAcmPolicy(deps, input.cluster, input.policy);
      const cluster = findCluster(deps, input.cluster);
      const signal = cancellationSignal();
      const reader = await deps.clusterApiFor(cluster);
      let read;
      try {
        read = await readHubCredentials(reader, policy.scheduleNamespace, signal);
      } finally {
        await reader.close();
      }
      const patches = credentialLabelPatches(read.hub);
      const result: LabelResult = { labelled: [], warnings: [] };
      if (patches.length === 0) return result;
      const labeller = await deps.clusterApiFor(cluster, 'label');
      try {
        for (const patch of patches) {
          const r =
            patch.resource === 'secrets' || patch.resource === 'configmaps'
              ? CORE(patch.resource)
              : served(read.resources, patch.resource);
          if (!r) continue;
          try {
            await withApiRetries(
              () =>
                labeller.send(
                  'PATCH',
                  resourcePath(r, patch.namespace, patch.name),
                  {
                    metadata: { labels: patch.labels },
                  },
                  { contentType: 'application/merge-patch+json', signal, discardBody: true },
                ),
              signal,
            );
            result.labelled.push(describePatch(patch));
          } catch (err) {
            if (err instanceof ApiError && err.status === 404) continue; // deleted since it was listed
            if (!(err instanceof ApiError)) throw err;
            const fix =
              err.status === 403
                ? `; bind the identity of clusters[${cluster.name}].labelApi to deploy/kubernetes/acm-credential-labeller.yaml`
                : '';
            result.warnings.push(`could not label ${describePatch(patch)}: ${apiReason(err)}${fix}`);
          }
          heartbeat({ labelled: result.labelled.length });
        }
      } finally {
        await labeller.close();
      }
      return result;
    },
  };
}
