import { Etcd3 } from 'etcd3';
import type { EtcdConnection } from './target.js';

export interface EtcdMemberStatus {
  name: string;
  endpoint: string;
  version: string;
  dbSizeBytes: number;
  revision: string;
  isLeader: boolean;
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

export function etcdClient(endpoints: string[], tls?: EtcdConnection['tls']): Etcd3 {
  return new Etcd3({
    hosts: endpoints,
    dialTimeout: 3000,
    ...(tls ? { credentials: { rootCertificate: tls.ca, certChain: tls.cert, privateKey: tls.key } } : {}),
    grpcOptions: {
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
      // Members are dialled by IP; their certificate names the client Service.
      ...(tls?.serverName
        ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName }
        : {}),
    },
  });
}

/** Asks each endpoint for its own status, one connection per endpoint, so one dead member cannot hide the others. */
export async function probeMembers(connection: EtcdConnection): Promise<MemberProbe> {
  const results = await Promise.all(
    connection.endpoints.map(async (endpoint) => {
      const client = etcdClient([endpoint], connection.tls);
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

/**
 * Asks the leader to hand leadership to the member named `to`. Best effort: true when `to` leads (already, or now),
 * false when that could not be arranged (no leader, no such member, a member that does not answer).
 */
export async function moveLeadership(connection: EtcdConnection, to: string): Promise<boolean> {
  const leader = (await probeMembers(connection)).reachable.find((m) => m.isLeader);
  if (!leader) return false;
  if (leader.name === to) return true;
  const client = etcdClient([leader.endpoint], connection.tls);
  try {
    const { members } = await client.cluster.memberList({ linearizable: false }, { deadline: Date.now() + 5000 });
    const target = members.find((m) => m.name === to);
    if (!target) return false;
    await client.maintenance.moveLeader({ targetID: target.ID }, { deadline: Date.now() + 10_000 });
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}
