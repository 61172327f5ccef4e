import type { CoreV1Api, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ContainerConfigError, type ConfigSource } from './config-source.js';
import { ContainerProcess, type ContainerExit } from './container.js';
import {
  containerId,
  containerStatus,
  newSlot,
  nextBackoff,
  restoreSlot,
  shouldRestart,
  succeeded,
  terminatedState,
  type ContainerSlot,
} from './container-slot.js';
import type { EventRecorder, EventType } from './events.js';
import { podHostNames, type HostsFile } from './hosts.js';
import type { ImageTable } from './images.js';
import { errorMessage, isNotFound, strategicMergePatch } from './kube.js';
import { prepareLaunch, type Launch, type LaunchContext } from './launch.js';
import type { MountPoints } from './mount-points.js';
import { instancePaths, logTail, prune } from './instance-files.js';
import { podIp } from './pod-ip.js';
import {
  Conditions,
  isTerminalPhase,
  podStatus,
  podPhase,
  type ContainerView,
  type PodPhase,
  type RestartPolicy,
} from './pod-status.js';
import { ContainerProbes } from './probe-loop.js';
import { runInContainer } from './probe-exec.js';
import { preamble, type HostTools } from './sandbox.js';
import type { AgentState } from './state.js';
import { VolumeNotReadyError } from './volumes.js';

/** What every Pod worker of one node shares. */
export interface NodeContext {
  nodeName: string;
  dataDir: string;
  core: CoreV1Api;
  source: ConfigSource;
  images: ImageTable;
  tools: HostTools;
  hosts: HostsFile;
  mountPoints: MountPoints;
  state: AgentState;
  events: EventRecorder;
  /** KUBERNETES_SERVICE_HOST/PORT: where in-cluster clients find the API server from a local process. */
  serviceEnv: Record<string, string>;
  log(message: string): void;
}

const HOST_IP = '127.0.0.1';
const CONFIG_RETRY_MS = 10_000;
const VOLUME_RETRY_MS = 3_000;

/**
 * Plays kubelet for one Pod: starts init containers in order and then the containers, restarts them by policy with
 * back-off, runs probes, reports status, and on deletion stops everything gracefully and removes the Pod.
 * Every change goes through sync(), one run at a time, so decisions always see a consistent state.
 */
