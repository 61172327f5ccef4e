import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { runProbe, type ExecInContainer, type ProbeResult } from './probes.js';

export type ProbeKind = 'startup' | 'readiness' | 'liveness';

export interface ProbeEvents {
  /** ready or started changed: the Pod's status needs publishing. */
  changed(): void;
  /** A liveness or startup probe reached its failureThreshold: kubelet kills the container. */
  failed(kind: 'liveness' | 'startup', message: string): void;
  unhealthy(kind: ProbeKind, message: string): void;
}

/**
 * The three probes of one running container with kubelet's semantics: nothing but the startup probe runs until it
 * succeeds; readiness needs successThreshold successes in a row to turn ready and failureThreshold failures to turn
 * unready; liveness failureThreshold failures in a row end the container.
 */
export class ContainerProbes {
  ready: boolean;
  started: boolean;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly container: V1Container,
    private readonly podIP: string,
    private readonly exec: ExecInContainer,
    private readonly events: ProbeEvents,
    initial?: { ready: boolean; started: boolean },
  ) {
    this.started = container.startupProbe ? (initial?.started ?? false) : true;
    this.ready = container.readinessProbe ? (initial?.ready ?? false) : this.started;
  }

  start(startedAt: Date): void {
    const { startupProbe } = this.container;
    if (startupProbe && !this.started) this.schedule('startup', startupProbe, startedAt);
    else this.startMainProbes(startedAt);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private startMainProbes(startedAt: Date): void {
    const { readinessProbe, livenessProbe } = this.container;
    if (readinessProbe) this.schedule('readiness', readinessProbe, startedAt);
    if (livenessProbe) this.schedule('liveness', livenessProbe, startedAt);
  }

  private schedule(kind: ProbeKind, probe: V1Probe, startedAt: Date): void {
    const period = (probe.periodSeconds ?? 10) * 1000;
    const firstAt = startedAt.getTime() + (probe.initialDelaySeconds ?? 0) * 1000;
    let successes = 0;
    let failures = 0;
    const tick = async () => {
      if (this.stopped) return;
      const result: ProbeResult = await runProbe(probe, this.container, this.podIP, this.exec);
      if (this.stopped) return;
      if (result.ok) {
        successes++;
        failures = 0;
      } else {
        failures++;
        successes = 0;
        this.events.unhealthy(kind, result.message ?? 'probe failed');
      }
      if (this.onResult(kind, probe, successes, failures, result, startedAt)) return;
      this.arm(tick, period);
    };
    this.arm(tick, Math.max(0, firstAt - Date.now()));
  }

  /** Applies one result; true when this probe's loop is over. */
  private onResult(
    kind: ProbeKind,
    probe: V1Probe,
    successes: number,
    failures: number,
    result: ProbeResult,
    startedAt: Date,
  ): boolean {
    const failureThreshold = probe.failureThreshold ?? 3;
    const successThreshold = probe.successThreshold ?? 1;
    if (kind === 'startup') {
      if (successes >= successThreshold) {
        this.started = true;
        if (!this.container.readinessProbe) this.ready = true;
        this.events.changed();
        this.startMainProbes(startedAt);
        return true;
      }
      if (failures >= failureThreshold) {
        this.events.failed('startup', `Startup probe failed: ${result.message ?? ''}`.trim());
        return true;
      }
      return false;
    }
    if (kind === 'readiness') {
      if (!this.ready && successes >= successThreshold) {
        this.ready = true;
        this.events.changed();
      } else if (this.ready && failures >= failureThreshold) {
        this.ready = false;
        this.events.changed();
      }
      return false;
    }
    if (failures >= failureThreshold) {
      this.events.failed('liveness', `Liveness probe failed: ${result.message ?? ''}`.trim());
      return true;
    }
    return false;
  }

  private arm(fn: () => Promise<void>, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void fn();
    }, delayMs);
    this.timers.add(timer);
  }
}
