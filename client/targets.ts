import type {
  AcmBackupPolicy,
  ClusterConfig,
  EtcdBackupPolicy,
  LifeboatConfig,
  ResourceBackupPolicy,
} from '../core/config/schema.js';
import { BackupKinds } from '../core/layout.js';
import { CliError, ExitCode } from './exit-codes.js';

/** A policy of any kind, as `backup now` takes it: policy names are unique per cluster across kinds. */
export type AnyBackupPolicy =
  | { kind: typeof BackupKinds.etcd; policy: EtcdBackupPolicy }
  | { kind: typeof BackupKinds.resources; policy: ResourceBackupPolicy }
  /** An ACM hub backup policy: its sets are resource backups, one per type. */
  | { kind: 'acm'; policy: AcmBackupPolicy };

function splitTarget(target: string): [cluster: string, policy: string] {
  const [cluster, policy, ...rest] = target.split('/');
  if (!cluster || !policy || rest.length > 0) {
    throw new CliError(`"${target}" is not <cluster>/<policy>, e.g. demo/hourly.`, ExitCode.BadInput);
  }
  return [cluster, policy];
}

const ids = (policies: { cluster: string; name: string }[]) =>
  policies.map((p) => `${p.cluster}/${p.name}`).join(', ') || 'none';

/** `<cluster>/<policy>` of a policy of any kind; an unknown one is named with the known policies of both kinds. */
export function resolveAnyPolicy(config: LifeboatConfig, target: string): AnyBackupPolicy {
  const [cluster, policy] = splitTarget(target);
  const etcd = config.etcdBackups.find((p) => p.cluster === cluster && p.name === policy);
  if (etcd) return { kind: BackupKinds.etcd, policy: etcd };
  const resources = config.resourceBackups.find((p) => p.cluster === cluster && p.name === policy);
  if (resources) return { kind: BackupKinds.resources, policy: resources };
  const acm = config.acmBackups.find((p) => p.cluster === cluster && p.name === policy);
  if (acm) return { kind: 'acm', policy: acm };
  throw new CliError(
    `No backup policy ${target} in the config (known etcd policies: ${ids(config.etcdBackups)}; ` +
      `known resource policies: ${ids(config.resourceBackups)}; known ACM hub policies: ${ids(config.acmBackups)}). ` +
      `Name one of those, or add ${target} to the config's etcdBackups, resourceBackups or acmBackups.`,
    ExitCode.BadInput,
  );
}

/** A cluster named on the command line, checked against the config file it should be in. */
export function resolveCluster(config: LifeboatConfig, name: string, file: string): ClusterConfig {
  const cluster = config.clusters.find((c) => c.name === name);
  if (!cluster) {
    const known = config.clusters.map((c) => c.name).join(', ') || 'none';
    throw new CliError(`No cluster "${name}" in ${file} (known: ${known}).`, ExitCode.BadInput);
  }
  return cluster;
}
