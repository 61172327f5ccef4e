import { describe, expect, it } from 'vitest';
import type { EtcdMemberLayout } from '../../core/etcd-members.js';
import { restoreClusterToken, restoreJob, restoreJobName, type RestoreJobInput } from '../../core/restore-job.js';
import { shortHash } from '../../core/snapshot-job.js';

const layout: EtcdMemberLayout = {
  namespace: 'cluster-a',
  statefulSet: 'etcd',
  members: [0, 1, 2].map((i) => ({
    name: `etcd-${i}`,
    peerUrl: `http://etcd-${i}.peer:2380`,
    claim: `data-etcd-${i}`,
  })),
  claimTemplate: 'data',
  mountPath: '/var/lib/etcd',
  dataDir: '/var/lib/etcd/data',
  selector: { app: 'etcd' },
};

const input: RestoreJobInput = {
  restoreId: 'run-1',
  generation: 0,
  cluster: 'a',
  backup: 'nightly-20260101000000',
  layout,
  member: layout.members[1]!,
  image: 'registry.k8s.io/etcd:3.6.14',
  snapshotUrl: 'http://s3/bucket/key?X-Amz-Signature=abc',
  compression: 'gzip',
  encrypted: false,
  storedSha256: 'a'.repeat(64),
  snapshotSha256: 'b'.repeat(64),
  readRevision: true,
  bumpRevision: 1_000_000_000n,
  activeDeadlineSeconds: 1800,
  backoffLimit: 2,
};

describe('restoreJob', () => {
  it('restores the member into its own claim with its name, peer URL, the whole initial cluster and a fresh token', () => {
    const job = restoreJob(input);
    const pod = job.spec!.template.spec!;
    expect(pod.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-etcd-1' } });
    expect(pod.containers[0]!.command).toEqual(['etcdutl']);
    expect(pod.containers[0]!.args).toEqual([
      'snapshot',
      'restore',
      '/restore/snapshot.db',
      '--name=etcd-1',
      '--initial-cluster=etcd-0=http://etcd-0.peer:2380,etcd-1=http://etcd-1.peer:2380,etcd-2=http://etcd-2.peer:2380',
      `--initial-cluster-token=${restoreClusterToken('a', 'run-1')}`,
      '--initial-advertise-peer-urls=http://etcd-1.peer:2380',
      '--data-dir=/var/lib/etcd/data',
      '--bump-revision=1000000000',
      '--mark-compacted',
      '--skip-hash-check',
    ]);
    expect(job.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 1800 });
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('fetches first (emptying the data dir, checking both checksums), then reads the snapshot status', () => {
    const [fetch, status] = restoreJob(input).spec!.template.spec!.initContainers!;
    expect(fetch!.args).toEqual([
      'job',
      'fetch-snapshot',
      '--to=/restore/snapshot.db',
      '--empty-dir=/var/lib/etcd/data',
    ]);
    expect(Object.fromEntries(fetch!.env!.map((e) => [e.name, e.value]))).toEqual({
      LIFEBOAT_SNAPSHOT_URL: input.snapshotUrl,
      LIFEBOAT_COMPRESSION: 'gzip',
      LIFEBOAT_STORED_SHA256: 'a'.repeat(64),
      LIFEBOAT_SNAPSHOT_SHA256: 'b'.repeat(64),
    });
    expect(status!.args).toEqual(['snapshot', 'status', '/restore/snapshot.db', '--write-out=json']);
    // A manifest gives the revision: no status container then.
    const names = restoreJob({ ...input, readRevision: false }).spec!.template.spec!.initContainers!.map((c) => c.name);
    expect(names).toEqual(['fetch']);
  });

  it('without a bump, etcdutl runs without --bump-revision and --mark-compacted', () => {
    const args = restoreJob({ ...input, bumpRevision: 0n }).spec!.template.spec!.containers[0]!.args!;
    expect(args.some((a) => a.startsWith('--bump-revision') || a === '--mark-compacted')).toBe(false);
  });

  it('an encrypted backup mounts the identity Secret for the fetch container only', () => {
    const job = restoreJob({ ...input, encrypted: true, decryptionSecret: { name: 'etcd-age', key: 'identity' } });
    const pod = job.spec!.template.spec!;
    expect(pod.volumes).toContainEqual({ name: 'age-identity', secret: { secretName: 'etcd-age' } });
    expect(pod.initContainers![0]!.env).toContainEqual({
      name: 'LIFEBOAT_AGE_IDENTITY_FILE',
      value: '/etc/lifeboat/age/identity',
    });
    expect(pod.containers[0]!.volumeMounts!.map((m) => m.name)).not.toContain('age-identity');
  });

  it("a foreign snapshot has no checksums to pass: etcd's trailing hash is checked by the fetch container", () => {
    const { storedSha256: _s, snapshotSha256: _p, ...foreign } = input;
    const env = restoreJob(foreign).spec!.template.spec!.initContainers![0]!.env!.map((e) => e.name);
    expect(env).not.toContain('LIFEBOAT_STORED_SHA256');
    // Nothing else vouches for its bytes, so etcdutl checks etcd's hash as well.
    expect(restoreJob(foreign).spec!.template.spec!.containers[0]!.args).not.toContain('--skip-hash-check');
    expect(env).not.toContain('LIFEBOAT_SNAPSHOT_SHA256');
  });

  it('is labelled as a restore Job of this restore and says which member and retry it is for', () => {
    const job = restoreJob(input);
    expect(job.metadata!.labels).toEqual({
      'app.kubernetes.io/managed-by': 'lifeboat',
      'lifeboat.dev/restore': shortHash('run-1'),
    });
    expect(job.metadata!.annotations).toEqual({
      'lifeboat.dev/cluster': 'a',
      'lifeboat.dev/backup': 'nightly-20260101000000',
      'lifeboat.dev/member': 'etcd-1',
      'lifeboat.dev/generation': '0',
    });
    expect(job.spec!.template.metadata!.labels).toEqual({
      'app.kubernetes.io/managed-by': 'lifeboat',
      'lifeboat.dev/job': job.metadata!.name,
    });
  });

  it('names are stable per restore, member and operator retry, and valid Kubernetes names', () => {
    expect(restoreJob(input).metadata!.name).toBe(restoreJobName('run-1', 'etcd-1', 0));
    const names = new Set([
      restoreJobName('run-1', 'etcd-1', 0),
      restoreJobName('run-1', 'etcd-1', 1),
      restoreJobName('run-1', 'etcd-2', 0),
      restoreJobName('run-2', 'etcd-1', 0),
    ]);
    expect(names.size).toBe(4);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(restoreClusterToken('a', 'run-1')).not.toBe(restoreClusterToken('a', 'run-2'));
  });
});
