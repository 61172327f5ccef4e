import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
// The typed API returns Dates where watch events carry strings; this serializer (not re-exported by the package)
// makes watch objects the same types as listed ones.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { errorMessage } from './kube.js';

export interface InformerHandlers<T> {
  upsert(obj: T): void;
  remove(obj: T): void;
}

export interface InformerOptions<T> {
  kubeconfig: KubeConfig;
  /** Collection path, e.g. /api/v1/pods. */
  path: string;
  /** Model name for deserialization, e.g. V1Pod. */
  type: string;
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  fieldSelector?: string;
  log: (message: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** List then watch, relisting after errors and expired resource versions; objects keyed by uid. */
export class Informer<T extends KubernetesObject> {
  private readonly objects = new Map<string, T>();
  private resourceVersion = '';
  private stopped = false;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly opts: InformerOptions<T>,
    private readonly handlers: InformerHandlers<T>,
  ) {}

  /** Resolves once the first list is in and handled. */
  async start(): Promise<void> {
    await this.relist();
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  private async relist(): Promise<void> {
    const list = await this.opts.list();
    const seen = new Set<string>();
    for (const item of list.items) {
      const uid = item.metadata?.uid ?? '';
      seen.add(uid);
      this.objects.set(uid, item);
      this.handlers.upsert(item);
    }
    for (const [uid, obj] of this.objects) {
      if (seen.has(uid)) continue;
      this.objects.delete(uid);
      this.handlers.remove(obj);
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const err = await this.watchOnce();
      if (this.stopped) return;
      if (err) {
        this.opts.log(`watch ${this.opts.path}: ${errorMessage(err)}; relisting`);
        await sleep(2000);
        this.resourceVersion = '';
      }
      if (this.resourceVersion) continue;
      try {
        await this.relist();
      } catch (listErr) {
        this.opts.log(`list ${this.opts.path}: ${errorMessage(listErr)}`);
        await sleep(2000);
      }
    }
  }

  private watchOnce(): Promise<unknown> {
    return new Promise((resolve) => {
      this.wake = () => resolve(undefined);
      const query = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        // The server ends the watch now and then, so a silently dead connection cannot stall the agent for long;
        // before 30 s, because the client (client-node 2.x) aborts a watch that has been silent that long, which
        // would cost a relist and log an error each time. A watch the server ends resumes from its resource version.
        timeoutSeconds: 20 + Math.floor(Math.random() * 8),
        fieldSelector: this.opts.fieldSelector,
      };
      new Watch(this.opts.kubeconfig)
        .watch(this.opts.path, query, (type, raw) => this.onEvent(type, raw), resolve)
        .then((abort) => {
          this.abort = abort;
          if (this.stopped) abort.abort();
        })
        .catch(resolve);
    });
  }

  private onEvent(type: string, raw: unknown): void {
    if (type === 'ERROR') {
      // 410 Gone: our resource version is too old; anything else also warrants a fresh list.
      this.resourceVersion = '';
      this.abort?.abort();
      return;
    }
    const obj = ObjectSerializer.deserialize(raw, this.opts.type, '') as T;
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (type === 'BOOKMARK') return;
    const uid = obj.metadata?.uid ?? '';
    if (type === 'DELETED') {
      this.objects.delete(uid);
      this.handlers.remove(obj);
    } else {
      this.objects.set(uid, obj);
      this.handlers.upsert(obj);
    }
  }
}
