import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess } from '../process.js';
import { etcdCluster } from '../servers/etcd.js';
import { kubeApiServer, kubeControllerManager, kubeScheduler } from '../servers/kubernetes.js';
import type { ToolPaths } from '../tools/build.js';
import { writeKubeconfig } from './kubeconfig.js';
import { ensurePki, type Pki } from './pki.js';

export interface ControlPlaneOptions {
  tools: ToolPaths;
  dataDir: string;
  apiServerPort: number;
  etcdClientPort: number;
  etcdPeerPort: number;
  schedulerPort: number;
  /** Tests trade durability for speed. */
  unsafeNoFsync?: boolean;
}

export interface ControlPlane {
  server: string;
  pki: Pki;
  /** Cluster-admin kubeconfig, for people, kubectl and tests. */
  adminKubeconfig: string;
  processes: ManagedProcess[];
  stop(): Promise<void>;
}

/** The extra rights a node agent needs beyond the Node authorizer: it is also the local volume provisioner. */
export const NODE_AGENT_CLUSTER_ROLE = 'lifeboat:local-node-agent';

async function bootstrapRbac(kubeconfig: KubeConfig): Promise<void> {
  const rbac = kubeconfig.makeApiClient(RbacAuthorizationV1Api);
  const role = {
    metadata: { name: NODE_AGENT_CLUSTER_ROLE },
    rules: [
      { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
      { apiGroups: [''], resources: ['persistentvolumeclaims/status'], verbs: ['update', 'patch'] },
      { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get', 'list', 'watch'] },
      // Resolving a StatefulSet pod's DNS name needs its governing Service.
      { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
    ],
  };
  const binding = {
    metadata: { name: NODE_AGENT_CLUSTER_ROLE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NODE_AGENT_CLUSTER_ROLE },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
  };
  await rbac
    .createClusterRole({ body: role })
    .catch(async () => rbac.replaceClusterRole({ name: role.metadata.name, body: role }));
  await rbac
    .createClusterRoleBinding({ body: binding })
    .catch(async () => rbac.replaceClusterRoleBinding({ name: binding.metadata.name, body: binding }));
}

/**
 * A real Kubernetes control plane on loopback: its own etcd, kube-apiserver with Node+RBAC authorization,
 * kube-controller-manager running the default controllers, and kube-scheduler. No kubelet: the node agent plays it.
 */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  mkdirSync(opts.dataDir, { recursive: true });
  const pki = await ensurePki(join(opts.dataDir, 'pki'));
  const server = `https://127.0.0.1:${opts.apiServerPort}`;
  const kubeconfigs = join(opts.dataDir, 'kubeconfig');
  mkdirSync(kubeconfigs, { recursive: true });
  const adminKubeconfig = writeKubeconfig(
    join(kubeconfigs, 'admin.kubeconfig'),
    server,
    pki.ca.cert,
    'lifeboat-admin',
    pki.admin,
  );
  const kcmKubeconfig = writeKubeconfig(
    join(kubeconfigs, 'controller-manager.kubeconfig'),
    server,
    pki.ca.cert,
    'system:kube-controller-manager',
    pki.controllerManager,
  );
  const schedulerKubeconfig = writeKubeconfig(
    join(kubeconfigs, 'scheduler.kubeconfig'),
    server,
    pki.ca.cert,
    'system:kube-scheduler',
    pki.scheduler,
  );

  const processes: ManagedProcess[] = [];
  const stop = async () => {
    for (const proc of [...processes].reverse()) await proc.stop();
  };
  const launch = async (proc: ManagedProcess) => {
    processes.push(proc);
    await proc.start();
  };

  try {
    const [etcdSpec] = etcdCluster({
      binary: opts.tools.etcd,
      dataDir: join(opts.dataDir, 'etcd'),
      clientPorts: [opts.etcdClientPort],
      peerPorts: [opts.etcdPeerPort],
      clusterToken: 'lifeboat-kube',
      unsafeNoFsync: opts.unsafeNoFsync,
    });
    await launch(new ManagedProcess({ ...etcdSpec!, name: 'kube etcd' }));
    await launch(
      new ManagedProcess(
        kubeApiServer({
          binary: opts.tools['kube-apiserver'],
          dataDir: opts.dataDir,
          port: opts.apiServerPort,
          etcdUrl: `http://127.0.0.1:${opts.etcdClientPort}`,
          pki,
        }),
      ),
    );
    const admin = new KubeConfig();
    admin.loadFromFile(adminKubeconfig);
    await bootstrapRbac(admin);
    const core = admin.makeApiClient(CoreV1Api);
    await Promise.all([
      launch(
        new ManagedProcess(
          kubeControllerManager({
            binary: opts.tools['kube-controller-manager'],
            dataDir: opts.dataDir,
            kubeconfig: kcmKubeconfig,
            pki,
            // Its service-account controller creating `default` shows the controllers run and can write.
            ready: async () => {
              await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
              return true;
            },
          }),
        ),
      ),
      launch(
        new ManagedProcess(
          kubeScheduler({
            binary: opts.tools['kube-scheduler'],
            dataDir: opts.dataDir,
            kubeconfig: schedulerKubeconfig,
            port: opts.schedulerPort,
            caCert: pki.ca.cert,
          }),
        ),
      ),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { server, pki, adminKubeconfig, processes, stop };
}
