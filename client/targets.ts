import type { EtcdBackupPolicy, LifeboatConfig } from '../core/config/schema.js';
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
