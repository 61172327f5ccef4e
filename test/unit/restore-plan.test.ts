import { describe, expect, it } from 'vitest';
import {
  checkRestoredRevision,
  chooseBackup,
  planEtcdRestore,
  planFromInspection,
  plannedBump,
  preflightCheck,
  REVISION_SLACK,
  scaleDownStages,
  strandedRestore,
  revisionBump,
  type RestoreTarget,
} from '../../core/restore-plan.js';

const t = (iso: string) => new Date(iso);

describe('chooseBackup', () => {
  const candidates = [
    { backup: 'hourly-20260101010000', time: t('2026-01-01T01:00:00Z'), complete: true },
    { backup: 'hourly-20260101030000', time: t('2026-01-01T03:00:00Z'), complete: false },
    { backup: 'hourly-20260101020000', time: t('2026-01-01T02:00:00Z'), complete: true },
  ];

  it('latest is the newest complete backup, never an incomplete newer one', () => {
    expect(chooseBackup(candidates, 'latest')).toEqual({ ok: true, backup: 'hourly-20260101020000' });
  });

  it('a named complete backup is taken as asked', () => {
    expect(chooseBackup(candidates, 'hourly-20260101010000')).toEqual({ ok: true, backup: 'hourly-20260101010000' });
  });

  it('refuses an incomplete backup by name', () => {
    expect(chooseBackup(candidates, 'hourly-20260101030000')).toEqual({
      ok: false,
      error: 'backup hourly-20260101030000 is incomplete (no manifest): it cannot be trusted',
    });
  });

  it('an unknown name lists the newest complete ones', () => {
    expect(chooseBackup(candidates, 'nope')).toEqual({
      ok: false,
      error: 'no backup named nope (newest: hourly-20260101020000, hourly-20260101010000)',
    });
  });

  it('latest with nothing complete is an error', () => {
    expect(chooseBackup([candidates[1]!], 'latest')).toEqual({
      ok: false,
      error: 'there is no complete backup to restore',
    });
    expect(chooseBackup([], 'latest').ok).toBe(false);
  });
});

describe('revisionBump', () => {
  it('bumps past the live revision with a margin when it is known', () => {
    expect(revisionBump(1000n, 5000n)).toBe(1_004_000n);
  });

  it('bumps by a billion when the live revision is unknown or lower', () => {
    expect(revisionBump(1000n, undefined)).toBe(1_000_000_000n);
    expect(revisionBump(1000n, 10n)).toBe(1_000_000_000n);
  });

  it('always leaves the restored revision above the live one', () => {
    for (const [backup, live] of [
      [1n, 2n],
      [500n, 500n],
      [123n, 9_999_999n],
    ] as const) {
      expect(backup + revisionBump(backup, live)).toBeGreaterThan(live);
    }
  });
});

