import { describe, expect, it } from 'vitest';
import {
  insecureEndpoint,
  LIFEBOAT_IMAGE,
  shortHash,
  snapshotJob,
  snapshotJobName,
  type SnapshotJobInput,
} from '../../core/snapshot-job.js';

const input: SnapshotJobInput = {
  namespace: 'cluster-abc',
  cluster: 'abc',
  policy: 'hourly',
  backup: 'hourly-20261121030000',
  endpoints: ['https://10.1.0.1:2379', 'https://10.1.0.2:2379'],
  tlsSecret: 'etcd-client-tls',
  storage: {
    endpoint: 'https://s3.example.com',
    bucket: 'backups',
    region: 'eu-west-1',
    objectKey: 'etcd/abc/hourly/hourly-20261121030000/snapshot.db.gz',
  },
  compression: 'gzip',
  recipients: [],
  job: {
    credentialsSecret: 's3-credentials',
    snapshotImage: 'registry.k8s.io/etcd:3.6.14',
    activeDeadlineSeconds: 1800,
    backoffLimit: 2,
  },
};

describe('the snapshot Job', () => {
  const job = snapshotJob(input);
  const pod = job.spec!.template.spec!;
  const store = pod.containers[0]!;
  const env = Object.fromEntries(store.env!.map((e) => [e.name, e.value ?? e.valueFrom]));

  it('is named from the backup, deterministically and within 63 characters', () => {
    expect(job.metadata!.name).toBe(snapshotJobName('abc', 'hourly', 'hourly-20261121030000'));
    expect(snapshotJobName('abc', 'hourly', 'hourly-20261121030000')).toBe(job.metadata!.name);
    expect(snapshotJobName('abc', 'hourly', 'hourly-20261121040000')).not.toBe(job.metadata!.name);
    expect(job.metadata!.name!.length).toBeLessThanOrEqual(63);
    expect(job.metadata!.name).toMatch(/^lifeboat-snapshot-[0-9a-f]{8}$/);
  });

  it('is bounded by the deadline and back-off limit and never restarts a container in place', () => {
    expect(job.spec).toMatchObject({ activeDeadlineSeconds: 1800, backoffLimit: 2 });
    expect(pod.restartPolicy).toBe('Never');
  });

  it('saves the snapshot with etcdctl over TLS into an emptyDir', () => {
    expect(pod.initContainers![0]!.args).toEqual([
      '--endpoints=https://10.1.0.1:2379,https://10.1.0.2:2379',
      '--cacert=/etc/etcd/tls/ca.crt',
      '--cert=/etc/etcd/tls/tls.crt',
      '--key=/etc/etcd/tls/tls.key',
      'snapshot',
      'save',
      '/backup/snapshot.db',
    ]);
    expect(pod.volumes).toEqual([
      { name: 'backup', emptyDir: {} },
      { name: 'etcd-tls', secret: { secretName: 'etcd-client-tls' } },
    ]);
  });

  it("gives the store container Kubermatic's environment, keys by secretKeyRef only", () => {
    expect(env).toMatchObject({
      CLUSTER: 'abc',
      BACKUP_TO_CREATE: 'hourly-20261121030000',
      BUCKET_NAME: 'backups',
      ENDPOINT: 'https://s3.example.com',
      INSECURE: 'false',
      ACCESS_KEY_ID: { secretKeyRef: { name: 's3-credentials', key: 'ACCESS_KEY_ID' } },
      SECRET_ACCESS_KEY: { secretKeyRef: { name: 's3-credentials', key: 'SECRET_ACCESS_KEY' } },
      LIFEBOAT_OBJECT_KEY: 'etcd/abc/hourly/hourly-20261121030000/snapshot.db.gz',
      LIFEBOAT_COMPRESSION: 'gzip',
    });
    expect(JSON.stringify(job)).not.toMatch(/secret-value|AKIA/);
  });

  it('sets INSECURE as Kubermatic does: true only for a plain-http URL', () => {
    expect(insecureEndpoint('http://127.0.0.1:7070')).toBe(true);
    expect(insecureEndpoint('HTTP://minio.minio.svc:9000')).toBe(true);
    expect(insecureEndpoint('https://s3.example.com')).toBe(false);
    expect(insecureEndpoint('minio.minio.svc:9000')).toBe(false);
    expect(insecureEndpoint('http:9000')).toBe(false);
    const plain = snapshotJob({ ...input, storage: { ...input.storage, endpoint: 'http://10.0.0.9:9000' } });
    expect(plain.spec!.template.spec!.containers[0]!.env).toContainEqual({ name: 'INSECURE', value: 'true' });
  });

  it('uses the Lifeboat store command unless the policy replaces the container', () => {
    expect(store).toMatchObject({
      image: LIFEBOAT_IMAGE,
      command: ['lifeboat'],
      args: ['job', 'store-snapshot', '--file=/backup/snapshot.db'],
    });
    const custom = snapshotJob({
      ...input,
      job: {
        ...input.job,
        storeContainer: { image: 'quay.io/kubermatic/s3-storer:v0.1.6', command: ['/bin/sh', '-c', 'upload'] },
      },
    });
    expect(custom.spec!.template.spec!.containers[0]).toMatchObject({
      image: 'quay.io/kubermatic/s3-storer:v0.1.6',
      command: ['/bin/sh', '-c', 'upload'],
    });
    // Kubermatic's current store containers upload the gzipped copy its init container leaves: so does ours.
    expect(custom.spec!.template.spec!.initContainers!.map((c) => c.name)).toEqual(['snapshot', 'status', 'gzip']);
    expect(custom.spec!.template.spec!.initContainers![2]!.command).toEqual([
      'gzip',
      '-1',
      '-k',
      '-f',
      '/backup/snapshot.db',
    ]);
    expect(pod.initContainers!.map((c) => c.name)).toEqual(['snapshot', 'status']);
  });

  it('then records the snapshot status with etcdutl, for the manifest', () => {
    expect(pod.initContainers![1]).toMatchObject({
      name: 'status',
      command: ['etcdutl'],
      args: ['snapshot', 'status', '/backup/snapshot.db', '--write-out=json'],
    });
  });

  it('without TLS mounts nothing and passes no certificate flags', () => {
    const plain = snapshotJob({ ...input, tlsSecret: undefined, endpoints: ['http://10.1.0.1:2379'] });
    expect(plain.spec!.template.spec!.initContainers![0]!.args).toEqual([
      '--endpoints=http://10.1.0.1:2379',
      'snapshot',
      'save',
      '/backup/snapshot.db',
    ]);
    expect(plain.spec!.template.spec!.volumes).toEqual([{ name: 'backup', emptyDir: {} }]);
  });

  it('says who manages it and what it backs up; its Pods name the Job', () => {
    expect(job).toMatchObject({
      metadata: {
        labels: { 'app.kubernetes.io/managed-by': 'lifeboat', 'lifeboat.dev/backup-hash': shortHash(input.backup) },
        annotations: {
          'lifeboat.dev/cluster': 'abc',
          'lifeboat.dev/policy': 'hourly',
          'lifeboat.dev/backup': input.backup,
        },
      },
      spec: { template: { metadata: { labels: { 'lifeboat.dev/job': job.metadata!.name } } } },
    });
    expect(Object.keys(job.metadata!.labels!)).toHaveLength(2);
    expect(job.spec!.template.metadata!.labels!['app.kubernetes.io/managed-by']).toBe('lifeboat');
  });

  it('shortHash is stable FNV-1a', () => {
    expect(shortHash('')).toBe('811c9dc5');
    expect(shortHash('a')).toBe('e40c292c');
  });
});
