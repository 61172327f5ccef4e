import type { V1Container, V1ContainerState, V1ContainerStatus } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { ContainerExit, ContainerProcess } from './container.js';
import type { ContainerProbes } from './probe-loop.js';
import type { RestartPolicy } from './pod-status.js';

const MAX_BACKOFF_SECONDS = 300;
/** A container that ran this long before it ended starts its back-off afresh (kubelet: 10 minutes). */
const BACKOFF_RESET_MS = 10 * 60 * 1000;

/** One container of a Pod across its restarts: what kubelet tracks to fill a ContainerStatus. */
export interface ContainerSlot {
  spec: V1Container;
  init: boolean;
  state: V1ContainerState;
  lastState: V1ContainerState;
  restartCount: number;
  /** Whether an instance ever ran: the next start is then a restart. */
  hasRun: boolean;
  ready: boolean;
  started: boolean;
  containerID?: string;
  process?: ContainerProcess;
  probes?: ContainerProbes;
  backoffSeconds: number;
  /** Not before this time (back-off, or a retry after a configuration or volume error). */
  notBefore?: number;
  /** The image has no local mapping: nothing will change that while the agent runs. */
  blocked?: boolean;
  /** Why the agent is ending this instance (liveness failure), for the termination message. */
  killReason?: string;
}

export function newSlot(spec: V1Container, init: boolean, waitingReason: string): ContainerSlot {
  return {
    spec,
    init,
    state: { waiting: { reason: waitingReason } },
    lastState: {},
    restartCount: 0,
    hasRun: false,
    ready: false,
    started: false,
    backoffSeconds: 0,
  };
}

/**
 * Picks up where the API's status left off (agent restart): counts, last state and readiness stay as reported. The
 * back-off starts afresh, as kubelet's in-memory one does after a restart.
 */
export function restoreSlot(slot: ContainerSlot, status: V1ContainerStatus | undefined): void {
  if (!status) return;
  slot.restartCount = status.restartCount ?? 0;
  slot.lastState = status.lastState ?? {};
  slot.state = status.state ?? slot.state;
  slot.ready = status.ready ?? false;
  slot.started = status.started ?? false;
  slot.containerID = status.containerID;
  slot.hasRun = Boolean(status.state?.running || status.state?.terminated || status.lastState?.terminated);
}

export function containerId(podUid: string, name: string, instance: number): string {
  return `lifeboat://${createHash('sha256').update(`${podUid}/${name}/${instance}`).digest('hex').slice(0, 32)}`;
}

/**
 * How an instance ended, as a ContainerState. `logTail` is the end of its log, the message under
 * terminationMessagePolicy FallbackToLogsOnError when it failed.
 */
export function terminatedState(slot: ContainerSlot, exit: ContainerExit, logTail?: () => string): V1ContainerState {
  const startedAt = slot.state.running?.startedAt;
  if (exit.startError !== undefined) {
    return {
      terminated: {
        exitCode: 128,
        reason: 'StartError',
        message: `failed to start container process: ${exit.startError}`,
        startedAt: new Date(0),
        finishedAt: exit.finishedAt,
        containerID: slot.containerID,
      },
    };
  }
  const fallback =
    exit.exitCode !== 0 && slot.spec.terminationMessagePolicy === 'FallbackToLogsOnError' ? logTail?.() : undefined;
  const message = exit.unknown
    ? 'the container ended while the node agent was not running; its exit code is unknown'
    : (slot.killReason ?? (fallback || undefined));
  return {
    terminated: {
      exitCode: exit.exitCode,
      reason: exit.exitCode === 0 ? 'Completed' : 'Error',
      ...(message ? { message } : {}),
      startedAt,
      finishedAt: exit.finishedAt,
      containerID: slot.containerID,
    },
  };
}

/** Whether an ended container runs again under the Pod's restart policy (init containers must succeed once). */
export function shouldRestart(slot: ContainerSlot, policy: RestartPolicy): boolean {
  const exitCode = slot.state.terminated?.exitCode ?? 0;
  if (slot.init) return exitCode !== 0 && policy !== 'Never';
  if (policy === 'Always') return true;
  return policy === 'OnFailure' && exitCode !== 0;
}

/** The delay before the next restart: none the first time, then 10s doubling to 5 minutes. */
export function nextBackoff(slot: ContainerSlot): number {
  const t = slot.state.terminated;
  const ran = t?.startedAt && t.finishedAt ? new Date(t.finishedAt).getTime() - new Date(t.startedAt).getTime() : 0;
  if (ran > BACKOFF_RESET_MS) slot.backoffSeconds = 0;
  const delay = slot.backoffSeconds;
  slot.backoffSeconds = delay ? Math.min(delay * 2, MAX_BACKOFF_SECONDS) : 10;
  return delay;
}

export function succeeded(slot: ContainerSlot): boolean {
  return slot.state.terminated?.exitCode === 0;
}

export function containerStatus(slot: ContainerSlot): V1ContainerStatus {
  return {
    name: slot.spec.name,
    image: slot.spec.image ?? '',
    imageID: slot.hasRun ? `lifeboat.dev/local-image/${slot.spec.image ?? ''}` : '',
    ...(slot.containerID ? { containerID: slot.containerID } : {}),
    ready: slot.ready,
    started: slot.started,
    restartCount: slot.restartCount,
    state: slot.state,
    lastState: slot.lastState,
  };
}
