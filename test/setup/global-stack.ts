import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startControlPlane, type ControlPlane } from '../../devstack/kube/control-plane.js';
import {
  grantResourceReaderAccess,
  grantResourceRestorerAccess,
  grantCredentialLabellerAccess,
  grantWorkerAccess,
} from '../../devstack/kube/worker-access.js';
import { startNodeAgent, type NodeAgent } from '../../devstack/node-agent/agent.js';
import { prepareNodeIdentity } from '../../devstack/node-agent/identity.js';
import { freePorts } from '../../devstack/ports.js';
import { ManagedProcess, type ProcessSpec } from '../../devstack/process.js';
import { etcdCluster, etcdMembers } from '../../devstack/servers/etcd.js';
import { minioServer } from '../../devstack/servers/minio.js';
import { temporalServer } from '../../devstack/servers/temporal.js';
import { versitygwServer } from '../../devstack/servers/versitygw.js';
import { consoleProgress, ensureTools } from '../../devstack/tools/build.js';
import { workflowsPath } from '../../worker/create-worker.js';
import type { S3ServerInfo } from '../helpers/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    s3Servers: S3ServerInfo[];
    etcdEndpoints: string[];
    workflowBundlePath: string;
    tools: Record<string, string>;
    dataDir: string;
    /** Cluster-admin kubeconfig of the real local control plane (kube-apiserver, controller-manager, scheduler). */
    kubeconfig: string;
    /** The worker's least-privilege kubeconfig: exactly deploy/kubernetes/rbac.yaml, as in production. */
    workerKubeconfig: string;
    /** The resource backups' read-only kubeconfig: exactly deploy/kubernetes/resource-reader.yaml. */
    resourceReaderKubeconfig: string;
    resourceRestorerKubeconfig: string;
    /** ACM hub backups' credential labelling identity: exactly deploy/kubernetes/acm-credential-labeller.yaml. */
    credentialLabellerKubeconfig: string;
  }
}

/**
 * Starts the real servers once per test run, on free loopback ports, with the same launch code as the dev stack:
 * Temporal (in memory, headless), versitygw, MinIO and a three-member etcd. Every test file isolates itself with its
 * own task queue and bucket. The teardown stops them all, also when tests fail; an exit hook kills any that remain.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tools = await ensureTools(consoleProgress());
  const dataDir = mkdtempSync(join(tmpdir(), 'lifeboat-test-'));
  // Test files and the servers they start make their scratch directories under os.tmpdir(): pointing it into the
  // run's data directory (test workers inherit the environment) lets the teardown remove them all, whatever a test
  // forgot. A 1 GiB-scale run otherwise leaves gigabytes behind in /tmp.
  const scratch = join(dataDir, 'tmp');
  mkdirSync(scratch);
  process.env.TMPDIR = scratch;
  const [temporalPort, versityPort, minioPort, ...etcdPorts] = (await freePorts(9)) as [number, ...number[]];
  const [apiServerPort, kubeEtcdClient, kubeEtcdPeer, schedulerPort, kubeletPort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const clientPorts = etcdPorts.slice(0, 3);
  const peerPorts = etcdPorts.slice(3, 6);
  const credentials = { accessKeyId: 'lifeboat-test', secretAccessKey: 'lifeboat-test-secret-1234' };

  const specs: ProcessSpec[] = [
    temporalServer({ binary: tools.temporal, dataDir: join(dataDir, 'temporal'), port: temporalPort }),
    versitygwServer({
      binary: tools.versitygw,
      dataDir: join(dataDir, 'versitygw'),
      port: versityPort!,
      ...credentials,
    }),
    minioServer({ binary: tools.minio, dataDir: join(dataDir, 'minio'), port: minioPort!, ...credentials }),
    ...etcdCluster({
      binary: tools.etcd,
      dataDir: join(dataDir, 'etcd'),
      clientPorts,
      peerPorts,
      clusterToken: 'lifeboat-test',
      unsafeNoFsync: true,
    }),
  ];
  const processes = specs.map((spec) => new ManagedProcess(spec));
  let controlPlane: ControlPlane | undefined;
  let agent: NodeAgent | undefined;
  const killAll = () =>
    [...processes, ...(controlPlane?.processes ?? [])].forEach(
      (p) => p.pid && p.running && process.kill(p.pid, 'SIGKILL'),
    );
  process.once('exit', killAll);

  const teardown = async () => {
    await agent?.stop();
    await Promise.all([...processes.map((p) => p.stop()), controlPlane?.stop()]);
    process.removeListener('exit', killAll);
    if (!process.env.LIFEBOAT_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const [, bundle, plane] = await Promise.all([
      Promise.all(processes.map((p) => p.start())),
      bundleWorkflowCode({ workflowsPath, logger: quietLogger }),
      startControlPlane({
        tools,
        dataDir: join(dataDir, 'kubernetes'),
        apiServerPort,
        etcdClientPort: kubeEtcdClient,
        etcdPeerPort: kubeEtcdPeer,
        schedulerPort,
        unsafeNoFsync: true,
      }),
    ]);
    controlPlane = plane;
    // One node that runs Pods as local processes, so Jobs and StatefulSets really run (devstack/node-agent).
    const identity = await prepareNodeIdentity({
      pki: plane.pki,
      server: plane.server,
      nodeName: 'test-node',
      dir: join(dataDir, 'node'),
    });
    agent = await startNodeAgent({
      ...identity,
      dataDir: join(dataDir, 'node-agent'),
      port: kubeletPort,
      etcdBinDir: dirname(tools.etcd),
      adminKubeconfig: plane.adminKubeconfig,
    });
    const workflowBundlePath = join(dataDir, 'workflow-bundle.js');
    writeFileSync(workflowBundlePath, bundle.code);
    const workerKubeconfig = await grantWorkerAccess(plane, join(dataDir, 'kubernetes'));
    const resourceReaderKubeconfig = await grantResourceReaderAccess(plane, join(dataDir, 'kubernetes'));
    const resourceRestorerKubeconfig = await grantResourceRestorerAccess(plane, join(dataDir, 'kubernetes'));
    const credentialLabellerKubeconfig = await grantCredentialLabellerAccess(plane, join(dataDir, 'kubernetes'));

    project.provide('temporalAddress', `127.0.0.1:${temporalPort}`);
    project.provide('s3Servers', [
      { name: 'versitygw', endpoint: `http://127.0.0.1:${versityPort}`, ...credentials },
      { name: 'minio', endpoint: `http://127.0.0.1:${minioPort}`, ...credentials },
    ]);
    project.provide(
      'etcdEndpoints',
      etcdMembers({ clientPorts, peerPorts }).map((m) => m.clientUrl),
    );
    project.provide('workflowBundlePath', workflowBundlePath);
    project.provide('tools', tools);
    project.provide('dataDir', dataDir);
    project.provide('kubeconfig', plane.adminKubeconfig);
    project.provide('workerKubeconfig', workerKubeconfig);
    project.provide('resourceReaderKubeconfig', resourceReaderKubeconfig);
    project.provide('resourceRestorerKubeconfig', resourceRestorerKubeconfig);
    project.provide('credentialLabellerKubeconfig', credentialLabellerKubeconfig);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
