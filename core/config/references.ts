import { ACM_BACKUP_TYPES } from '../acm/backup-selection.js';
import { acmTypedPolicy } from '../naming.js';
import type { ConfigIssue } from './issues.js';

/**
 * Checks between sections (unknown cluster or location, duplicate names). They read the raw document rather than
 * the parsed one, so they still report when a type error elsewhere stops the schema from producing a value.
 */
type Named = { name?: unknown };

function list(document: unknown, key: string): Named[] {
  const value = (document as Record<string, unknown> | null)?.[key];
  return Array.isArray(value)
    ? (value as unknown[]).map((v) => (typeof v === 'object' && v !== null ? (v as Named) : {}))
    : [];
}

function names(items: Named[]): string[] {
  return items.map((i) => i.name).filter((n): n is string => typeof n === 'string');
}

function duplicates(items: Named[], section: string): ConfigIssue[] {
  const seen = new Set<unknown>();
  return items.flatMap((item, i) => {
    if (typeof item.name !== 'string') return [];
    const dup = seen.has(item.name);
    seen.add(item.name);
    return dup
      ? [{ path: `${section}[${i}].name`, message: `duplicate name "${item.name}"; names must be unique` }]
      : [];
  });
}

/**
 * A replaced store container (job.storeContainer, e.g. Kubermatic's) uploads the snapshot as it finds it; the worker
 * only verifies and moves the object afterwards. Compression and encryption would have to happen inside that container,
 * so a policy asking for them with a foreign container would store something other than it says: refuse it.
 */
function foreignStoreIssues(
  policy: { job?: unknown; compression?: unknown; encryption?: unknown },
  i: number,
): ConfigIssue[] {
  const job = policy.job as { storeContainer?: unknown } | undefined;
  if (typeof job !== 'object' || job === null || job.storeContainer === undefined) return [];
  const issues: ConfigIssue[] = [];
  if (policy.compression !== undefined && policy.compression !== 'none') {
    issues.push({
      path: `etcdBackups[${i}].compression`,
      message:
        'a custom job.storeContainer stores the snapshot as it is, so Lifeboat cannot apply compression ' +
        `${JSON.stringify(policy.compression)}; set compression: none, or remove job.storeContainer to use ` +
        "Lifeboat's store container, which compresses",
    });
  }
  if (policy.encryption !== undefined && policy.encryption !== null) {
    issues.push({
      path: `etcdBackups[${i}].encryption`,
      message:
        'a custom job.storeContainer stores the snapshot as it is, so Lifeboat cannot encrypt it; ' +
        "remove encryption, or remove job.storeContainer to use Lifeboat's store container, which encrypts",
    });
  }
  return issues;
}

type RawCluster = Named & { etcd?: unknown; api?: unknown };

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Velero's rules between a resource backup's filters (pkg/util/collections ValidateIncludesExcludes, and the selector
 * kinds being exclusive), read from the raw policy so they are reported next to any type error.
 */
function resourceFilterIssues(policy: Record<string, unknown>, at: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [inc, exc] of [
    ['includedNamespaces', 'excludedNamespaces'],
    ['includedResources', 'excludedResources'],
  ] as const) {
    const included = stringsOf(policy[inc]);
    if (included.includes('*') && new Set(included).size > 1) {
      issues.push({
        path: `${at}.${inc}`,
        message: 'lists "*" with other items; use "*" alone (everything) or only the items to include',
      });
    }
    const excluded = policy[exc];
    if (!Array.isArray(excluded)) continue;
    excluded.forEach((item: unknown, i) => {
      if (item === '*') {
        issues.push({
          path: `${at}.${exc}[${i}]`,
          message: 'cannot be "*" (that would exclude everything); list what to exclude, or remove the policy',
        });
      } else if (typeof item === 'string' && included.includes(item)) {
        issues.push({
          path: `${at}.${exc}[${i}]`,
          message: `"${item}" is also in ${inc}; remove it from one of the two`,
        });
      }
    });
  }
  if (present(policy.labelSelector) && present(policy.orLabelSelectors)) {
    issues.push({
      path: `${at}.orLabelSelectors`,
      message:
        'labelSelector and orLabelSelectors cannot both be set (as in Velero); keep labelSelector for one selector, or move it into orLabelSelectors',
    });
  }
  return issues;
}

/**
 * A resource or ACM hub backup policy's cluster must be known and have an API to read (resourceApi in clusters.ts);
 * an ACM policy's typed backups are resource backups of the hub.
 */
function resourcePolicyIssues(
  document: unknown,
  section: 'resourceBackups' | 'acmBackups',
  clusters: RawCluster[],
  locationNames: string[],
  policyPaths: Map<string, string>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const clusterNames = names(clusters);
  const policies = list(document, section) as (Named & { cluster?: unknown; location?: unknown })[];
  policies.forEach((policy, i) => {
    const at = `${section}[${i}]`;
    if (typeof policy.cluster === 'string') {
      const index = clusters.findIndex((c) => c.name === policy.cluster);
      const cluster = clusters[index];
      if (!cluster) {
        issues.push({
          path: `${at}.cluster`,
          message: `unknown cluster "${policy.cluster}"; define it under clusters (known: ${clusterNames.join(', ') || 'none'})`,
        });
      } else if (present(cluster.etcd) && !present(cluster.api)) {
        issues.push({
          path: `${at}.cluster`,
          message:
            `cluster "${policy.cluster}" has no API for resource backups: its kubernetes is the API that hosts its etcd, ` +
            `not necessarily its own; set clusters[${index}].api (kubeconfig and context of the cluster whose objects ` +
            'are backed up; api: {} when that is the management cluster itself)',
        });
      }
    }
    if (typeof policy.location === 'string' && !locationNames.includes(policy.location)) {
      issues.push({
        path: `${at}.location`,
        message: `unknown storage location "${policy.location}"; define it under storageLocations (known: ${locationNames.join(', ') || 'none'})`,
      });
    }
    if (section === 'resourceBackups') issues.push(...resourceFilterIssues(policy, at));
    issues.push(...policyNameIssue(policy, `${at}.name`, policyPaths));
  });
  return issues;
}

