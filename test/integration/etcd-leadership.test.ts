import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveLeadership, probeMembers } from '../../activities/etcd/members.js';
import { privateEtcd } from '../helpers/faults.js';

// A private cluster: moving the shared one's leader would disturb the test files running next to this one.
describe('moveLeadership (private three-member etcd)', () => {
  let etcd: Awaited<ReturnType<typeof privateEtcd>>;
  const connection = () => ({ cluster: 'leadership', endpoints: etcd.endpoints });

  beforeAll(async () => {
    etcd = await privateEtcd(join(mkdtempSync(join(tmpdir(), 'lifeboat-leadership-')), 'etcd'));
  });
  afterAll(() => etcd?.stop());

  it('hands leadership to the named member, and says so when it already leads', async () => {
    const before = (await probeMembers(connection())).reachable;
    const follower = before.find((m) => !m.isLeader)!.name;
    expect(await moveLeadership(connection(), follower)).toBe(true);
    const after = (await probeMembers(connection())).reachable;
    expect(after.find((m) => m.isLeader)?.name).toBe(follower);
    expect(await moveLeadership(connection(), follower)).toBe(true);
  });

  it('says no, without throwing, for a member that does not exist or a cluster without a leader', async () => {
    expect(await moveLeadership(connection(), 'no-such-member')).toBe(false);
    // The leader and one follower killed (stopped gracefully, the leader would hand over to the survivor): the last
    // member answers, but nobody leads.
    const members = (await probeMembers(connection())).reachable;
    const survivor = members.find((m) => !m.isLeader)!;
    const killed = members.filter((m) => m !== survivor);
    await Promise.all(killed.map((m) => etcd.members.get(m.endpoint)!.kill()));
    expect(await moveLeadership(connection(), survivor.name)).toBe(false);
  });
});