describe('planEtcdRestore', () => {
  const target: RestoreTarget = {
    cluster: 'demo',
    namespace: 'tenant-demo',
    statefulSet: 'etcd',
    members: [0, 1, 2].map((i) => ({
      name: `etcd-${i}`,
      peerUrl: `http://etcd-${i}.etcd-peer.tenant-demo.svc.cluster.local:2380`,
    })),
    volumeClaims: ['data-etcd-0', 'data-etcd-1', 'data-etcd-2'],
    apiserver: { namespace: 'tenant-demo', name: 'apiserver', replicas: 2 },
    schedules: ['etcd-backup/demo/hourly'],
  };

  it('follows the runbook order', () => {
    const kinds = planEtcdRestore(target, {
      backup: 'hourly-20260101020000',
      requireApproval: true,
      bumpRevision: true,
    }).map((s) => s.kind);
    expect(kinds).toEqual([
      'preflight',
      'approval',
      'pause-schedules',
      'pause-control-plane',
      'scale-etcd-down',
      'delete-volumes',
      'restore-members',
      'scale-etcd-up',
      'wait-for-quorum',
      'verify-revision',
      'mark-initialized',
      'unpause-control-plane',
      'resume-schedules',
    ]);
  });

  it('deleting the volumes is the point of no return, and everything after it stays past it', () => {
    const steps = planEtcdRestore(target, { backup: 'b', requireApproval: false, bumpRevision: true });
    const first = steps.findIndex((s) => s.pointOfNoReturn);
    expect(steps[first]!.kind).toBe('delete-volumes');
    expect(steps.slice(0, first).every((s) => !s.pointOfNoReturn)).toBe(true);
    expect(steps.slice(first).every((s) => s.pointOfNoReturn)).toBe(true);
  });

  it('says what each step touches, and remembers the replica count to restore', () => {
    const steps = planEtcdRestore(target, { backup: 'b', requireApproval: false, bumpRevision: false });
    const by = (kind: string) => steps.find((s) => s.kind === kind)!;
    expect(by('delete-volumes').touches).toEqual([
      'PersistentVolumeClaim tenant-demo/data-etcd-0',
      'PersistentVolumeClaim tenant-demo/data-etcd-1',
      'PersistentVolumeClaim tenant-demo/data-etcd-2',
    ]);
    expect(by('pause-control-plane').title).toBe('scale Deployment tenant-demo/apiserver to 0 (it had 2)');
    expect(by('unpause-control-plane').title).toBe('scale Deployment tenant-demo/apiserver back to 2');
    expect(by('restore-members').title).not.toContain('bumped');
    expect(steps.map((s) => s.kind)).not.toContain('approval');
  });

  it('without a control plane to pause, there is nothing to pause or unpause', () => {
    const kinds = planEtcdRestore(
      { ...target, apiserver: undefined },
      { backup: 'b', requireApproval: false, bumpRevision: true },
    ).map((s) => s.kind);
    expect(kinds).not.toContain('pause-control-plane');
    expect(kinds).not.toContain('unpause-control-plane');
  });

  describe('preflight says how it will check the object', () => {
    const inspected = (verify: 'store-checksum' | 'download' | undefined, storeChecksum?: string) => ({
      source: { backup: 'b', ...(storeChecksum ? { storeChecksum } : {}) },
      layout: {
        namespace: target.namespace,
        statefulSet: target.statefulSet,
        members: target.members.map((m, i) => ({ ...m, claim: target.volumeClaims[i]! })),
      },
      schedules: [],
      settings: { requireApproval: false, bumpRevision: true, ...(verify ? { verify } : {}) },
    });
    const preflightTitle = (i: ReturnType<typeof inspected>) => planFromInspection('demo', i, false)[0]!.title;

    it("by the store's checksum when asked to and the manifest recorded one", () => {
      expect(preflightTitle(inspected('store-checksum', 'AAAAAA==-3'))).toContain("the store's checksum");
    });

    it('by reading it all when asked to, when the manifest has no store checksum, or when not told', () => {
      for (const i of [inspected('download', 'AAAAAA==-3'), inspected('store-checksum'), inspected(undefined)]) {
        expect(preflightTitle(i)).toContain('read the whole object, check its sha256');
      }
    });
  });
});

describe('checkRestoredRevision', () => {
  it('accepts the expected revision and a little more (etcd writes on the way up)', () => {
    expect(checkRestoredRevision(1_000_000_500n, 1_000_000_500n)).toEqual({ ok: true });
    expect(checkRestoredRevision(1_000_000_500n, 1_000_000_500n + REVISION_SLACK)).toEqual({ ok: true });
  });

  it('refuses a revision below the expected one: the members did not start from the restored data', () => {
    const check = checkRestoredRevision(1_000_000_500n, 700n);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.error).toMatch(/below the 1000000500/);
  });

  it('refuses a revision far above: something wrote while the cluster was paused', () => {
    const check = checkRestoredRevision(500n, 500n + REVISION_SLACK + 1n);
    expect(!check.ok && check.error).toMatch(/something wrote to it/);
  });
});

