import { MSA_TOKEN_LABEL } from './auto-import.js';
import { BACKUP_LABEL, CREDENTIAL_LABELS } from './backup-selection.js';

/**
 * The labels a hub's credentials need before each backup, so that the credentials backup (which selects Secrets and
 * ConfigMaps by label) holds what a new hub needs to reach its clusters: the cluster-backup-operator's pre-backup
 * step (../shared/research/acm-backup-notes.md 1.3). A pure decision over what the hub serves; the activity applies
 * the patches with its own narrow identity (patch on secrets and configmaps only). Where ManagedServiceAccount token
 * secrets exist (`auto-import-account*`), they are labelled `msa`, so a new hub can write auto-import secrets from
 * them; creating the ManagedServiceAccounts themselves is out of scope (issue 15).
 */

export interface HubObject {
  namespace: string;
  name: string;
  labels: Record<string, string>;
}

/** What a ClusterDeployment names: its pool, and the Secrets and ConfigMaps it points to (names in its namespace). */
export interface ClusterDeploymentFacts {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** spec.clusterPoolRef is set: the cluster came from a pool. */
  fromPool: boolean;
  certificateSecrets: string[];
  pullSecret?: string;
  manifestsSecret?: string;
  manifestsConfigMap?: string;
}

export interface HubCredentials {
  localClusterNamespace: string;
  clusterDeployments: ClusterDeploymentFacts[];
  clusterPools: { namespace: string; name: string }[];
  secrets: HubObject[];
  configMaps: HubObject[];
}

/** A listed hub object as the API answers (a Secret or ConfigMap as metadata only, a ClusterDeployment whole). */
export interface HubListItem {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    clusterPoolRef?: unknown;
    certificateBundles?: { certificateSecretRef?: { name?: string } }[];
    pullSecretRef?: { name?: string };
    provisioning?: { manifestsSecretRef?: { name?: string }; manifestsConfigMapRef?: { name?: string } };
  };
}

export const hubObject = (item: HubListItem): HubObject => ({
  namespace: item.metadata?.namespace ?? '',
  name: item.metadata?.name ?? '',
  labels: item.metadata?.labels ?? {},
});

/** What a ClusterDeployment names, read from its spec (the fields the operator follows, notes 1.3). */
export function clusterDeploymentFacts(item: HubListItem): ClusterDeploymentFacts {
  const spec = item.spec ?? {};
  const names = (refs: ({ name?: string } | undefined)[]) => refs.flatMap((r) => (r?.name ? [r.name] : []));
  const [pullSecret] = names([spec.pullSecretRef]);
  const [manifestsSecret] = names([spec.provisioning?.manifestsSecretRef]);
  const [manifestsConfigMap] = names([spec.provisioning?.manifestsConfigMapRef]);
  return {
    ...hubObject(item),
    fromPool: spec.clusterPoolRef !== undefined,
    certificateSecrets: names((spec.certificateBundles ?? []).map((b) => b.certificateSecretRef)),
    ...(pullSecret ? { pullSecret } : {}),
    ...(manifestsSecret ? { manifestsSecret } : {}),
    ...(manifestsConfigMap ? { manifestsConfigMap } : {}),
  };
}

/** A merge patch of one object's labels: a value sets the label, null removes it. */
export interface LabelPatch {
  resource: 'secrets' | 'configmaps' | 'clusterdeployments.hive.openshift.io';
  namespace: string;
  name: string;
  labels: Record<string, string | null>;
  reason: string;
}

/** Lets Hive's admission webhook accept the restored ClusterDeployment of a pool (its creation check refuses it). */
export const HIVE_DR_LABEL = 'hive.openshift.io/disable-creation-webhook-for-dr';
const AGENT_INSTALL_WATCH = 'agent-install.openshift.io/watch';
const METAL3_ENVIRONMENT = 'environment.metal3.io';
const MACHINE_API_NAMESPACE = 'openshift-machine-api';
const MSA_TOKEN_PREFIX = 'auto-import-account';

/** Already in the credentials backup: one of its labels has a value (an empty value counts as none, as the operator's). */
function labelled(object: HubObject): boolean {
  return CREDENTIAL_LABELS.some((label) => (object.labels[label] ?? '') !== '');
}

