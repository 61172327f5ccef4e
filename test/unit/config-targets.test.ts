import { RESTORE_DEFAULTS } from './config-defaults.js';
import { describe, expect, it } from 'vitest';
import { validateConfig, type ConfigResult } from '../../core/config/parse.js';

const base = {
  apiVersion: 'lifeboat.dev/v1alpha1',
  kind: 'LifeboatConfig',
  storageLocations: [
    {
      name: 's3',
      endpoint: 'https://s3.example.com',
      bucket: 'backups',
      credentials: { accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' },
    },
  ],
};

const withCluster = (cluster: Record<string, unknown>, policy: Record<string, unknown> = {}) =>
  validateConfig({
    ...base,
    clusters: [{ name: 'c1', ...cluster }],
    etcdBackups: [{ name: 'p', cluster: 'c1', location: 's3', ...policy }],
  });

const issues = (r: ConfigResult) => (r.ok ? [] : r.issues);

describe('cluster etcd targets', () => {
  it('accepts a StatefulSet target with a TLS Secret and fills in the defaults', () => {
    const result = withCluster({
      kubernetes: { kubeconfig: '/etc/lifeboat/seed.kubeconfig', context: 'seed' },
      etcd: {
        statefulSet: { namespace: 'cluster-abc', name: 'etcd' },
        tls: { secretRef: { namespace: 'cluster-abc', name: 'etcd-client-tls' } },
      },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.clusters[0]).toEqual({
      name: 'c1',
      kubernetes: { kubeconfig: '/etc/lifeboat/seed.kubeconfig', context: 'seed' },
      etcd: {
        statefulSet: { namespace: 'cluster-abc', name: 'etcd' },
        clientPort: 2379,
        tls: { secretRef: { namespace: 'cluster-abc', name: 'etcd-client-tls' } },
      },
      restore: RESTORE_DEFAULTS,
    });
  });

  it('restore settings: defaults, overrides and their errors by path', () => {
    const target = { statefulSet: { namespace: 'cluster-abc', name: 'etcd' } };
    const custom = withCluster({
      etcd: target,
      controlPlane: { deployment: { namespace: 'cluster-abc', name: 'apiserver' } },
      restore: { requireApproval: true, approvalTimeout: '30m', decryptionSecret: { name: 'etcd-age' } },
    });
    expect(custom.ok && custom.config.clusters[0]).toMatchObject({
      controlPlane: { deployment: { namespace: 'cluster-abc', name: 'apiserver' } },
      restore: {
        ...RESTORE_DEFAULTS,
        requireApproval: true,
        approvalTimeout: '30m',
        decryptionSecret: { name: 'etcd-age', key: 'identity' },
      },
    });
    expect(
      issues(withCluster({ etcd: target, restore: { approvalTimeout: 'soon', backoffLimit: -1, image: '' } })).map(
        (i) => i.path,
      ),
    ).toEqual(['clusters[0].restore.approvalTimeout', 'clusters[0].restore.image', 'clusters[0].restore.backoffLimit']);
    expect(issues(withCluster({ etcd: target, restore: { bumpRevisions: true } }))[0]?.message).toMatch(
      /bumpRevisions/,
    );
  });

  it('requires exactly one of endpoints and statefulSet', () => {
    expect(issues(withCluster({ etcd: {} }))).toEqual([
      { path: 'clusters[0].etcd', message: expect.stringContaining('set exactly one of endpoints') as unknown },
    ]);
    const both = withCluster({
      etcd: { endpoints: ['https://e:2379'], statefulSet: { namespace: 'n', name: 'etcd' } },
    });
    expect(issues(both).map((i) => i.path)).toEqual(['clusters[0].etcd']);
  });

  it('names a bad Secret reference by its path', () => {
    const result = withCluster({
      etcd: { statefulSet: { namespace: 'n', name: 'etcd' }, tls: { secretRef: { name: 'Bad_Name' } } },
    });
    expect(
      issues(result)
        .map((i) => i.path)
        .sort(),
    ).toEqual(['clusters[0].etcd.tls.secretRef.name', 'clusters[0].etcd.tls.secretRef.namespace']);
  });

  it('rejects a client port out of range', () => {
    expect(
      issues(withCluster({ etcd: { statefulSet: { namespace: 'n', name: 'etcd' }, clientPort: 70000 } }))[0]?.path,
    ).toBe('clusters[0].etcd.clientPort');
  });
});

describe('encryption recipients', () => {
  const cluster = { etcd: { endpoints: ['https://e:2379'] } };
  const recipient = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

  it('accepts age X25519 public keys', () => {
    expect(withCluster(cluster, { encryption: { recipients: [recipient] } }).ok).toBe(true);
  });

  it.each([
    ['an identity (private key)', 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ'],
    ['a truncated key', 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqm'],
    ['an ssh key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBogus'],
  ])('rejects %s with a message saying what a recipient looks like', (_what, value) => {
    expect(issues(withCluster(cluster, { encryption: { recipients: [value] } }))).toEqual([
      {
        path: 'etcdBackups[0].encryption.recipients[0]',
        message: expect.stringContaining('age X25519 public key') as unknown,
      },
    ]);
  });

  it('rejects an empty recipient list', () => {
    expect(issues(withCluster(cluster, { encryption: { recipients: [] } }))[0]?.path).toBe(
      'etcdBackups[0].encryption.recipients',
    );
  });
});

describe('job mode', () => {
  const sts = { etcd: { statefulSet: { namespace: 'cluster-abc', name: 'etcd' } } };

  it('accepts job settings and fills in Kubermatic-like defaults', () => {
    const result = withCluster(sts, { mode: 'job', job: { credentialsSecret: 's3-credentials' } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.etcdBackups[0]!.job).toEqual({
      credentialsSecret: 's3-credentials',
      snapshotImage: 'registry.k8s.io/etcd:3.6.14',
      activeDeadline: '30m',
      backoffLimit: 2,
    });
  });

  it('needs job settings', () => {
    expect(issues(withCluster(sts, { mode: 'job' }))).toEqual([
      { path: 'etcdBackups[0].job', message: expect.stringContaining('job.credentialsSecret') as unknown },
    ]);
  });

  it('needs a StatefulSet target, since the Job runs next to etcd', () => {
    const result = withCluster(
      { etcd: { endpoints: ['https://e:2379'] } },
      { mode: 'job', job: { credentialsSecret: 's3' } },
    );
    expect(issues(result)).toEqual([
      { path: 'etcdBackups[0].mode', message: expect.stringContaining('needs etcd.statefulSet') as unknown },
    ]);
  });
  describe("with a custom store container (e.g. Kubermatic's), which stores the snapshot as it is", () => {
    const custom = {
      mode: 'job',
      job: { credentialsSecret: 's3', storeContainer: { image: 'd3fk/s3cmd', command: ['/bin/sh', '-c', 'put'] } },
    };
    const recipients = ['age1' + 'q'.repeat(58)];

    it('is accepted without compression or encryption', () => {
      expect(issues(withCluster(sts, custom))).toEqual([]);
      expect(issues(withCluster(sts, { ...custom, compression: 'none' }))).toEqual([]);
    });

    it('refuses compression, naming the field and both fixes', () => {
      expect(issues(withCluster(sts, { ...custom, compression: 'gzip' }))).toEqual([
        {
          path: 'etcdBackups[0].compression',
          message: expect.stringMatching(
            /custom job\.storeContainer.*compression: none.*remove job\.storeContainer/,
          ) as unknown,
        },
      ]);
    });

    it('refuses encryption, naming the field and both fixes', () => {
      expect(issues(withCluster(sts, { ...custom, encryption: { recipients } }))).toEqual([
        {
          path: 'etcdBackups[0].encryption',
          message: expect.stringMatching(
            /custom job\.storeContainer.*remove encryption.*remove job\.storeContainer/,
          ) as unknown,
        },
      ]);
    });

    it("leaves Lifeboat's own store container free to compress and encrypt", () => {
      const own = { mode: 'job', job: { credentialsSecret: 's3' }, compression: 'gzip', encryption: { recipients } };
      expect(issues(withCluster(sts, own))).toEqual([]);
    });
  });
});
