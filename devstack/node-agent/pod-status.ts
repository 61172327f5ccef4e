import type { V1ContainerState, V1ContainerStatus, V1Pod, V1PodCondition } from '@kubernetes/client-node';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** What the status needs to know about one container, init or regular. */
export interface ContainerView {
  name: string;
  state?: V1ContainerState;
  lastState?: V1ContainerState;
  ready: boolean;
}

/** kubelet's getPhase (pkg/kubelet/kubelet_pods.go), for Pods without sidecar init containers. */
export function podPhase(
  restartPolicy: RestartPolicy,
  inits: ContainerView[],
  containers: ContainerView[],
  podIsTerminal: boolean,
): PodPhase {
  let pendingInits = 0;
  let failedInits = 0;
  for (const c of inits) {
    if (c.state?.running) pendingInits++;
    else if (c.state?.terminated) {
      if (c.state.terminated.exitCode !== 0) failedInits++;
    } else if (c.lastState?.terminated) {
      if (c.lastState.terminated.exitCode !== 0) failedInits++;
    } else pendingInits++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of containers) {
    if (c.state?.running) running++;
    else if (c.state?.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (failedInits > 0 && restartPolicy === 'Never') return 'Failed';
  if (pendingInits > 0 || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === 0) return 'Pending';
  if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
  if (restartPolicy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  return restartPolicy === 'Never' ? 'Failed' : 'Running';
}

export const isTerminalPhase = (phase: PodPhase) => phase === 'Succeeded' || phase === 'Failed';

/** A condition as patched: reason and message are null when absent, so a strategic merge patch clears old ones. */
export interface PatchCondition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime: Date;
  reason: string | null;
  message: string | null;
}

/** Keeps lastTransitionTime where a condition's status did not change, as the API expects. */
export class Conditions {
  private readonly current = new Map<string, { status: string; lastTransitionTime?: Date }>();

  constructor(existing: V1PodCondition[] | undefined) {
    for (const c of existing ?? []) this.current.set(c.type, c);
  }

  set(type: string, status: boolean, reason?: string, message?: string): PatchCondition {
    const previous = this.current.get(type);
    const value = status ? 'True' : 'False';
    const condition: PatchCondition = {
      type,
      status: value,
      lastTransitionTime:
        previous?.status === value && previous.lastTransitionTime ? new Date(previous.lastTransitionTime) : new Date(),
      reason: reason ?? null,
      message: message ?? null,
    };
    this.current.set(type, condition);
    return condition;
  }
}

/** The four conditions kubelet owns (PodScheduled belongs to the scheduler and is left alone). */
export function podConditions(
  conditions: Conditions,
  opts: {
    sandboxReady: boolean;
    inits: ContainerView[];
    containers: ContainerView[];
    phase: PodPhase;
    /** Readiness gates whose condition (set by someone else) is not True. */
    openGates: string[];
  },
): PatchCondition[] {
  const unfinishedInits = opts.inits.filter((c) => c.state?.terminated?.exitCode !== 0).map((c) => c.name);
  const unready = opts.containers.filter((c) => !c.ready).map((c) => c.name);
  const completed = isTerminalPhase(opts.phase);
  const containersReason = completed ? 'PodCompleted' : unready.length ? 'ContainersNotReady' : undefined;
  const containersMessage =
    !completed && unready.length ? `containers with unready status: [${unready.join(' ')}]` : undefined;
  const containersReady = !completed && unready.length === 0;
  const gatesOpen = containersReady && opts.openGates.length > 0;
  return [
    conditions.set('PodReadyToStartContainers', opts.sandboxReady && !completed),
    conditions.set(
      'Initialized',
      unfinishedInits.length === 0,
      unfinishedInits.length ? 'ContainersNotInitialized' : undefined,
      unfinishedInits.length ? `containers with incomplete status: [${unfinishedInits.join(' ')}]` : undefined,
    ),
    conditions.set('ContainersReady', containersReady, containersReason, containersMessage),
    conditions.set(
      'Ready',
      containersReady && !gatesOpen,
      gatesOpen ? 'ReadinessGatesNotReady' : containersReason,
      gatesOpen ? `readiness gates not ready: [${opts.openGates.join(' ')}]` : containersMessage,
    ),
  ];
}

/** The status kubelet reports for a Pod, ready for a strategic merge patch of pods/status. */
export function podStatus(input: {
  pod: V1Pod;
  phase: PodPhase;
  conditions: Conditions;
  sandboxReady: boolean;
  inits: V1ContainerStatus[];
  containers: V1ContainerStatus[];
  podIP: string;
  hostIP: string;
  startTime: Date;
  terminalReason?: { reason: string; message: string };
}) {
  const existing = input.pod.status?.conditions ?? [];
  const openGates = (input.pod.spec?.readinessGates ?? [])
    .map((g) => g.conditionType)
    .filter((type) => existing.find((c) => c.type === type)?.status !== 'True');
  return {
    observedGeneration: input.pod.metadata?.generation,
    phase: input.phase,
    conditions: podConditions(input.conditions, {
      sandboxReady: input.sandboxReady,
      inits: input.inits,
      containers: input.containers,
      phase: input.phase,
      openGates,
    }),
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    podIP: input.podIP,
    podIPs: [{ ip: input.podIP }],
    startTime: input.startTime,
    ...(input.inits.length ? { initContainerStatuses: input.inits } : {}),
    containerStatuses: input.containers,
    ...(input.terminalReason ?? {}),
  };
}
