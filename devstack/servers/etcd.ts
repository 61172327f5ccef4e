import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessSpec } from '../process.js';
import { httpOk } from './http.js';

export interface EtcdClusterOptions {
  binary: string;
  dataDir: string;
  /** Member i listens for clients on clientPorts[i] and for peers on peerPorts[i]. */
  clientPorts: number[];
  peerPorts: number[];
  clusterToken: string;
  /** Tests trade durability for speed; the dev stack keeps fsync. */
  unsafeNoFsync?: boolean;
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
}

export function etcdMembers(opts: Pick<EtcdClusterOptions, 'clientPorts' | 'peerPorts'>): EtcdMember[] {
  return opts.clientPorts.map((port, i) => ({
    name: `member-${i}`,
    clientUrl: `http://127.0.0.1:${port}`,
    peerUrl: `http://127.0.0.1:${opts.peerPorts[i]}`,
  }));
}

/** One process spec per member of a static-bootstrap cluster; a restart on existing data rejoins it. */
export function etcdCluster(opts: EtcdClusterOptions): ProcessSpec[] {
  const members = etcdMembers(opts);
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  return members.map((member) => {
    const dir = join(opts.dataDir, member.name);
    mkdirSync(dir, { recursive: true });
    const args = [
      '--name',
      member.name,
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      member.clientUrl,
      '--advertise-client-urls',
      member.clientUrl,
      '--listen-peer-urls',
      member.peerUrl,
      '--initial-advertise-peer-urls',
      member.peerUrl,
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-token',
      opts.clusterToken,
      '--initial-cluster-state',
      'new',
      '--log-level',
      'warn',
    ];
    if (opts.unsafeNoFsync) args.push('--unsafe-no-fsync');
    return {
      name: `etcd ${member.name}`,
      command: opts.binary,
      args,
      logFile: join(dir, 'etcd.log'),
      startTimeoutMs: 30_000,
      // /health needs quorum, so a member only turns ready once its peers run too: start members together.
      ready: () => httpOk(`${member.clientUrl}/health`),
    };
  });
}
