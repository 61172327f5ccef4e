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

export function referenceIssues(document: unknown): ConfigIssue[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return [];
  const locations = list(document, 'storageLocations');
  const clusters = list(document, 'clusters');
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
  const policyKeys = new Set<string>();
  policies.forEach((policy, i) => {
    if (typeof policy.cluster === 'string' && !clusterNames.includes(policy.cluster)) {
      issues.push({
        path: `etcdBackups[${i}].cluster`,
        message: `unknown cluster "${policy.cluster}"; define it under clusters (known: ${clusterNames.join(', ') || 'none'})`,
      });
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
    const key = `${String(policy.cluster)}/${String(policy.name)}`;
    if (typeof policy.name === 'string' && policyKeys.has(key)) {
      issues.push({ path: `etcdBackups[${i}].name`, message: `duplicate policy "${key}"` });
    }
    policyKeys.add(key);
  });
  return issues;
}
