import { Etcd3 } from 'etcd3';
import type { ActivityDeps } from './deps.js';
import { findCluster } from './config-lookup.js';

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

export interface MemberProbe {
  reachable: EtcdMemberStatus[];
  unreachable: { endpoint: string; error: string }[];
}

/**
 * HTTP/2's default 64 KiB flow-control window halves snapshot throughput (a WINDOW_UPDATE round trip every 64 KiB);
 * 4 MiB streams faster than etcdctl while bounding what the server may send ahead of us (bench/etcd-snapshot).
 */
const FLOW_CONTROL_WINDOW = 4 * 1024 * 1024;

export function etcdClient(endpoints: string[]): Etcd3 {
  return new Etcd3({
    hosts: endpoints,
    dialTimeout: 3000,
    grpcOptions: { 'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW },
  });
}

/** Asks each endpoint for its own status, one connection per endpoint, so one dead member cannot hide the others. */
export async function probeMembers(endpoints: string[]): Promise<MemberProbe> {
  const results = await Promise.all(
    endpoints.map(async (endpoint) => {
      const client = etcdClient([endpoint]);
      try {
        const status = await client.maintenance.status({ deadline: Date.now() + 5000 });
        const { members } = await client.cluster.memberList({ linearizable: false }, { deadline: Date.now() + 5000 });
        const self = members.find((m) => m.ID === status.header.member_id);
        const member: EtcdMemberStatus = {
          name: self?.name ?? status.header.member_id,
          endpoint,
          version: status.version,
          dbSizeBytes: Number(status.dbSize),
          revision: status.header.revision,
          isLeader: status.leader === status.header.member_id,
        };
        return { ok: true as const, member };
      } catch (err) {
        return { ok: false as const, endpoint, error: (err as Error).message };
      } finally {
        client.close();
      }
    }),
  );
  return {
    reachable: results.flatMap((r) => (r.ok ? [r.member] : [])),
    unreachable: results.flatMap((r) => (r.ok ? [] : [{ endpoint: r.endpoint, error: r.error }])),
  };
}

export function createEtcdActivities(deps: ActivityDeps) {
  return {
    /** Status of every configured member: version, db size, revision and who leads. */
    async etcdClusterStatus(clusterName: string): Promise<EtcdClusterStatus> {
      const cluster = findCluster(deps, clusterName);
      const { reachable } = await probeMembers(cluster.etcd.endpoints);
      return { cluster: clusterName, members: reachable, leaderName: reachable.find((s) => s.isLeader)?.name };
    },
  };
}
