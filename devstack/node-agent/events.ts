import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { errorMessage, isNotFound, mergePatch } from './kube.js';

export type EventType = 'Normal' | 'Warning';

const MAX_TRACKED = 2000;

/**
 * Pod events as kubelet records them (kubectl describe shows them): a repeat of the same event bumps its count
 * instead of adding another. Best effort: a failed event never holds up a Pod.
 */
export class EventRecorder {
  private readonly seen = new Map<string, { name: string; namespace: string; count: number }>();
  private failures = 0;

  constructor(
    private readonly core: CoreV1Api,
    private readonly nodeName: string,
    private readonly log: (message: string) => void,
  ) {}

  pod(pod: V1Pod, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const meta = pod.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const now = new Date();
    const key = [meta.uid, type, reason, message, fieldPath].join('\u0000');
    const previous = this.seen.get(key);
    if (previous) {
      previous.count++;
      this.core
        .patchNamespacedEvent(
          { name: previous.name, namespace, body: { count: previous.count, lastTimestamp: now } },
          mergePatch,
        )
        .catch((err: unknown) => {
          // Expired (events live an hour): the next repeat starts a new one.
          if (isNotFound(err)) this.seen.delete(key);
          else this.failed(reason, meta.name, err);
        });
      return;
    }
    const name = `${meta.name}.${randomBytes(8).toString('hex')}`;
    if (this.seen.size >= MAX_TRACKED) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { name, namespace, count: 1 });
    const body = {
      metadata: { name, namespace },
      involvedObject: {
        kind: 'Pod',
        apiVersion: 'v1',
        namespace,
        name: meta.name,
        uid: meta.uid,
        ...(fieldPath ? { fieldPath } : {}),
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'kubelet', host: this.nodeName },
      reportingComponent: 'kubelet',
      reportingInstance: this.nodeName,
    };
    this.core.createNamespacedEvent({ namespace, body }).catch((err: unknown) => this.failed(reason, meta.name, err));
  }

  private failed(reason: string, pod: string | undefined, err: unknown): void {
    // A namespace being deleted refuses new events; say so once, not per event.
    if (this.failures++ === 0) this.log(`could not record event ${reason} for ${pod}: ${errorMessage(err)}`);
  }
}
