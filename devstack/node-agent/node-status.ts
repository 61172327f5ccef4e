import {
  V1MicroTime,
  type CoordinationV1Api,
  type CoreV1Api,
  type V1Lease,
  type V1Node,
  type V1NodeCondition,
} from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { arch, release } from 'node:os';
import { errorMessage, isConflict, isNotFound, mergePatch, strategicMergePatch } from './kube.js';
import { NODE_ALLOCATABLE } from './pod-fields.js';

export const KUBELET_VERSION = 'v1.36.3';
const LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_SECONDS = 40;
const LEASE_RENEW_MS = 10_000;
const STATUS_REPORT_MS = 20_000;

const readOr = (path: string, fallback: string) => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
};

function osImage(): string {
  const line = readOr('/etc/os-release', '')
    .split('\n')
    .find((l) => l.startsWith('PRETTY_NAME='));
  return line ? line.slice('PRETTY_NAME='.length).replace(/^"|"$/g, '') : 'Linux';
}

const goArch = () => ({ x64: 'amd64', arm64: 'arm64' })[arch() as 'x64' | 'arm64'] ?? arch();

export interface NodeStatusOptions {
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  nodeName: string;
  port: number;
  log: (message: string) => void;
}

/**
 * The Node object and its liveness, as kubelet keeps them: registration, a Ready heartbeat in the status and a Lease
 * renewed every 10s in kube-node-lease (what the node lifecycle controller watches). Taints are left to others.
 */
export class NodeStatusReporter {
  private readonly timers: NodeJS.Timeout[] = [];
  private lease: V1Lease | undefined;
  private nodeUid = '';
  private readyTransition = new Date();

  constructor(private readonly opts: NodeStatusOptions) {}

  async start(): Promise<void> {
    await this.register();
    await this.reportStatus();
    await this.renewLease();
    this.timers.push(
      setInterval(() => void this.reportStatus().catch((err) => this.warn('status', err)), STATUS_REPORT_MS),
    );
    this.timers.push(setInterval(() => void this.renewLease().catch((err) => this.warn('lease', err)), LEASE_RENEW_MS));
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  private warn(what: string, err: unknown): void {
    this.opts.log(`node ${what} update failed: ${errorMessage(err)}`);
  }

  private async register(): Promise<void> {
    const { core, nodeName } = this.opts;
    const labels = {
      'kubernetes.io/hostname': nodeName,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': goArch(),
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': goArch(),
    };
    let node: V1Node;
    try {
      node = await core.createNode({
        body: { metadata: { name: nodeName, labels }, spec: { unschedulable: false } },
      });
      this.opts.log(`registered node ${nodeName}`);
    } catch (err) {
      if (!isConflict(err)) throw err;
      node = await core.patchNode(
        { name: nodeName, body: { metadata: { labels }, spec: { unschedulable: false } } },
        mergePatch,
      );
    }
    this.nodeUid = node.metadata?.uid ?? '';
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'True' && ready.lastTransitionTime) this.readyTransition = new Date(ready.lastTransitionTime);
  }

  private conditions(now: Date): V1NodeCondition[] {
    const condition = (type: string, status: string, reason: string, message: string, since = now) => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: since,
    });
    return [
      condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', this.readyTransition),
      condition(
        'MemoryPressure',
        'False',
        'KubeletHasSufficientMemory',
        'kubelet has sufficient memory available',
        this.readyTransition,
      ),
      condition(
        'DiskPressure',
        'False',
        'KubeletHasNoDiskPressure',
        'kubelet has no disk pressure',
        this.readyTransition,
      ),
      condition(
        'PIDPressure',
        'False',
        'KubeletHasSufficientPID',
        'kubelet has sufficient PID available',
        this.readyTransition,
      ),
    ];
  }

  private async reportStatus(): Promise<void> {
    const now = new Date();
    const status = {
      capacity: NODE_ALLOCATABLE,
      allocatable: NODE_ALLOCATABLE,
      conditions: this.conditions(now),
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: this.opts.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.opts.port } },
      nodeInfo: {
        machineID: readOr('/etc/machine-id', ''),
        systemUUID: readOr('/sys/class/dmi/id/product_uuid', ''),
        bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: 'lifeboat-node-agent://0.1.0',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: goArch(),
      },
    };
    const node = await this.opts.core.patchNodeStatus(
      { name: this.opts.nodeName, body: { status } },
      strategicMergePatch,
    );
    // The node lifecycle controller may have marked the node NotReady while the agent was away: a new transition.
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') this.readyTransition = now;
  }

  private async renewLease(): Promise<void> {
    const { coordination, nodeName } = this.opts;
    const spec = { holderIdentity: nodeName, leaseDurationSeconds: LEASE_SECONDS, renewTime: new V1MicroTime() };
    if (this.lease) {
      try {
        this.lease = await coordination.replaceNamespacedLease({
          name: nodeName,
          namespace: LEASE_NAMESPACE,
          body: { ...this.lease, spec: { ...this.lease.spec, ...spec } },
        });
        return;
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
        this.lease = undefined;
      }
    }
    try {
      const current = await coordination.readNamespacedLease({ name: nodeName, namespace: LEASE_NAMESPACE });
      this.lease = await coordination.replaceNamespacedLease({
        name: nodeName,
        namespace: LEASE_NAMESPACE,
        body: { ...current, spec: { ...current.spec, ...spec } },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.lease = await coordination.createNamespacedLease({
        namespace: LEASE_NAMESPACE,
        body: {
          metadata: {
            name: nodeName,
            namespace: LEASE_NAMESPACE,
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: this.nodeUid }],
          },
          spec,
        },
      });
    }
  }
}
