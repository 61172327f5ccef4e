import type { V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { etcdMemberLayout, flagValue, memberCount } from '../../core/etcd-members.js';
import { RESTORE_REPLICAS_ANNOTATION } from '../../core/kube-metadata.js';

/** The shapes of etcd StatefulSets met in the wild: flags with "=", split flags, env-style configuration. */
function statefulSet(container: Record<string, unknown>, extra: Partial<V1StatefulSet['spec']> = {}): V1StatefulSet {
  return {
    metadata: { namespace: 'cluster-a', name: 'etcd' },
    spec: {
      replicas: 3,
      serviceName: 'etcd-peer',
      selector: { matchLabels: { app: 'etcd', cluster: 'a' } },
      template: {
        spec: {
          containers: [
            {
              name: 'etcd',
              image: 'registry.k8s.io/etcd:3.6.14',
              volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }],
              ...container,
            },
          ],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
      ...extra,
    },
  };
}

const podNameEnv = [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }];

describe('etcdMemberLayout', () => {
  it('reads peer URLs from --initial-advertise-peer-urls with the pod name filled in (the local stack shape)', () => {
    const result = etcdMemberLayout(
      statefulSet({
        command: ['etcd'],
        env: podNameEnv,
        args: [
          '--name=$(POD_NAME)',
          '--data-dir=/var/lib/etcd/data',
          '--initial-advertise-peer-urls=http://$(POD_NAME).etcd-peer.cluster-a.svc.cluster.local:2380',
        ],
      }),
      3,
    );
    expect(result).toEqual({
      ok: true,
      layout: {
        namespace: 'cluster-a',
        statefulSet: 'etcd',
        members: [0, 1, 2].map((i) => ({
          name: `etcd-${i}`,
          peerUrl: `http://etcd-${i}.etcd-peer.cluster-a.svc.cluster.local:2380`,
          claim: `data-etcd-${i}`,
        })),
        claimTemplate: 'data',
        mountPath: '/var/lib/etcd',
        dataDir: '/var/lib/etcd/data',
        selector: { app: 'etcd', cluster: 'a' },
      },
    });
  });

  it('prefers --initial-cluster when it lists every member, and accepts split "--flag value" arguments', () => {
    const result = etcdMemberLayout(
      statefulSet({
        command: [
          '/usr/local/bin/etcd',
          '--data-dir',
          '/var/lib/etcd',
          '--initial-cluster',
          'etcd-0=https://a:2380,etcd-1=https://b:2380',
        ],
      }),
      2,
    );
    expect(result.ok && result.layout.members.map((m) => m.peerUrl)).toEqual(['https://a:2380', 'https://b:2380']);
    expect(result.ok && result.layout.dataDir).toBe('/var/lib/etcd');
  });

  it('reads ETCD_* environment variables as etcd does', () => {
    const result = etcdMemberLayout(
      statefulSet({
        command: ['etcd'],
        env: [
          ...podNameEnv,
          { name: 'ETCD_DATA_DIR', value: '/var/lib/etcd/member-data' },
          { name: 'ETCD_INITIAL_ADVERTISE_PEER_URLS', value: 'https://$(POD_NAME).peers:2380' },
        ],
      }),
      1,
    );
    expect(result.ok && result.layout.members).toEqual([
      { name: 'etcd-0', peerUrl: 'https://etcd-0.peers:2380', claim: 'data-etcd-0' },
    ]);
  });

  it('picks the deepest claim-backed mount holding the data dir', () => {
    const result = etcdMemberLayout(
      statefulSet(
        {
          command: ['etcd', '--data-dir=/var/lib/etcd/data/member', '--initial-cluster=etcd-0=http://x:2380'],
          volumeMounts: [
            { name: 'scratch', mountPath: '/var/lib/etcd' },
            { name: 'etcd-data', mountPath: '/var/lib/etcd/data' },
          ],
        },
        { volumeClaimTemplates: [{ metadata: { name: 'etcd-data' } }, { metadata: { name: 'other' } }] },
      ),
      1,
    );
    expect(result.ok && [result.layout.claimTemplate, result.layout.members[0]!.claim]).toEqual([
      'etcd-data',
      'etcd-data-etcd-0',
    ]);
  });

  it.each([
    ['no etcd container', statefulSet({ name: 'sidecar', command: ['sleep'] }), /no etcd container/],
    ['no data dir', statefulSet({ command: ['etcd', '--initial-cluster=etcd-0=http://x:2380'] }), /sets no --data-dir/],
    [
      'data dir on an emptyDir',
      statefulSet({ command: ['etcd', '--data-dir=/tmp/etcd', '--initial-cluster=etcd-0=http://x:2380'] }),
      /not on a volumeClaimTemplate volume/,
    ],
    [
      'peer URL from an unresolvable variable',
      statefulSet({
        command: ['etcd', '--data-dir=/var/lib/etcd', '--initial-advertise-peer-urls=http://$(HOSTNAME_FQDN):2380'],
      }),
      /cannot tell member etcd-0's peer URL/,
    ],
    [
      'an initial cluster that misses a member, and no advertise URL',
      statefulSet({ command: ['etcd', '--data-dir=/var/lib/etcd', '--initial-cluster=etcd-0=http://x:2380'] }),
      /member etcd-1/,
    ],
  ])('refuses %s with a message that says what is missing', (_what, sts, message) => {
    const result = etcdMemberLayout(sts, 2);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(message);
    expect(!result.ok && result.error).toContain('StatefulSet cluster-a/etcd');
  });
});

describe('memberCount', () => {
  it('is the replica count, unless a restore holds the StatefulSet at 0 and remembered the count', () => {
    expect(memberCount(statefulSet({}))).toBe(3);
    const held = statefulSet({}, { replicas: 0 });
    held.metadata!.annotations = { [RESTORE_REPLICAS_ANNOTATION]: '5' };
    expect(memberCount(held)).toBe(5);
    held.metadata!.annotations = { [RESTORE_REPLICAS_ANNOTATION]: 'garbage' };
    expect(memberCount(held)).toBe(0);
    const zero = etcdMemberLayout(held, memberCount(held));
    expect(!zero.ok && zero.error).toMatch(/0 replicas and no member count/);
  });
});

describe('flagValue', () => {
  it('takes the last occurrence, in either form, and nothing from a flag without a value', () => {
    expect(flagValue(['--a=1', '--a', '2'], '--a')).toBe('2');
    expect(flagValue(['--a=1', '--ab=3'], '--a')).toBe('1');
    expect(flagValue(['--a'], '--a')).toBeUndefined();
  });
});