export function credentialLabelPatches(hub: HubCredentials): LabelPatch[] {
  const patches: LabelPatch[] = [];
  const done = new Set<string>();
  const key = (resource: string, o: { namespace: string; name: string }) => `${resource}|${o.namespace}/${o.name}`;
  /** The first rule that reaches an unlabelled object decides its value; later rules see it labelled. */
  const label = (resource: 'secrets' | 'configmaps', object: HubObject | undefined, value: string, reason: string) => {
    if (!object || labelled(object) || done.has(key(resource, object))) return;
    done.add(key(resource, object));
    patches.push({
      resource,
      namespace: object.namespace,
      name: object.name,
      labels: { [BACKUP_LABEL]: value },
      reason,
    });
  };
  const inNamespace = (list: HubObject[], namespace: string) => list.filter((o) => o.namespace === namespace);
  const find = (list: HubObject[], namespace: string, name: string | undefined) =>
    name === undefined ? undefined : list.find((o) => o.namespace === namespace && o.name === name);

  const deployments = hub.clusterDeployments.filter((cd) => cd.namespace !== hub.localClusterNamespace);
  for (const cd of deployments) {
    const why = `named by ClusterDeployment ${cd.namespace}/${cd.name}`;
    for (const name of cd.certificateSecrets)
      label('secrets', find(hub.secrets, cd.namespace, name), 'certificatebundle', `${why} (certificateBundles)`);
    label('secrets', find(hub.secrets, cd.namespace, cd.pullSecret), 'pullsecret', `${why} (pullSecretRef)`);
    label('secrets', find(hub.secrets, cd.namespace, cd.manifestsSecret), 'manifestssecret', `${why} (manifests)`);
    label(
      'configmaps',
      find(hub.configMaps, cd.namespace, cd.manifestsConfigMap),
      'manifestsconfigmap',
      `${why} (manifests)`,
    );
  }
  // A pool's clusters: the secrets whose names start with the cluster's (or the pool's) name, not bootstrap ones.
  // The import secret is the old hub's: a new hub makes its own (ACM-2327), so it is never labelled, and loses the label.
  const importSecretOf = (namespace: string) => `${namespace}-import`;
  const poolSecrets = (namespace: string, prefix: string, reason: string) => {
    for (const secret of inNamespace(hub.secrets, namespace))
      if (
        secret.name.startsWith(prefix) &&
        !secret.name.includes('-bootstrap-') &&
        secret.name !== importSecretOf(namespace)
      )
        label('secrets', secret, 'clusterpool', reason);
  };
  for (const cd of deployments.filter((d) => d.fromPool)) {
    poolSecrets(cd.namespace, cd.name, `a secret of pool-made cluster ${cd.namespace}/${cd.name}`);
    if (cd.labels[HIVE_DR_LABEL] !== 'true') {
      patches.push({
        resource: 'clusterdeployments.hive.openshift.io',
        namespace: cd.namespace,
        name: cd.name,
        labels: { [HIVE_DR_LABEL]: 'true' },
        reason: "so Hive's creation webhook accepts it when it is restored",
      });
    }
    const importSecret = find(hub.secrets, cd.namespace, importSecretOf(cd.namespace));
    if (importSecret && importSecret.labels[BACKUP_LABEL] === 'clusterpool') {
      patches.push({
        resource: 'secrets',
        namespace: importSecret.namespace,
        name: importSecret.name,
        labels: { [BACKUP_LABEL]: null },
        reason: 'the import secret of a pool-made cluster is made again by the new hub',
      });
    }
  }
  for (const pool of hub.clusterPools.filter((p) => p.namespace !== hub.localClusterNamespace))
    poolSecrets(pool.namespace, pool.name, `a secret of ClusterPool ${pool.namespace}/${pool.name}`);

  for (const secret of hub.secrets) {
    if (secret.labels[AGENT_INSTALL_WATCH] === 'true')
      label('secrets', secret, 'agent-install', `labelled ${AGENT_INSTALL_WATCH}=true`);
    if (secret.labels[METAL3_ENVIRONMENT] === 'baremetal' && secret.namespace !== MACHINE_API_NAMESPACE)
      label('secrets', secret, 'baremetal', `labelled ${METAL3_ENVIRONMENT}=baremetal`);
    if (secret.labels[MSA_TOKEN_LABEL] === 'true' && secret.name.startsWith(MSA_TOKEN_PREFIX))
      label(
        'secrets',
        secret,
        'msa',
        'a ManagedServiceAccount token: the activation writes auto-import secrets from it',
      );
  }
  return patches;
}
