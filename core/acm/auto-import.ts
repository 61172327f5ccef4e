/**
 * After the managed clusters are restored, the operator writes an auto-import secret for each cluster the new hub
 * cannot reach by itself (../shared/research/acm-backup-notes.md 3.6): the import controller uses it to re-register
 * the cluster with the new hub. Hive clusters come back through their restored admin kubeconfig; imported ones need
 * the token of a ManagedServiceAccount. Pure: which clusters get a secret, with what, and why the others do not.
 */

export const AUTO_IMPORT_SECRET = 'auto-import-secret';
/** Marks a secret this restore wrote, so a later restore may replace it (and never one a person wrote). */
export const RESTORE_AUTO_IMPORT_LABEL = 'cluster.open-cluster-management.io/restore-auto-import-secret';
export const KEEP_AUTO_IMPORT_ANNOTATION =
  'managedcluster-import-controller.open-cluster-management.io/keeping-auto-import-secret';
export const IMMEDIATE_IMPORT_ANNOTATION = 'import.open-cluster-management.io/immediate-import';
export const MSA_TOKEN_LABEL = 'authentication.open-cluster-management.io/is-managed-serviceaccount';
const MSA_TOKEN_NAMES = ['auto-import-account', 'auto-import-account-pair'];

export interface RestoredManagedCluster {
  name: string;
  labels: Record<string, string>;
  /** The ManagedClusterConditionAvailable condition is True. */
  available: boolean;
  /** spec.managedClusterClientConfigs[0].url */
  url?: string;
}

export interface MsaTokenSecret {
  name: string;
  labels: Record<string, string>;
  /** The `expirationTimestamp` annotation the backup side copies from the MSA's status. */
  expiresAt?: string;
  createdAt?: string;
  hasToken: boolean;
}

export type AutoImportDecision =
  | { cluster: string; action: 'import'; server: string; tokenSecret: string }
  | { cluster: string; action: 'skip'; why: string };

function pickToken(secrets: MsaTokenSecret[], now: Date): MsaTokenSecret | undefined {
  const candidates = secrets.filter(
    (s) => s.labels[MSA_TOKEN_LABEL] === 'true' && MSA_TOKEN_NAMES.includes(s.name) && s.hasToken,
  );
  if (candidates.length <= 1) return candidates[0];
  const valid = candidates.find((s) => s.expiresAt !== undefined && Date.parse(s.expiresAt) > now.getTime());
  if (valid) return valid;
  return [...candidates].sort((a, b) => Date.parse(b.createdAt ?? '') - Date.parse(a.createdAt ?? '') || 0)[0];
}

/** One decision per managed cluster, the local one excluded, in the clusters' order. */
export function autoImportDecisions(
  clusters: RestoredManagedCluster[],
  tokensByNamespace: Record<string, MsaTokenSecret[]>,
  now: Date,
): AutoImportDecision[] {
  return clusters
    .filter((c) => c.labels['local-cluster'] !== 'true')
    .map((c): AutoImportDecision => {
      if (c.available) return { cluster: c.name, action: 'skip', why: 'it is available: it reached the new hub' };
      if (!c.url) {
        return {
          cluster: c.name,
          action: 'skip',
          why: 'it has no spec.managedClusterClientConfigs[0].url (a Hive cluster reconnects through its restored admin kubeconfig)',
        };
      }
      const token = pickToken(tokensByNamespace[c.name] ?? [], now);
      if (!token) {
        return {
          cluster: c.name,
          action: 'skip',
          why: `no ManagedServiceAccount token (Secret auto-import-account labelled ${MSA_TOKEN_LABEL}=true) in namespace ${c.name}: it stays Pending Import until an auto-import-secret is written by hand`,
        };
      }
      return { cluster: c.name, action: 'import', server: c.url, tokenSecret: token.name };
    });
}
