import { Etcd3 } from 'etcd3';
import type { ClusterConfig } from '../core/config/schema.js';
import type { ActivityDeps } from './deps.js';
import { nonRetryable } from './failures.js';

export interface EtcdMemberStatus {
  name: string;
  endpoint: string;
  version: string;
  dbSizeBytes: number;
  revision: string;
  isLeader: boolean;
}

export interface EtcdClusterStatus {
  cluster: string;
  members: EtcdMemberStatus[];
  leaderName: string | undefined;
}

function findCluster(deps: ActivityDeps, name: string): ClusterConfig {
  const cluster = deps.config.clusters.find((c) => c.name === name);
  if (!cluster) {
    const known = deps.config.clusters.map((c) => c.name).join(', ') || 'none';
    throw nonRetryable('InvalidConfig', `Unknown cluster "${name}" (known: ${known}); check the worker's config.`);
  }
  return cluster;
}

function clientFor(endpoints: string[]): Etcd3 {
  return new Etcd3({ hosts: endpoints, dialTimeout: 3000 });
}

export function createEtcdActivities(deps: ActivityDeps) {
  return {
    /** Asks every member for its status: version, db size, revision and who leads. */
    async etcdClusterStatus(clusterName: string): Promise<EtcdClusterStatus> {
      const cluster = findCluster(deps, clusterName);
      const client = clientFor(cluster.etcd.endpoints);
      try {
        const { members } = await client.cluster.memberList({ linearizable: true });
        const statuses = await Promise.all(
          members.map(async (member) => {
            const endpoint = member.clientURLs[0]!;
            const one = clientFor([endpoint]);
            try {
              const status = await one.maintenance.status();
              return {
                name: member.name,
                endpoint,
                version: status.version,
                dbSizeBytes: Number(status.dbSize),
                revision: status.header.revision,
                isLeader: status.leader === status.header.member_id,
              };
            } finally {
              one.close();
            }
          }),
        );
        return { cluster: clusterName, members: statuses, leaderName: statuses.find((s) => s.isLeader)?.name };
      } finally {
        client.close();
      }
    },
  };
}
