import { CoordinationV1Api, CoreV1Api, StorageV1Api, type V1Pod } from '@kubernetes/client-node';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:https';
import { join } from 'node:path';
import { apiConfigSource } from './config-source.js';
import { ContainerProcess } from './container.js';
import { EventRecorder } from './events.js';
import { hostTools } from './host-tools.js';
import { HostsFile } from './hosts.js';
import type { NodeIdentity } from './identity.js';
import { localImageTable } from './images.js';
import { Informer } from './informer.js';
import { loadKubeconfig } from './kube.js';
import { startLogsServer } from './logs-server.js';
import { MountPoints } from './mount-points.js';
import { NodeStatusReporter } from './node-status.js';
import { PodWorker, type NodeContext } from './pod-worker.js';
import { ensureStorageClass, LocalProvisioner } from './provisioner.js';
import { AgentState } from './state.js';

export interface NodeAgentOptions extends NodeIdentity {
  /** Pods, logs, volumes, the hosts file and the state file live here; reuse it across restarts to adopt Pods. */
  dataDir: string;
  /** The kubelet HTTPS port (logs); reported in the Node's daemonEndpoints. */
  port: number;
  /** Where the etcd image's commands (etcd, etcdctl, etcdutl) are. */
  etcdBinDir: string;
  /** Only used to create the default StorageClass if the node identity may not. */
  adminKubeconfig?: string;
  log?: (message: string) => void;
}

export interface NodeAgent {
  nodeName: string;
  /** Stops every container it runs (process groups), removes the mount points it created, stops reporting. */
  stop(): Promise<void>;
}

/**
 * One Node of the local cluster, played by this process: registers and heartbeats the Node, runs the Pods the
 * scheduler binds to it as local processes, provisions local volumes, and serves container logs.
 */
export async function startNodeAgent(opts: NodeAgentOptions): Promise<NodeAgent> {
  const log = opts.log ?? ((message: string) => console.log(`[node-agent ${opts.nodeName}] ${message}`));
  mkdirSync(join(opts.dataDir, 'pods'), { recursive: true });
  const tools = hostTools();
  const kubeconfig = loadKubeconfig(opts.kubeconfig);
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const server = new URL(kubeconfig.getCurrentCluster()?.server ?? 'https://127.0.0.1:6443');
  const state = new AgentState(join(opts.dataDir, 'state.json'));
  const workers = new Map<string, PodWorker>();
  const ctx: NodeContext = {
    nodeName: opts.nodeName,
    dataDir: opts.dataDir,
    core,
    source: apiConfigSource(core),
    images: localImageTable({ etcdBinDir: opts.etcdBinDir, dataDir: opts.dataDir }),
    tools,
    hosts: new HostsFile(join(opts.dataDir, 'hosts')),
    mountPoints: new MountPoints(state),
    state,
    events: new EventRecorder(core, opts.nodeName, log),
    serviceEnv: {
      KUBERNETES_SERVICE_HOST: server.hostname,
      KUBERNETES_SERVICE_PORT: server.port || '443',
      KUBERNETES_SERVICE_PORT_HTTPS: server.port || '443',
    },
    log,
  };

  const stoppers: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const stopper of stoppers.reverse()) await stopper();
    stoppers.length = 0;
  };
  try {
    const logs: Server = await startLogsServer({
      port: opts.port,
      cert: opts.servingCert,
      key: opts.servingKey,
      clientCa: opts.clientCa,
      lookup: (namespace, name) =>
        [...workers.values()].find((w) => w.namespace === namespace && w.name === name && !w.isFinished),
      log,
    });
    stoppers.push(
      () =>
        new Promise<void>((resolve) => {
          logs.closeAllConnections();
          logs.close(() => resolve());
        }),
    );

    const storageConfig = opts.adminKubeconfig ? loadKubeconfig(opts.adminKubeconfig) : kubeconfig;
    await ensureStorageClass(storageConfig.makeApiClient(StorageV1Api), log);
    const provisioner = new LocalProvisioner({ kubeconfig, core, nodeName: opts.nodeName, dataDir: opts.dataDir, log });
    await provisioner.start();
    stoppers.push(() => provisioner.stop());

    const node = new NodeStatusReporter({
      core,
      coordination: kubeconfig.makeApiClient(CoordinationV1Api),
      nodeName: opts.nodeName,
      port: opts.port,
      log,
    });
    await node.start();
    stoppers.push(() => node.stop());

    const finished = (uid: string) => log(`pod ${uid} finished and cleaned up`);
    const pods = new Informer<V1Pod>(
      {
        kubeconfig,
        path: '/api/v1/pods',
        type: 'V1Pod',
        fieldSelector: `spec.nodeName=${opts.nodeName}`,
        list: () => core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${opts.nodeName}` }),
        log,
      },
      {
        upsert: (pod) => {
          const uid = pod.metadata?.uid ?? '';
          const worker = workers.get(uid);
          if (worker) worker.update(pod);
          else {
            const created = new PodWorker(pod, ctx, finished);
            workers.set(uid, created);
            created.update(pod);
          }
        },
        remove: (pod) => {
          const uid = pod.metadata?.uid ?? '';
          workers.get(uid)?.removed();
          workers.delete(uid);
        },
      },
    );
    stoppers.push(async () => {
      pods.stop();
      await Promise.all([...workers.values()].map((w) => w.shutdown()));
      killLeftovers(ctx);
    });
    await pods.start();
    ctx.hosts.write();
    cleanupOrphans(ctx, new Set(workers.keys()));
    log(`node ${opts.nodeName} ready: ${workers.size} pod(s) bound here, logs on https://127.0.0.1:${opts.port}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodeName: opts.nodeName, stop };
}

/**
 * On stop: whatever still runs is killed and created mount points go. Pod data and the state records stay: emptyDir
 * outlives an agent restart (as with kubelet), and the next agent reports how each container ended.
 */
function killLeftovers(ctx: NodeContext): void {
  for (const record of ctx.state.containers()) ContainerProcess.kill(record);
  for (const owner of ctx.mountPoints.owners()) ctx.mountPoints.release(owner);
}

/** Processes, mount points and directories of Pods this node no longer has (deleted while the agent was away). */
function cleanupOrphans(ctx: NodeContext, live: Set<string>): void {
  for (const record of ctx.state.containers()) {
    if (live.has(record.podUid)) continue;
    ctx.log(`killing orphaned container ${record.namespace}/${record.podName}/${record.container}`);
    ContainerProcess.kill(record);
    ctx.state.deleteContainer(record.podUid, record.container);
  }
  for (const owner of ctx.mountPoints.owners()) if (!live.has(owner)) ctx.mountPoints.release(owner);
  const podsDir = join(ctx.dataDir, 'pods');
  for (const uid of readdirSync(podsDir)) {
    if (!live.has(uid)) rmSync(join(podsDir, uid), { recursive: true, force: true });
  }
}
