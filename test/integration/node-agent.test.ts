import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../devstack/kube/control-plane.js';
import { prepareNodeIdentity } from '../../devstack/node-agent/identity.js';
import { freePorts } from '../../devstack/ports.js';
import type { ToolPaths } from '../../devstack/tools/build.js';
import { killProcesses, NodeAgentProcess, processesUsing, waitFor } from '../helpers/kube.js';
import { uniqueName } from '../helpers/stack.js';

const run = promisify(execFile);
const NODE = 'lifeboat-node-1';

describe('node agent (real control plane, Pods as local processes)', () => {
  const tools = inject('tools') as ToolPaths;
  const id = uniqueName('na').slice(3);
  // A mountPath that exists nowhere else: its creation and removal on the host are observable.
  const hostMountRoot = `/var/lib/lifeboat-test-${id}`;
  let dataDir: string;
  let cp: ControlPlane;
  let agent: NodeAgentProcess;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let batch: BatchV1Api;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lifeboat-node-agent-'));
    const [apiServerPort, etcdClientPort, etcdPeerPort, schedulerPort, kubeletPort] = (await freePorts(5)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    cp = await startControlPlane({
      tools,
      dataDir: join(dataDir, 'control-plane'),
      apiServerPort,
      etcdClientPort,
      etcdPeerPort,
      schedulerPort,
      unsafeNoFsync: true,
    });
    const identity = await prepareNodeIdentity({
      pki: cp.pki,
      server: cp.server,
      nodeName: NODE,
      dir: join(dataDir, 'node'),
    });
    agent = new NodeAgentProcess(
      [
        ...['--kubeconfig', identity.kubeconfig, '--node-name', NODE, '--data-dir', join(dataDir, 'agent')],
        ...['--port', String(kubeletPort), '--serving-cert', identity.servingCert],
        ...['--serving-key', identity.servingKey, '--client-ca', identity.clientCa],
        ...['--etcd-bin-dir', dirname(tools.etcd), '--admin-kubeconfig', cp.adminKubeconfig],
      ],
      join(dataDir, 'agent.log'),
    );
    agent.start();
    const kc = new KubeConfig();
    kc.loadFromFile(cp.adminKubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    await waitFor('the node to register Ready', async () => {
      const node = await core.readNode({ name: NODE });
      return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    });
  }, 240_000);

  afterAll(async () => {
    await agent?.stop().catch((err: unknown) => console.error(err));
    if (dataDir) killProcesses(processesUsing(join(dataDir, 'agent')));
    await cp?.stop();
    if (dataDir && !process.env.LIFEBOAT_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
  }, 180_000);

  const createNamespace = async (prefix: string) => {
    const name = uniqueName(prefix);
    await core.createNamespace({ body: { metadata: { name } } });
    // The controller-manager creates the default ServiceAccount; Pods are refused until it exists.
    await waitFor(`service account in ${name}`, () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true),
    );
    return name;
  };

  const readPod = (namespace: string, name: string) => core.readNamespacedPod({ name, namespace });
  const podsOf = async (namespace: string, selector: string) =>
    (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
  const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const pvPath = async (namespace: string, claim: string) => {
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: claim, namespace });
    const pv = await core.readPersistentVolume({ name: pvc.spec!.volumeName! });
    return { pv: pv.metadata!.name!, path: pv.spec!.hostPath!.path };
  };

  describe('Jobs', () => {
    it('a Job whose container writes to a PVC and exits 0 completes; the file is in the volume directory', async () => {
      const namespace = await createNamespace('jobs');
      await core.createNamespacedPersistentVolumeClaim({
        namespace,
        body: {
          metadata: { name: 'results' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      });
      await batch.createNamespacedJob({
        namespace,
        body: {
          metadata: { name: 'writer' },
          spec: {
            backoffLimit: 0,
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [
                  {
                    name: 'write',
                    image: 'busybox:1.37',
                    command: ['sh', '-c', `echo "written by $(POD_NAME)" > ${hostMountRoot}/results/out.txt`],
                    env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                    volumeMounts: [{ name: 'results', mountPath: `${hostMountRoot}/results` }],
                  },
                ],
                volumes: [{ name: 'results', persistentVolumeClaim: { claimName: 'results' } }],
              },
            },
          },
        },
      });
      const job = await waitFor('Job writer to finish', async () => {
        const current = await batch.readNamespacedJob({ name: 'writer', namespace });
        const done = current.status?.conditions?.find((c) => ['Complete', 'Failed'].includes(c.type));
        return done?.status === 'True' && current;
      });
      expect(job.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
      expect(job.status?.succeeded).toBe(1);
      const [pod] = await podsOf(namespace, 'job-name=writer');
      expect(pod?.status?.phase).toBe('Succeeded');
      expect(pod?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
        exitCode: 0,
        reason: 'Completed',
      });
      const { path } = await pvPath(namespace, 'results');
      expect(readFileSync(join(path, 'out.txt'), 'utf8')).toBe(`written by ${pod!.metadata!.name}\n`);
    }, 180_000);

    it('a Job whose container exits 1 is retried up to backoffLimit, ends Failed, and its logs are readable', async () => {
      const namespace = await createNamespace('jobs');
      await batch.createNamespacedJob({
        namespace,
        body: {
          metadata: { name: 'failer' },
          spec: {
            backoffLimit: 1,
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [
                  {
                    name: 'fail',
                    image: 'alpine:3.22',
                    command: ['sh', '-c', 'echo "attempt by $HOSTNAME"; echo "to stderr" >&2; exit 1'],
                  },
                ],
              },
            },
          },
        },
      });
      const job = await waitFor(
        'Job failer to fail',
        async () => {
          const current = await batch.readNamespacedJob({ name: 'failer', namespace });
          return current.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') && current;
        },
        150_000,
      );
      expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
      const pods = await podsOf(namespace, 'job-name=failer');
      expect(pods).toHaveLength(2);
      for (const pod of pods) {
        expect(pod.status?.phase).toBe('Failed');
        expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
        const log = await core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace, container: 'fail' });
        expect(log).toBe(`attempt by ${pod.metadata!.name}\nto stderr\n`);
      }
      const tail = await core.readNamespacedPodLog({ name: pods[0]!.metadata!.name!, namespace, tailLines: 1 });
      expect(tail).toBe('to stderr\n');
    }, 180_000);
  });

  describe('an etcd StatefulSet', () => {
    let namespace: string;
    const etcdctl = async (ip: string, ...args: string[]) =>
      (await run(tools.etcdctl, [`--endpoints=http://${ip}:2379`, '--command-timeout=5s', ...args])).stdout.trim();
    const members = ['etcd-0', 'etcd-1', 'etcd-2'];

    const statefulSet = (): V1StatefulSet => {
      const peer = (m: string) => `${m}=http://${m}.etcd-peer.${namespace}.svc.cluster.local:2380`;
      return {
        metadata: { name: 'etcd' },
        spec: {
          serviceName: 'etcd-peer',
          replicas: 3,
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: { app: 'etcd' } },
          template: {
            metadata: { labels: { app: 'etcd' } },
            spec: {
              terminationGracePeriodSeconds: 10,
              containers: [
                {
                  name: 'etcd',
                  image: 'registry.k8s.io/etcd:3.6.14',
                  command: ['etcd'],
                  args: [
                    '--name=$(POD_NAME)',
                    `--data-dir=${hostMountRoot}/etcd/data`,
                    '--listen-client-urls=http://$(POD_IP):2379',
                    '--listen-peer-urls=http://$(POD_IP):2380',
                    '--advertise-client-urls=http://$(POD_NAME).etcd-peer.$(POD_NAMESPACE).svc.cluster.local:2379',
                    '--initial-advertise-peer-urls=http://$(POD_NAME).etcd-peer.$(POD_NAMESPACE).svc.cluster.local:2380',
                    `--initial-cluster=${members.map(peer).join(',')}`,
                    '--initial-cluster-state=new',
                    `--initial-cluster-token=${namespace}`,
                    '--unsafe-no-fsync',
                  ],
                  env: [
                    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                  ],
                  ports: [
                    { name: 'client', containerPort: 2379 },
                    { name: 'peer', containerPort: 2380 },
                  ],
                  volumeMounts: [{ name: 'data', mountPath: `${hostMountRoot}/etcd` }],
                  readinessProbe: { httpGet: { path: '/health', port: 'client' }, periodSeconds: 2 },
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          ],
        },
      };
    };

    const scale = (replicas: number) =>
      apps.patchNamespacedStatefulSetScale(
        { name: 'etcd', namespace, body: { spec: { replicas } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );

    const readyMembers = () =>
      waitFor(
        'three Ready etcd members',
        async () => {
          const pods = await podsOf(namespace, 'app=etcd');
          return pods.length === 3 && pods.every(isReady) && pods;
        },
        180_000,
      );

    beforeAll(async () => {
      namespace = await createNamespace('etcd');
      await core.createNamespacedService({
        namespace,
        body: {
          metadata: { name: 'etcd-peer' },
          spec: {
            clusterIP: 'None',
            publishNotReadyAddresses: true,
            selector: { app: 'etcd' },
            ports: [
              { name: 'peer', port: 2380 },
              { name: 'client', port: 2379 },
            ],
          },
        },
      });
      await core.createNamespacedService({
        namespace,
        body: {
          metadata: { name: 'etcd-client' },
          spec: { selector: { app: 'etcd' }, ports: [{ name: 'client', port: 2379 }] },
        },
      });
      await apps.createNamespacedStatefulSet({ namespace, body: statefulSet() });
    }, 60_000);

    it('reaches three Ready members with quorum, each on its own stable address', async () => {
      const pods = await readyMembers();
      const ips = pods.map((p) => p.status!.podIP!);
      expect(new Set(ips).size).toBe(3);
      for (const ip of ips) expect(ip).toMatch(/^127\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d+\.\d+$/);
      await etcdctl(ips[0]!, 'put', 'greeting', 'hello');
      for (const ip of ips) expect(await etcdctl(ip, 'get', 'greeting', '--print-value-only')).toBe('hello');
      const list = await etcdctl(ips[1]!, 'member', 'list');
      for (const member of members) expect(list).toContain(`${member}.etcd-peer.${namespace}.svc.cluster.local`);
    }, 240_000);

    it('a deleted member comes back under the same name and address, with its data', async () => {
      const before = await readPod(namespace, 'etcd-1');
      const { path } = await pvPath(namespace, 'data-etcd-1');
      const dataInode = statSync(join(path, 'data', 'member')).ino;
      await core.deleteNamespacedPod({ name: 'etcd-1', namespace });
      const after = await waitFor(
        'etcd-1 to be recreated and Ready',
        async () => {
          const pod = await readPod(namespace, 'etcd-1');
          return pod.metadata!.uid !== before.metadata!.uid && isReady(pod) && pod;
        },
        180_000,
      );
      expect(after.status?.podIP).toBe(before.status?.podIP);
      expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      // Same data directory, not a fresh one that caught up from the leader.
      expect(statSync(join(path, 'data', 'member')).ino).toBe(dataInode);
      expect(await etcdctl(after.status!.podIP!, 'get', 'greeting', '--print-value-only', '--consistency=s')).toBe(
        'hello',
      );
    }, 240_000);

    it('scaled to 0 and back, the members keep their data', async () => {
      await scale(0);
      await waitFor('no etcd pods', async () => (await podsOf(namespace, 'app=etcd')).length === 0, 120_000);
      // The agent removes the mount point it had created for the data volume once no Pod uses it. It does so after
      // the last container has ended, which the API may learn first: wait for the removal, with a deadline.
      await waitFor(
        `${hostMountRoot}/etcd to be removed`,
        () => Promise.resolve(!existsSync(`${hostMountRoot}/etcd`)),
        30_000,
      );
      await scale(3);
      const pods = await readyMembers();
      expect(await etcdctl(pods[2]!.status!.podIP!, 'get', 'greeting', '--print-value-only')).toBe('hello');
    }, 300_000);

    it('with the claims deleted (at 0 replicas), the members start empty', async () => {
      const oldVolumes = await Promise.all(members.map((m) => pvPath(namespace, `data-${m}`)));
      await scale(0);
      await waitFor('no etcd pods', async () => (await podsOf(namespace, 'app=etcd')).length === 0, 120_000);
      await core.deleteCollectionNamespacedPersistentVolumeClaim({ namespace });
      await waitFor(
        'the released volumes and their directories to be deleted',
        async () => {
          const names = (await core.listPersistentVolume()).items.map((pv) => pv.metadata!.name);
          return oldVolumes.every((v) => !names.includes(v.pv) && !existsSync(v.path));
        },
        120_000,
      );
      await scale(3);
      const pods = await readyMembers();
      const newVolumes = await Promise.all(members.map((m) => pvPath(namespace, `data-${m}`)));
      expect(newVolumes.map((v) => v.pv)).not.toContain(oldVolumes[0]!.pv);
      expect(await etcdctl(pods[0]!.status!.podIP!, 'get', 'greeting', '--print-value-only')).toBe('');
      expect(await etcdctl(pods[0]!.status!.podIP!, 'get', '', '--prefix', '--keys-only')).toBe('');
    }, 360_000);

    it('deleting the namespace removes everything in it', async () => {
      const pods = await podsOf(namespace, 'app=etcd');
      const volumes = await Promise.all(members.map((m) => pvPath(namespace, `data-${m}`)));
      await core.deleteNamespace({ name: namespace });
      await waitFor(
        `namespace ${namespace} to be gone`,
        () =>
          core.readNamespace({ name: namespace }).then(
            () => false,
            () => true,
          ),
        180_000,
      );
      await waitFor('its volumes to be deleted', async () => {
        const names = (await core.listPersistentVolume()).items.map((pv) => pv.metadata!.name);
        return volumes.every((v) => !names.includes(v.pv) && !existsSync(v.path));
      });
      for (const pod of pods) {
        await expect(connectTo(pod.status!.podIP!, 2379)).rejects.toThrow(/ECONNREFUSED/);
      }
      await waitFor(
        `${hostMountRoot}/etcd to be removed`,
        () => Promise.resolve(!existsSync(`${hostMountRoot}/etcd`)),
        30_000,
      );
    }, 240_000);
  });

  describe('bad input', () => {
    it('an image without a local mapping leaves the Pod Pending with ErrImagePull and a message', async () => {
      const namespace = await createNamespace('bad');
      await core.createNamespacedPod({
        namespace,
        body: { metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
      });
      const pod = await waitFor('the ErrImagePull waiting reason', async () => {
        const current = await readPod(namespace, 'web');
        return current.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull' && current;
      });
      expect(pod.status?.phase).toBe('Pending');
      expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toMatch(/"nginx:1.27" has no local mapping/);
    }, 120_000);

    it('a command that does not exist terminates the container with the error in its state', async () => {
      const namespace = await createNamespace('bad');
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'typo' },
          spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['no-such-cmd'] }] },
        },
      });
      const pod = await waitFor('the Pod to fail', async () => {
        const current = await readPod(namespace, 'typo');
        return current.status?.phase === 'Failed' && current;
      });
      const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
      expect(terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
      expect(terminated?.message).toMatch(/exec: "no-such-cmd": executable file not found in \$PATH/);
    }, 120_000);
  });

  describe('faults', () => {
    it('the agent restarted while Pods run adopts them, keeps their status true, and ends orphans', async () => {
      const namespace = await createNamespace('restart');
      const marker = join(dataDir, `exit-now-${id}`);
      // steady's readiness probe appends a line here each time it runs: whether the restarted agent probes it shows.
      const probeRuns = join(dataDir, `steady-probes-${id}`);
      const countProbeRuns = () => (existsSync(probeRuns) ? readFileSync(probeRuns, 'utf8').split('\n').length - 1 : 0);
      const pod = (name: string, command: string, restartPolicy: string, probe = ['true']): V1Pod => ({
        metadata: { name },
        spec: {
          restartPolicy,
          containers: [
            {
              name: 'main',
              image: 'debian:12',
              command: ['sh', '-c', command],
              readinessProbe: { exec: { command: probe }, periodSeconds: 2 },
            },
          ],
        },
      });
      const probe = ['sh', '-c', `echo ran >> ${probeRuns}`];
      await core.createNamespacedPod({ namespace, body: pod('steady', 'exec sleep 3600', 'Always', probe) });
      // Ends (exit 3) while the agent is down: its real exit code must still be reported.
      const ending = `while [ ! -e ${marker} ]; do sleep 0.2; done; exit 3`;
      await core.createNamespacedPod({ namespace, body: pod('ending', ending, 'Never') });
      // Deleted from the API while the agent is down: its process is an orphan the agent must end.
      const serve = 'exec python3 -m http.server --bind $(POD_IP) 8080';
      const doomed = pod('doomed', serve, 'Always');
      doomed.spec!.containers[0]!.env = [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }];
      await core.createNamespacedPod({ namespace, body: doomed });
      const before = await waitFor('the pods Ready', async () => {
        const pods = await Promise.all(['steady', 'ending', 'doomed'].map((n) => readPod(namespace, n)));
        return pods.every(isReady) && pods;
      });
      const doomedIp = before[2]!.status!.podIP!;
      await waitFor('doomed to serve', () => connectTo(doomedIp, 8080).then(() => true), 30_000);

      await agent.crash();
      writeFileSync(marker, '');
      await core.deleteNamespacedPod({ name: 'doomed', namespace, gracePeriodSeconds: 0 });
      agent.start();

      const ending2 = await waitFor('ending to be reported Failed', async () => {
        const current = await readPod(namespace, 'ending');
        return current.status?.phase === 'Failed' && current;
      });
      expect(ending2.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
      const steady = await readPod(namespace, 'steady');
      const [was, is] = [before[0]!.status!.containerStatuses![0]!, steady.status!.containerStatuses![0]!];
      expect(is.restartCount).toBe(0);
      expect(is.containerID).toBe(was.containerID);
      expect(is.state?.running?.startedAt).toEqual(was.state?.running?.startedAt);
      expect(isReady(steady)).toBe(true);
      // Adopted, not just remembered: its exec readiness probe runs again (the restarted agent reported ending, so
      // it has adopted; a probe the killed agent had started can add at most one line), and it stays Ready.
      const runsAtAdoption = countProbeRuns();
      await waitFor(
        'two more readiness probe runs of steady after adoption',
        () => Promise.resolve(countProbeRuns() >= runsAtAdoption + 2),
        60_000,
      );
      expect(isReady(await readPod(namespace, 'steady'))).toBe(true);
      await waitFor(
        'the orphan doomed to be ended',
        () =>
          connectTo(doomedIp, 8080).then(
            () => false,
            (err: Error) => /ECONNREFUSED/.test(err.message),
          ),
        30_000,
      );
    }, 180_000);

    it('stopping the agent leaves no process and no mount point behind', async () => {
      await agent.stop();
      expect(processesUsing(join(dataDir, 'agent'))).toEqual([]);
      expect(existsSync(hostMountRoot)).toBe(false);
    }, 120_000);
  });
});

function connectTo(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('timeout'));
    });
  });
}
