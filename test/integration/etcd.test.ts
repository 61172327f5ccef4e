import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { probeMembers } from '../../activities/etcd/members.js';
import { resolveEtcd } from '../../activities/etcd/target.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { isolatedConfig, testDeps, uniqueName } from '../helpers/stack.js';

describe('etcd (real three-member cluster)', () => {
  let config: LifeboatConfig;
  let etcd: Etcd3;

  beforeAll(async () => {
    config = (await isolatedConfig()).config;
    etcd = new Etcd3({ hosts: inject('etcdEndpoints') });
  });
  afterAll(() => etcd?.close());

  /** The members as a backup sees them: the cluster's etcd resolved from the config, each member probed. */
  const etcdStatus = async (cluster: string) => ({
    members: (await probeMembers(await resolveEtcd(testDeps(config, new Map()), cluster))).reachable,
  });

  it('a probe reports every member, one leader, the built version and a revision that moves', async () => {
    const before = await etcdStatus('local');
    expect(before.members.map((m) => m.name).sort()).toEqual(['member-0', 'member-1', 'member-2']);
    expect(before.members.filter((m) => m.isLeader)).toHaveLength(1);
    for (const member of before.members) {
      expect(member.version).toBe('3.6.14');
      expect(inject('etcdEndpoints')).toContain(member.endpoint);
      expect(member.dbSizeBytes).toBeGreaterThan(0);
    }

    const key = uniqueName('/lifeboat-test/key');
    await etcd.put(key).value('v1');
    const after = await etcdStatus('local');
    const revision = (s: typeof before) => Math.max(...s.members.map((m) => Number(m.revision)));
    expect(revision(after)).toBeGreaterThan(revision(before));
    expect(await etcd.get(key).string()).toBe('v1');
  });

  it('an unknown cluster name is a non-retryable config error', async () => {
    await expect(etcdStatus('nope')).rejects.toMatchObject({
      type: 'InvalidConfig',
      nonRetryable: true,
    });
  });
});
