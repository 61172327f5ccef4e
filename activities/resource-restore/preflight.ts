import { cancellationSignal, heartbeat } from '@temporalio/activity';
import { FailureTypes } from '../../core/failure-types.js';
import { groupResource as groupResourceOf } from '../../core/resources/model.js';
import { restoresStatus } from '../../core/resources/restore-object.js';
import { mappedNamespace } from '../../core/resources/restore-options.js';
import type { PlannedRestore, ResourceRestoreRequest } from '../../core/resources/restore-run.js';
import { CUSTOM_RESOURCE_DEFINITIONS } from '../../core/resources/selection.js';
import { findCluster } from '../config-lookup.js';
import type { ActivityDeps } from '../deps.js';
import { nonRetryable } from '../failures.js';
import { reviewAccess, type AccessCheck } from '../kube/access-review.js';
import { discover } from '../kube/discovery.js';
import { readResourceList, verifyArchive } from './archive.js';
import { recomputePlan } from './plan.js';

export interface PreflightInput {
  request: ResourceRestoreRequest;
  planned: PlannedRestore;
}

export interface PreflightReport {
  archive: { bytes: number; items: number };
  /** Access reviews asked. */
  accessChecks: number;
  warnings: string[];
}

/** Above this many target namespaces of one resource, a cluster-wide review is asked first (it answers for all). */
const PER_NAMESPACE_REVIEWS = 20;

function splitGroupResource(gr: string): { group: string; resource: string } {
  const dot = gr.indexOf('.');
  return dot < 0 ? { group: '', resource: gr } : { group: gr.slice(dot + 1), resource: gr.slice(0, dot) };
}

function describeDenied(denied: AccessCheck[]): string {
  const byVerbResource = new Map<string, string[]>();
  for (const d of denied) {
    const what = `${d.verb} ${d.resource}${d.subresource ? `/${d.subresource}` : ''}${d.group ? `.${d.group}` : ''}`;
    const list = byVerbResource.get(what) ?? [];
    list.push(d.namespace ?? 'cluster-wide');
    byVerbResource.set(what, list);
  }
  return [...byVerbResource]
    .map(
      ([what, where]) =>
        `${what} (${where.slice(0, 5).join(', ')}${where.length > 5 ? `, and ${where.length - 5} more namespaces` : ''})`,
    )
    .join('; ');
}

export function createPreflightActivities(deps: ActivityDeps) {
  return {
    /**
     * Step 2, before anything is written: the archive is intact (read whole, checksum), the target answers, every
     * kind is served there (or comes with a CRD of this backup), and the restore identity may do what the plan does.
     */
    async preflightResourceRestore({ request, planned }: PreflightInput): Promise<PreflightReport> {
      const signal = cancellationSignal();
      const archive = await verifyArchive(deps, planned.source, { signal, onBytes: (bytes) => heartbeat({ bytes }) });
      const resourceList = await readResourceList(deps, planned.source);
      const plan = recomputePlan(resourceList, request, planned.discovery, planned.groupResources);
      const cluster = findCluster(deps, request.target);
      const api = await deps.clusterApiFor(cluster, 'restore');
      try {
        const served = new Set((await discover(api, signal)).resources.map(groupResourceOf));
        const crdStep = plan.steps.find((s) => s.groupResource === CUSTOM_RESOURCE_DEFINITIONS);
        const fromBackup = new Set([...(crdStep?.items ?? []), ...(crdStep?.related ?? [])].map((r) => r.name));
        const warnings: string[] = [];
        const checks: AccessCheck[] = [];
        const targetNamespaces = new Map<string, string[]>();
        const needsPatch = request.options.existingResourcePolicy === 'update';
        for (const step of plan.steps) {
          if (!served.has(step.groupResource) && !fromBackup.has(step.groupResource)) {
            warnings.push(
              `${step.groupResource}: the target serves no version of it and the backup has no CRD for it: its ${step.items.length} items are skipped`,
            );
            continue;
          }
          const { group, resource } = splitGroupResource(step.groupResource);
          const verbs = ['create', 'get', ...(needsPatch ? ['patch'] : [])];
          const namespaces = [
            ...new Set(
              step.items
                .filter((r) => r.namespace !== undefined)
                .map((r) => mappedNamespace(request.options.namespaceMapping, r.namespace!)),
            ),
          ].sort();
          targetNamespaces.set(`${resource}.${group}`, namespaces);
          const status = restoresStatus(request.options.restoreStatus, step.groupResource);
          for (const verb of verbs) {
            if (namespaces.length === 0 || namespaces.length > PER_NAMESPACE_REVIEWS)
              checks.push({ group, resource, verb });
            else for (const namespace of namespaces) checks.push({ group, resource, verb, namespace });
          }
          if (status) checks.push({ group, resource, verb: 'patch', subresource: 'status' });
        }
        if (plan.namespaces.length > 0) {
          checks.push(
            { group: '', resource: 'namespaces', verb: 'get' },
            { group: '', resource: 'namespaces', verb: 'create' },
          );
        }
        const answers = await reviewAccess(api, checks, { signal });
        // A cluster-wide no may still be a yes in each namespace (a namespaced Role): those are asked there.
        const perNamespace: AccessCheck[] = [];
        const denied: AccessCheck[] = [];
        for (const answer of answers) {
          if (answer.allowed) continue;
          const namespaces =
            answer.namespace === undefined ? (targetNamespaces.get(answer.resource + '.' + answer.group) ?? []) : [];
          if (namespaces.length === 0) denied.push(answer);
          else for (const namespace of namespaces) perNamespace.push({ ...answer, namespace });
        }
        if (perNamespace.length > 0)
          denied.push(...(await reviewAccess(api, perNamespace, { signal })).filter((a) => !a.allowed));
        if (denied.length > 0) {
          throw nonRetryable(
            FailureTypes.RestorePermissionDenied,
            `the restore identity of ${request.target} (${api.server}) may not ${describeDenied(denied)}; grant it deploy/kubernetes/resource-restorer.yaml (clusters[${request.target}].restoreApi names the identity), or narrow the restore with its filters`,
          );
        }
        return {
          archive: { bytes: archive.bytes, items: archive.items },
          accessChecks: checks.length + perNamespace.length,
          warnings,
        };
      } finally {
        await api.close();
      }
    },
  };
}
