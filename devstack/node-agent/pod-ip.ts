import { createHash } from 'node:crypto';

/**
 * A Pod's loopback address, derived from namespace/name only: a StatefulSet member recreated under the same name gets
 * the same address, so peers that cached it (etcd does) keep reaching it. 127.64.0.0/10 stays clear of 127.0.0.x,
 * where the host's own servers listen; Linux answers on all of 127.0.0.0/8 without configuration.
 */
export function podIp(namespace: string, name: string): string {
  const digest = createHash('sha256').update(`${namespace}/${name}`).digest();
  const x = 64 + (digest[0]! & 63);
  const y = digest[1]!;
  const z = 1 + (digest[2]! % 254);
  return `127.${x}.${y}.${z}`;
}