/**
 * An ACM policy's typed backups are named `<policy>-<type>-<time>` (core/naming.ts), in the cluster's
 * one Velero folder: a policy of the same cluster named `<policy>-<type>` would write backups of the same names.
 */
function acmNameIssues(document: unknown, policyPaths: Map<string, string>): ConfigIssue[] {
  return (list(document, 'acmBackups') as (Named & { cluster?: unknown })[]).flatMap((policy, i) => {
    const { name, cluster } = policy;
    if (typeof name !== 'string' || typeof cluster !== 'string') return [];
    return ACM_BACKUP_TYPES.flatMap((type) => {
      const taken = policyPaths.get(`${cluster}/${acmTypedPolicy(name, type)}`);
      return taken === undefined
        ? []
        : [
            {
              path: `acmBackups[${i}].name`,
              message:
                `its ${type} backups are named ${acmTypedPolicy(name, type)}-<time>, as are those ` +
                `of the policy at ${taken}; rename one of the two`,
            },
          ];
    });
  });
}

/**
 * Policy names are unique per cluster across every kind: `backup now CLUSTER/POLICY`, workflow ids and retention ids
 * name a policy by cluster and name alone.
 */
function policyNameIssue(
  policy: { name?: unknown; cluster?: unknown },
  path: string,
  policyPaths: Map<string, string>,
): ConfigIssue[] {
  if (typeof policy.name !== 'string' || typeof policy.cluster !== 'string') return [];
  const key = `${policy.cluster}/${policy.name}`;
  const first = policyPaths.get(key);
  if (first === undefined) {
    policyPaths.set(key, path);
    return [];
  }
  return [
    {
      path,
      message:
        `duplicate policy "${key}", already defined at ${first}; policy names are unique per cluster across ` +
        'etcdBackups, resourceBackups and acmBackups (backup now, workflow and retention ids use them): rename one',
    },
  ];
}

export function referenceIssues(document: unknown): ConfigIssue[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return [];
  const locations = list(document, 'storageLocations');
  const clusters = list(document, 'clusters') as RawCluster[];
  const policies = list(document, 'etcdBackups') as (Named & {
    cluster?: unknown;
    location?: unknown;
    mode?: unknown;
    job?: unknown;
    compression?: unknown;
    encryption?: unknown;
  })[];
  const locationNames = names(locations);
  const clusterNames = names(clusters);
  const issues = [...duplicates(locations, 'storageLocations'), ...duplicates(clusters, 'clusters')];
  const policyPaths = new Map<string, string>();
  policies.forEach((policy, i) => {
    if (typeof policy.cluster === 'string' && !clusterNames.includes(policy.cluster)) {
      issues.push({
        path: `etcdBackups[${i}].cluster`,
        message: `unknown cluster "${policy.cluster}"; define it under clusters (known: ${clusterNames.join(', ') || 'none'})`,
      });
    } else if (typeof policy.cluster === 'string') {
      const index = clusters.findIndex((c) => c.name === policy.cluster);
      if (!present(clusters[index]?.etcd)) {
        issues.push({
          path: `etcdBackups[${i}].cluster`,
          message:
            `cluster "${policy.cluster}" has no etcd, so it cannot have etcd backups; add clusters[${index}].etcd ` +
            '(statefulSet or endpoints), or move this policy to resourceBackups or to a cluster with etcd',
        });
      }
    }
    if (typeof policy.location === 'string' && !locationNames.includes(policy.location)) {
      issues.push({
        path: `etcdBackups[${i}].location`,
        message: `unknown storage location "${policy.location}"; define it under storageLocations (known: ${locationNames.join(', ') || 'none'})`,
      });
    }
    if (policy.mode === 'job') {
      if (policy.job === undefined) {
        issues.push({
          path: `etcdBackups[${i}].job`,
          message:
            'job mode needs job.credentialsSecret: the Secret with ACCESS_KEY_ID and SECRET_ACCESS_KEY for the store container',
        });
      }
      issues.push(...foreignStoreIssues(policy, i));
      const cluster = clusters.find((c) => c.name === policy.cluster) as
        { etcd?: { statefulSet?: unknown } } | undefined;
      if (cluster && !cluster.etcd?.statefulSet) {
        issues.push({
          path: `etcdBackups[${i}].mode`,
          message: `job mode runs a Job next to etcd, so cluster "${String(policy.cluster)}" needs etcd.statefulSet (not fixed endpoints)`,
        });
      }
    }
    issues.push(...policyNameIssue(policy, `etcdBackups[${i}].name`, policyPaths));
  });
  issues.push(...resourcePolicyIssues(document, 'resourceBackups', clusters, locationNames, policyPaths));
  issues.push(...resourcePolicyIssues(document, 'acmBackups', clusters, locationNames, policyPaths));
  issues.push(...acmNameIssues(document, policyPaths));
  return issues;
}
