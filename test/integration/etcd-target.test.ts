import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { probeMembers } from '../../activities/etcd/members.js';
import { resolveEtcd } from '../../activities/etcd/target.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { clientExtensions, createCa, issueCertificate, serverExtensions } from '../../devstack/kube/pki.js';
import { freePorts } from '../../devstack/ports.js';
import { ManagedProcess } from '../../devstack/process.js';
import type { etcdBackup } from '../../workflows/index.js';
import { waitFor } from '../helpers/kube.js';
import { bucketState, isolatedConfig, startTestWorker, testDeps, uniqueName } from '../helpers/stack.js';

// Target resolution against the real API server: members come from the client Service's EndpointSlices or the
// StatefulSet's ready Pods (their status written by the test, as a kubelet would), client TLS from a real Secret.
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const core = kc.makeApiClient(CoreV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);
const namespace = uniqueName('tenant');

async function endpointSlice(
  name: string,
  service: string,
  address: string,
  port: number,
  ready: boolean,
): Promise<void> {
  await discovery.createNamespacedEndpointSlice({
    namespace,
    body: {
      metadata: { name, labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [address], conditions: { ready } }],
      ports: [{ name: 'client', port, protocol: 'TCP' }],
    },
  });
}

/** A StatefulSet with no replicas of its own, and a Pod matching it whose status the test writes as a kubelet would. */
async function podBackedStatefulSet(name: string, podIp: string, ready: boolean): Promise<void> {
  const labels = { app: name };
  await kc.makeApiClient(AppsV1Api).createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas: 0,
        serviceName: `${name}-peer`,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'etcd', image: 'registry.k8s.io/etcd:3.6.14' }] },
        },
      },
    },
  });
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: `${name}-member`, labels },
      spec: {
        // Never scheduled: the test node's agent would run etcd for it and overwrite the status written here.
        nodeSelector: { 'lifeboat.dev/test': 'no-such-node' },
        containers: [{ name: 'etcd', image: 'registry.k8s.io/etcd:3.6.14' }],
      },
    },
  });
  // A merge patch of the status only, as a kubelet reports it; the scheduler may touch the Pod meanwhile.
  await core.patchNamespacedPodStatus(
    {
      namespace,
      name: `${name}-member`,
      body: {
        status: {
          phase: 'Running',
          podIP: podIp,
          podIPs: [{ ip: podIp }],
          conditions: [
            { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString() },
          ],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

const tcpOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

describe('etcd targets from Kubernetes', () => {
  let base: LifeboatConfig;
  let buckets: Record<string, string>;
  let tlsEtcd: ManagedProcess;
  let tlsPort: number;
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-etcd-tls-'));
  let otherCaClient: { cert: string; key: string };

  beforeAll(async () => {
    ({ config: base, buckets } = await isolatedConfig());
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // A Service's EndpointSlices with one member not ready; documentation-range addresses, never contacted.
    await endpointSlice('etcd-client-a', 'etcd-client', '198.51.100.10', 2379, true);
    await endpointSlice('etcd-client-b', 'etcd-client', '198.51.100.11', 2379, true);
    await endpointSlice('etcd-client-c', 'etcd-client', '198.51.100.12', 2379, false);
    // The shared test etcd's first member behind a Pod, and a StatefulSet whose only Pod is not ready.
    await podBackedStatefulSet('plain', '127.0.0.1', true);
    await podBackedStatefulSet('none', '127.0.0.1', false);

    // A TLS-only etcd: server certificate for the client Service's name, client certificates required.
    const ca = await createCa(dir, 'ca', 'tenant-etcd-ca');
    const serverName = `tls-client.${namespace}.svc.cluster.local`;
    const server = await issueCertificate(
      dir,
      ca,
      'server',
      '/CN=etcd',
      serverExtensions([`DNS:${serverName}`, 'IP:127.0.0.1']),
    );
    const client = await issueCertificate(dir, ca, 'client', '/CN=lifeboat', clientExtensions);
    const otherCa = await createCa(dir, 'other-ca', 'someone-else');
    otherCaClient = await issueCertificate(dir, otherCa, 'other-client', '/CN=intruder', clientExtensions);
    const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
    tlsPort = clientPort;
    tlsEtcd = new ManagedProcess({
      name: 'tls etcd',
      command: inject('tools').etcd!,
      args: [
        '--name=tls',
        `--data-dir=${join(dir, 'data')}`,
        `--listen-client-urls=https://127.0.0.1:${clientPort}`,
        `--advertise-client-urls=https://127.0.0.1:${clientPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=tls=http://127.0.0.1:${peerPort}`,
        `--cert-file=${server.cert}`,
        `--key-file=${server.key}`,
        `--trusted-ca-file=${ca.cert}`,
        '--client-cert-auth',
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      logFile: join(dir, 'etcd.log'),
      ready: () => tcpOpen(clientPort),
    });
    await tlsEtcd.start();
    await podBackedStatefulSet('tls', '127.0.0.1', true);
    const pem = (path: string) => readFileSync(path).toString('base64');
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'etcd-client-tls' },
        data: { 'ca.crt': pem(ca.cert), 'tls.crt': pem(client.cert), 'tls.key': pem(client.key) },
      },
    });
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'wrong-ca-tls' },
        data: { 'ca.crt': pem(ca.cert), 'tls.crt': pem(otherCaClient.cert), 'tls.key': pem(otherCaClient.key) },
      },
    });
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'incomplete-tls' }, data: { 'ca.crt': pem(ca.cert) } },
    });
  });

  afterAll(async () => {
    await tlsEtcd?.stop();
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The members a backup reaches with this etcd config: the target as it resolves it, each member probed. */
  async function etcdStatus(etcd: Record<string, unknown>) {
    const result = validateConfig({
      ...base,
      clusters: [{ name: 'tenant', kubernetes: { kubeconfig: inject('kubeconfig') }, etcd }],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return { members: (await probeMembers(await resolveEtcd(testDeps(result.config), 'tenant'))).reachable };
  }

  it('takes the ready members from the client Service EndpointSlices', async () => {
    const result = validateConfig({
      ...base,
      clusters: [
        {
          name: 'tenant',
          kubernetes: { kubeconfig: inject('kubeconfig') },
          etcd: { statefulSet: { namespace, name: 'etcd' } },
        },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const connection = await resolveEtcd(testDeps(result.config), 'tenant');
    expect(connection.endpoints).toEqual(['http://198.51.100.10:2379', 'http://198.51.100.11:2379']);
    expect(connection.tls).toBeUndefined();
  });

  it("without EndpointSlices, takes the StatefulSet's ready Pods, and reaches them", async () => {
    const memberPort = Number(new URL(inject('etcdEndpoints')[0]!).port);
    const status = await etcdStatus({
      statefulSet: { namespace, name: 'plain' },
      clientPort: memberPort,
    });
    expect(status.members.map((m) => m.endpoint)).toEqual([`http://127.0.0.1:${memberPort}`]);
    expect(status.members[0]!.version).toBe('3.6.14');
  });

  it('no ready member: a retryable failure naming the Service and the StatefulSet', async () => {
    await expect(etcdStatus({ statefulSet: { namespace, name: 'none' } })).rejects.toMatchObject({
      type: 'EtcdUnavailable',
      message: expect.stringContaining(
        `etcd StatefulSet ${namespace}/none: no ready member (EndpointSlices of Service none-client`,
      ) as unknown,
    });
  });

  it('a StatefulSet that does not exist is a non-retryable config error', async () => {
    await expect(etcdStatus({ statefulSet: { namespace, name: 'ghost' } })).rejects.toMatchObject({
      type: 'InvalidConfig',
      nonRetryable: true,
      message: expect.stringContaining(`StatefulSet ${namespace}/ghost does not exist`) as unknown,
    });
  });

  it('client TLS from a Secret reaches a TLS-only etcd', async () => {
    const status = await etcdStatus({
      statefulSet: { namespace, name: 'tls' },
      clientPort: tlsPort,
      tls: { secretRef: { namespace, name: 'etcd-client-tls' } },
    });
    expect(status.members.map((m) => m.endpoint)).toEqual([`https://127.0.0.1:${tlsPort}`]);
  });

  it('a missing or incomplete TLS Secret is a non-retryable error that names it', async () => {
    const missing = etcdStatus({
      statefulSet: { namespace, name: 'tls' },
      tls: { secretRef: { namespace, name: 'nope' } },
    });
    await expect(missing).rejects.toMatchObject({
      type: 'InvalidConfig',
      nonRetryable: true,
      message: expect.stringContaining(`Secret ${namespace}/nope`) as unknown,
    });
    const incomplete = etcdStatus({
      statefulSet: { namespace, name: 'tls' },
      tls: { secretRef: { namespace, name: 'incomplete-tls' } },
    });
    await expect(incomplete).rejects.toMatchObject({
      type: 'InvalidConfig',
      message: expect.stringContaining('lacks tls.crt, tls.key') as unknown,
    });
  });

  it('a client certificate from the wrong CA cannot reach any member: a backup fails as unavailable, not silently', async () => {
    const result = validateConfig({
      ...base,
      clusters: [
        {
          name: 'tenant',
          kubernetes: { kubeconfig: inject('kubeconfig') },
          etcd: {
            statefulSet: { namespace, name: 'tls' },
            clientPort: tlsPort,
            tls: { secretRef: { namespace, name: 'wrong-ca-tls' } },
          },
        },
      ],
      etcdBackups: [{ name: 'p', cluster: 'tenant', location: 'versitygw' }],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect((await probeMembers(await resolveEtcd(testDeps(result.config), 'tenant'))).reachable).toEqual([]);
    // The backup as production runs it: the etcdBackup workflow on a real worker, its snapshot activity in a real
    // activity context. Unavailable is retryable (a member may come back), so the proof is the failed first attempt
    // the server holds while it waits to retry; then the test ends the run.
    const tw = await startTestWorker(result.config);
    try {
      const handle = await tw.client.workflow.start<typeof etcdBackup>('etcdBackup', {
        args: [{ cluster: 'tenant', policy: 'p', requestedAt: '2026-01-01T00:00:00.000Z' }],
        taskQueue: tw.taskQueue,
        workflowId: uniqueName('etcd-backup-wrong-ca'),
      });
      const pending = await waitFor('a failed snapshot attempt', async () => {
        const [activity] = (await handle.describe()).raw.pendingActivities ?? [];
        return activity?.lastFailure && (activity.attempt ?? 0) >= 2 ? activity : undefined;
      });
      expect(pending.activityType?.name).toBe('snapshotToStorage');
      expect(pending.lastFailure?.applicationFailureInfo?.type).toBe('EtcdUnavailable');
      expect(pending.lastFailure?.message).toContain(`No etcd member of tenant answered: https://127.0.0.1:${tlsPort}`);
      await handle.terminate('test over');
    } finally {
      await tw.close();
    }
    // Not silently: nothing of the backup was stored (the bucket is this file's own).
    const versitygw = inject('s3Servers').find((server) => server.name === 'versitygw')!;
    expect(await bucketState(versitygw, buckets.versitygw!)).toEqual({ keys: [], uploads: [] });
  }, 120_000);
});