describe('preflightCheck', () => {
  const settings = { requireApproval: false, bumpRevision: true };
  it("asks the store only when allowed to and the manifest recorded the store's checksum", () => {
    expect(
      preflightCheck({
        source: { backup: 'b', storeChecksum: 'x-1' },
        settings: { ...settings, verify: 'store-checksum' },
      }),
    ).toBe('store-checksum');
    expect(preflightCheck({ source: { backup: 'b' }, settings: { ...settings, verify: 'store-checksum' } })).toBe(
      'download',
    );
    expect(
      preflightCheck({ source: { backup: 'b', storeChecksum: 'x-1' }, settings: { ...settings, verify: 'download' } }),
    ).toBe('download');
    expect(preflightCheck({ source: { backup: 'b', storeChecksum: 'x-1' }, settings })).toBe('download');
  });
});

describe('scaleDownStages', () => {
  it('with the first member leading, the others stop together, then it stops alone (at 0, after these stages)', () => {
    expect(scaleDownStages(3, true)).toEqual([1]);
    expect(scaleDownStages(5, true)).toEqual([1]);
  });
  it('otherwise one member at a time, highest ordinal first', () => {
    expect(scaleDownStages(3, false)).toEqual([2, 1]);
    expect(scaleDownStages(5, false)).toEqual([4, 3, 2, 1]);
  });
  it('one member or none: straight to 0', () => {
    for (const leads of [true, false]) {
      expect(scaleDownStages(1, leads)).toEqual([]);
      expect(scaleDownStages(0, leads)).toEqual([]);
    }
  });
});

describe('strandedRestore', () => {
  const inspected = {
    source: { backup: 'nightly-20260801000000' },
    layout: {
      namespace: 'tenant',
      statefulSet: 'etcd',
      members: [0, 1, 2].map((i) => ({
        name: `etcd-${i}`,
        peerUrl: `https://etcd-${i}:2380`,
        claim: `data-etcd-${i}`,
      })),
    },
    apiserver: { namespace: 'tenant', name: 'kube-apiserver', replicas: 2 },
  };

  it('lists what stays paused and the restore to run again', () => {
    expect(strandedRestore({ cluster: 'c1' }, inspected, ['c1-nightly'])).toEqual({
      state:
        'The cluster stays paused: etcd StatefulSet tenant/etcd is held at 0 replicas (3 members); ' +
        'Deployment tenant/kube-apiserver is at 0 (it had 2); schedules c1-nightly are paused',
      next:
        'Fix the cause, then run "lifeboat restore etcd --cluster c1 --backup nightly-20260801000000" again: ' +
        'it restores into the same members and unpauses everything when it completes.',
    });
  });

  it('leaves out what was not paused', () => {
    const { apiserver: _, ...withoutApiserver } = inspected;
    expect(strandedRestore({ cluster: 'c1' }, withoutApiserver, []).state).toBe(
      'The cluster stays paused: etcd StatefulSet tenant/etcd is held at 0 replicas (3 members)',
    );
  });

  it('a foreign snapshot is named again by its location and key, not by a backup name it does not have', () => {
    const from = { location: 'it', key: 'raw/snapshot.db' };
    const next = strandedRestore({ cluster: 'c1', from }, inspected, []).next;
    expect(next).toContain(
      '"lifeboat restore etcd --cluster c1 --location it --from s3://<bucket of it>/raw/snapshot.db"',
    );
    expect(next).not.toContain('--backup');
  });
});

describe('plannedBump', () => {
  const settings = { requireApproval: false, bumpRevision: true };
  it("is revisionBump's from the backup's and the live revision", () => {
    expect(plannedBump({ source: { backup: 'b', revision: '1000' }, settings, liveRevision: '5000' })).toBe(1_004_000n);
    expect(plannedBump({ source: { backup: 'b', revision: '1000' }, settings })).toBe(1_000_000_000n);
  });

  it('is none when the cluster turns bumping off', () => {
    const off = { ...settings, bumpRevision: false };
    expect(plannedBump({ source: { backup: 'b', revision: '1000' }, settings: off, liveRevision: '5000' })).toBe(0n);
  });
});