export class PodWorker {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly podIP: string;
  private pod: V1Pod;
  private readonly podDir: string;
  private readonly inits: ContainerSlot[];
  private readonly containers: ContainerSlot[];
  private readonly conditions: Conditions;
  private readonly startTime: Date;
  private phase: PodPhase = 'Pending';
  private terminalReason: { reason: string; message: string } | undefined;
  private sandboxReady = false;
  private removedFromApi = false;
  private finished = false;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private dirty = false;
  private lastPublished = '';
  private deadlineArmed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    pod: V1Pod,
    private readonly ctx: NodeContext,
    private readonly onFinished: (uid: string) => void,
  ) {
    this.pod = pod;
    this.uid = pod.metadata!.uid!;
    this.namespace = pod.metadata!.namespace!;
    this.name = pod.metadata!.name!;
    this.podIP = pod.spec?.hostNetwork ? HOST_IP : podIp(this.namespace, this.name);
    this.podDir = join(ctx.dataDir, 'pods', this.uid);
    const hasInits = (pod.spec?.initContainers ?? []).length > 0;
    this.inits = (pod.spec?.initContainers ?? []).map((c) => newSlot(c, true, 'PodInitializing'));
    this.containers = pod.spec!.containers.map((c) =>
      newSlot(c, false, hasInits ? 'PodInitializing' : 'ContainerCreating'),
    );
    this.conditions = new Conditions(pod.status?.conditions);
    this.startTime = pod.status?.startTime ? new Date(pod.status.startTime) : new Date();
    this.restore();
  }

  update(pod: V1Pod): void {
    this.pod = pod;
    this.kick();
  }

  /** The Pod is gone from the API (force-deleted, or deleted after its final delete): stop without reporting. */
  removed(): void {
    this.removedFromApi = true;
    this.kick();
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** For the log endpoint: the log file of a container's current (or previous) instance. */
  logFile(container: string, previous: boolean): string | undefined {
    const slot = this.slot(container);
    if (!slot || !slot.hasRun) return undefined;
    const instance = previous ? slot.restartCount - 1 : slot.restartCount;
    return instance < 0 ? undefined : instancePaths(this.podDir, container, instance).logFile;
  }

  /** For the log endpoint: why a container has no logs, or undefined when it has. */
  containerState(container: string): { exists: boolean; running: boolean; waitingReason?: string } {
    const slot = this.slot(container);
    if (!slot) return { exists: false, running: false };
    return {
      exists: true,
      running: Boolean(slot.process),
      waitingReason: slot.hasRun ? undefined : slot.state.waiting?.reason,
    };
  }

  /** Stops this Pod's processes without touching the API: the agent is shutting down. */
  async shutdown(): Promise<void> {
    this.finished = true;
    this.clearTimers();
    // A sync in flight may still start a container: let it finish, then stop everything.
    await this.loopDone;
    await Promise.all(
      [...this.inits, ...this.containers].map(async (slot) => {
        slot.probes?.stop();
        // The record stays: the next agent reads how the instance ended from what its shim wrote.
        if (slot.process) await slot.process.stop(2);
      }),
    );
    this.ctx.mountPoints.release(this.uid);
    this.ctx.hosts.delete(this.uid);
  }

  private slot(name: string): ContainerSlot | undefined {
    return [...this.inits, ...this.containers].find((s) => s.spec.name === name);
  }

  private get restartPolicy(): RestartPolicy {
    return (this.pod.spec?.restartPolicy as RestartPolicy | undefined) ?? 'Always';
  }

  /**
   * After an agent restart: the API's status is the record (counts, states, readiness); processes that still run
   * for a container the API reports running are adopted, every other leftover process of this Pod is killed.
   */
  private restore(): void {
    const records = new Map(
      this.ctx.state
        .containers()
        .filter((r) => r.podUid === this.uid)
        .map((r) => [r.container, r]),
    );
    const status = this.pod.status;
    const find = (list: V1ContainerStatus[] | undefined, name: string) => list?.find((s) => s.name === name);
    for (const slot of this.inits) restoreSlot(slot, find(status?.initContainerStatuses, slot.spec.name));
    for (const slot of this.containers) restoreSlot(slot, find(status?.containerStatuses, slot.spec.name));
    const phase = status?.phase as PodPhase | undefined;
    const terminal = phase !== undefined && isTerminalPhase(phase);
    if (terminal) this.phase = phase;
    else if (status?.containerStatuses) {
      this.sandboxReady = true;
      this.ctx.hosts.set(this.uid, this.podIP, this.hostNames());
    }
    for (const slot of [...this.inits, ...this.containers]) {
      if (terminal || !slot.state.running) continue;
      const record = records.get(slot.spec.name);
      const handle = record && record.restartCount === slot.restartCount ? record : undefined;
      const process = handle ? ContainerProcess.adopt(handle) : undefined;
      if (process) {
        records.delete(slot.spec.name);
        this.ctx.log(`${this.namespace}/${this.name}: adopted running container ${slot.spec.name}`);
        this.attach(slot, process, { ready: slot.ready, started: slot.started });
        continue;
      }
      slot.state = terminatedState(
        slot,
        handle ? ContainerProcess.exitOf(handle.runDir) : { exitCode: 137, unknown: true, finishedAt: new Date() },
      );
      slot.ready = false;
      slot.started = false;
    }
    for (const record of records.values()) {
      ContainerProcess.kill(record);
      this.ctx.state.deleteContainer(this.uid, record.container);
    }
  }

  private kick(): void {
    this.dirty = true;
    if (!this.running) this.loopDone = this.loop();
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.dirty && !this.finished) {
        this.dirty = false;
        try {
          await this.sync();
        } catch (err) {
          this.ctx.log(`${this.namespace}/${this.name}: ${errorMessage(err)}; retrying`);
          this.after(2000);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private after(ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.kick();
    }, ms);
    this.timers.add(timer);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async sync(): Promise<void> {
    if (this.removedFromApi || this.pod.metadata?.deletionTimestamp) return this.terminate();
    if (isTerminalPhase(this.phase)) return this.publish();
    if (!this.sandboxReady) {
      mkdirSync(this.podDir, { recursive: true });
      this.ctx.hosts.set(this.uid, this.podIP, this.hostNames());
      this.sandboxReady = true;
    }
    if (this.deadlineExceeded()) {
      await this.stopAll(this.gracePeriod(), 'DeadlineExceeded');
      this.terminalReason = {
        reason: 'DeadlineExceeded',
        message: `Pod was active on the node longer than the specified deadline`,
      };
    } else {
      let initialized = true;
      for (const slot of this.inits) {
        if (succeeded(slot)) continue;
        initialized = false;
        await this.ensure(slot);
        break;
      }
      if (initialized) for (const slot of this.containers) await this.ensure(slot);
    }
    const phase = this.terminalReason
      ? 'Failed'
      : podPhase(this.restartPolicy, views(this.inits), views(this.containers), false);
    if (isTerminalPhase(phase)) this.becomeTerminal();
    this.phase = phase;
    await this.publish();
  }

  private deadlineExceeded(): boolean {
    const seconds = this.pod.spec?.activeDeadlineSeconds;
    if (!seconds) return false;
    const remaining = this.startTime.getTime() + seconds * 1000 - Date.now();
    if (remaining > 0 && !this.deadlineArmed) {
      this.deadlineArmed = true;
      this.after(remaining + 100);
    }
    return remaining <= 0;
  }

  /** Brings one container to where the policy wants it: started, restarted after back-off, or left ended. */
  private async ensure(slot: ContainerSlot): Promise<void> {
    if (slot.process || slot.blocked) return;
    if (slot.state.terminated) {
      if (!shouldRestart(slot, this.restartPolicy)) return;
      const delay = nextBackoff(slot);
      slot.lastState = { terminated: slot.state.terminated };
      if (delay > 0) {
        slot.state = {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${delay}s restarting failed container=${slot.spec.name} pod=${this.name}_${this.namespace}(${this.uid})`,
          },
        };
        slot.notBefore = Date.now() + delay * 1000;
        this.event('Warning', 'BackOff', 'Back-off restarting failed container', slot);
        this.after(delay * 1000);
        return;
      }
    }
    if (slot.notBefore && Date.now() < slot.notBefore) return;
    slot.notBefore = undefined;
    await this.start(slot);
  }

  private async start(slot: ContainerSlot): Promise<void> {
    const { spec } = slot;
    const image = this.ctx.images.resolve(spec.image ?? '');
    if (!image) {
      slot.blocked = true;
      const message = `image "${spec.image}" has no local mapping in the Lifeboat node agent, so it cannot run here (mapped: etcd, lifeboat, busybox, alpine, debian, ubuntu, bash)`;
      slot.state = { waiting: { reason: 'ErrImagePull', message } };
      this.event('Warning', 'Failed', `Failed to pull image "${spec.image}": ${message}`, slot);
      return;
    }
    let launch: Launch;
    try {
      launch = await prepareLaunch(this.launchContext(), spec, image);
      for (const m of launch.mounts) if (!m.nested) this.ctx.mountPoints.ensure(m.target, m.kind, this.uid);
    } catch (err) {
      if (err instanceof VolumeNotReadyError) {
        slot.state = { waiting: { reason: 'ContainerCreating', message: err.message } };
        this.event('Warning', 'FailedMount', err.message);
        slot.notBefore = Date.now() + VOLUME_RETRY_MS;
        this.after(VOLUME_RETRY_MS);
        return;
      }
      if (err instanceof ContainerConfigError) {
        slot.state = { waiting: { reason: 'CreateContainerConfigError', message: err.message } };
        this.event('Warning', 'Failed', `Error: ${err.message}`, slot);
        slot.notBefore = Date.now() + CONFIG_RETRY_MS;
        this.after(CONFIG_RETRY_MS);
        return;
      }
      throw err;
    }
    // Shutting down while the launch was prepared: start nothing new.
    if (this.finished) return;
    const instance = slot.hasRun ? slot.restartCount + 1 : 0;
    const { runDir, logFile } = instancePaths(this.podDir, spec.name, instance);
    prune(dirname(logFile), instance);
    prune(dirname(runDir), instance);
    rmSync(runDir, { recursive: true, force: true });
    const process = ContainerProcess.spawn({
      tools: this.ctx.tools,
      runDir,
      logFile,
      preamble: preamble({
        mounts: launch.mounts,
        workingDir: spec.workingDir,
        mode: 'container',
        tools: this.ctx.tools,
      }),
      argv: launch.argv,
      env: launch.env,
    });
    slot.restartCount = instance;
    slot.hasRun = true;
    slot.killReason = undefined;
    slot.containerID = containerId(this.uid, spec.name, instance);
    slot.state = { running: { startedAt: new Date() } };
    this.ctx.state.putContainer({
      podUid: this.uid,
      namespace: this.namespace,
      podName: this.name,
      container: spec.name,
      restartCount: instance,
      ...process.handle,
    });
    this.event('Normal', 'Created', `Created container ${spec.name}`, slot);
    this.attach(slot, process, undefined, launch);
  }

  /** Wires a running instance: its exit, and (for regular containers) its probes. */
  private attach(
    slot: ContainerSlot,
    process: ContainerProcess,
    initial: { ready: boolean; started: boolean } | undefined,
    launch?: Launch,
  ): void {
    slot.process = process;
    void process.exited.then((exit) => this.onExit(slot, process, exit));
    if (slot.init) {
      slot.ready = false;
      slot.started = false;
      return;
    }
    let cached: Promise<Launch> | undefined = launch && Promise.resolve(launch);
    const exec = (argv: string[], timeoutMs: number) =>
      runInContainer({
        tools: this.ctx.tools,
        runDir: process.handle.runDir,
        spec: slot.spec,
        argv,
        timeoutMs,
        launch: () => (cached ??= this.probeLaunch(slot)),
      });
    const probes = new ContainerProbes(
      slot.spec,
      this.podIP,
      exec,
      {
        changed: () => {
          if (slot.probes !== probes) return;
          slot.ready = probes.ready;
          slot.started = probes.started;
          this.kick();
        },
        failed: (kind, message) => {
          if (slot.process !== process) return;
          this.event('Normal', 'Killing', `Container ${slot.spec.name} failed ${kind} probe, will be restarted`, slot);
          slot.killReason = message;
          const grace =
            slot.spec[kind === 'liveness' ? 'livenessProbe' : 'startupProbe']?.terminationGracePeriodSeconds;
          void process.stop(grace ?? this.gracePeriod());
        },
        unhealthy: (kind, message) => {
          const label = kind[0]!.toUpperCase() + kind.slice(1);
          this.event('Warning', 'Unhealthy', `${label} probe failed: ${message}`, slot);
        },
      },
      initial,
    );
    slot.probes = probes;
    slot.ready = probes.ready;
    slot.started = probes.started;
    probes.start(slot.state.running?.startedAt ? new Date(slot.state.running.startedAt) : new Date());
  }

  private launchContext(): LaunchContext {
    return {
      pod: this.pod,
      podDir: this.podDir,
      podIP: this.podIP,
      hostIP: HOST_IP,
      core: this.ctx.core,
      source: this.ctx.source,
      hostsFile: this.ctx.hosts.path,
      serviceEnv: this.ctx.serviceEnv,
    };
  }

  /** How an exec probe of an adopted container runs (its launch happened in an earlier agent process). */
  private probeLaunch(slot: ContainerSlot): Promise<Launch> {
    const image = this.ctx.images.resolve(slot.spec.image ?? '') ?? { path: [], entrypoint: [], cmd: [] };
    return prepareLaunch(this.launchContext(), slot.spec, image);
  }

  private onExit(slot: ContainerSlot, process: ContainerProcess, exit: ContainerExit): void {
    // Shutting down: the record stays for the next agent, which reports this exit from the shim's file.
    if (slot.process !== process || this.finished) return;
    slot.process = undefined;
    slot.probes?.stop();
    slot.probes = undefined;
    const log = this.logFile(slot.spec.name, false);
    slot.state = terminatedState(slot, exit, () => (log ? logTail(log) : ''));
    slot.ready = false;
    slot.started = false;
    this.ctx.state.deleteContainer(this.uid, slot.spec.name);
    if (exit.startError !== undefined) {
      const message = `Error: failed to start container process: ${exit.startError}`;
      this.event('Warning', 'Failed', message, slot);
    }
    this.kick();
  }

  private async stopAll(graceSeconds: number, why: string): Promise<void> {
    const slots = [...this.inits, ...this.containers].filter((s) => s.process);
    if (slots.length) this.ctx.log(`${this.namespace}/${this.name}: stopping ${slots.length} container(s): ${why}`);
    await Promise.all(
      slots.map(async (slot) => {
        const process = slot.process!;
        this.event('Normal', 'Killing', `Stopping container ${slot.spec.name}`, slot);
        slot.probes?.stop();
        this.onExit(slot, process, await process.stop(graceSeconds));
      }),
    );
  }

  private becomeTerminal(): void {
    for (const slot of [...this.inits, ...this.containers]) {
      slot.probes?.stop();
      slot.probes = undefined;
    }
    this.ctx.mountPoints.release(this.uid);
  }

  private gracePeriod(): number {
    return this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  /** Deletion: SIGTERM, grace period, SIGKILL; then the final status, kubelet's final delete, and local cleanup. */
  private async terminate(): Promise<void> {
    this.clearTimers();
    await this.stopAll(this.removedFromApi ? 2 : this.gracePeriod(), 'pod deleted');
    if (!isTerminalPhase(this.phase)) {
      for (const slot of [...this.inits, ...this.containers]) {
        if (slot.state.terminated) continue;
        // A container waiting to restart reports how it last ended; one that never ran, kubelet's unknown status.
        slot.state = slot.lastState.terminated
          ? { terminated: slot.lastState.terminated }
          : {
              terminated: {
                exitCode: 137,
                reason: 'ContainerStatusUnknown',
                message: 'The container could not be located when the pod was terminated',
                finishedAt: new Date(),
              },
            };
      }
      const phase = podPhase(this.restartPolicy, views(this.inits), views(this.containers), true);
      this.phase = isTerminalPhase(phase) ? phase : 'Failed';
    }
    // Its processes are gone, so are their mount namespaces: the host-side mount points can go before the API hears.
    this.ctx.mountPoints.release(this.uid);
    this.ctx.hosts.delete(this.uid);
    if (!this.removedFromApi) {
      await this.publish();
      try {
        await this.ctx.core.deleteNamespacedPod({
          name: this.name,
          namespace: this.namespace,
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } },
        });
      } catch (err) {
        if (!isNotFound(err)) this.ctx.log(`${this.namespace}/${this.name}: final delete: ${errorMessage(err)}`);
      }
    }
    for (const slot of [...this.inits, ...this.containers]) this.ctx.state.deleteContainer(this.uid, slot.spec.name);
    rmSync(this.podDir, { recursive: true, force: true });
    this.finished = true;
    this.onFinished(this.uid);
  }

  private async publish(): Promise<void> {
    const status = podStatus({
      pod: this.pod,
      phase: this.phase,
      conditions: this.conditions,
      sandboxReady: this.sandboxReady,
      inits: this.inits.map(containerStatus),
      containers: this.containers.map(containerStatus),
      podIP: this.podIP,
      hostIP: HOST_IP,
      startTime: this.startTime,
      terminalReason: this.terminalReason,
    });
    const serialized = JSON.stringify(status);
    if (serialized === this.lastPublished) return;
    try {
      await this.ctx.core.patchNamespacedPodStatus(
        { name: this.name, namespace: this.namespace, body: { status } },
        strategicMergePatch,
      );
      this.lastPublished = serialized;
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  private hostNames(): string[] {
    return podHostNames({
      namespace: this.namespace,
      hostname: this.pod.spec?.hostname,
      subdomain: this.pod.spec?.subdomain,
    });
  }

  private event(type: EventType, reason: string, message: string, slot?: ContainerSlot): void {
    this.ctx.events.pod(this.pod, type, reason, message, slot && this.fieldPath(slot));
  }

  private fieldPath(slot: ContainerSlot): string {
    return `spec.${slot.init ? 'initContainers' : 'containers'}{${slot.spec.name}}`;
  }
}

const views = (slots: ContainerSlot[]): ContainerView[] => slots.map(containerStatus);
