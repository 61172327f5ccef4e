import type { ClusterConfig, EtcdBackupPolicy, LifeboatConfig } from '../core/config/schema.js';
import { CliError, ExitCode } from './exit-codes.js';

/** `<cluster>/<policy>` as given on the command line, checked against the config. */
export function resolvePolicy(config: LifeboatConfig, target: string): EtcdBackupPolicy {
  const [cluster, policy, ...rest] = target.split('/');
  if (!cluster || !policy || rest.length > 0) {
    throw new CliError(`"${target}" is not <cluster>/<policy>, e.g. demo/hourly.`, ExitCode.BadInput);
  }
  const found = config.etcdBackups.find((p) => p.cluster === cluster && p.name === policy);
  if (!found) {
    const known = config.etcdBackups.map((p) => `${p.cluster}/${p.name}`).join(', ') || 'none';
    throw new CliError(`No etcd backup policy ${target} in the config (known: ${known}).`, ExitCode.BadInput);
  }
  return found;
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
