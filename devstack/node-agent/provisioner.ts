import type {
  CoreV1Api,
  KubeConfig,
  StorageV1Api,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
} from '@kubernetes/client-node';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Informer } from './informer.js';
import { errorMessage, isConflict, isForbidden, isNotFound } from './kube.js';

export const STORAGE_CLASS = 'lifeboat-local';
export const PROVISIONER = 'lifeboat.dev/local-path';
const NODE_ANNOTATION = 'lifeboat.dev/node';
const RESYNC_MS = 30_000;

/** The default StorageClass whose claims the agent provisions; created once per cluster, kept if it exists. */
export async function ensureStorageClass(storage: StorageV1Api, log: (message: string) => void): Promise<void> {
  try {
    await storage.createStorageClass({
      body: {
        metadata: {
          name: STORAGE_CLASS,
          annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
        },
        provisioner: PROVISIONER,
        reclaimPolicy: 'Delete',
        volumeBindingMode: 'Immediate',
      },
    });
    log(`created StorageClass ${STORAGE_CLASS} (default)`);
  } catch (err) {
    if (isConflict(err)) return;
    if (isForbidden(err)) {
      log(
        `cannot create StorageClass ${STORAGE_CLASS} (${errorMessage(err)}): create it as an admin, ` +
          'or start the agent with an admin kubeconfig for it; claims without it stay Pending',
      );
      return;
    }
    throw err;
  }
}

/**
 * A local-path provisioner: each Pending claim of the class gets its own PersistentVolume, a directory under
 * <data-dir>/volumes named after the PV with claimRef set, so the controller-manager's PV binder binds the pair. A
 * volume released by its claim is deleted with its directory (reclaimPolicy Delete).
 */
export class LocalProvisioner {
  private readonly claims: Informer<V1PersistentVolumeClaim>;
  private readonly volumes: Informer<V1PersistentVolume>;
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly volumesDir: string;

  constructor(
    private readonly opts: {
      kubeconfig: KubeConfig;
      core: CoreV1Api;
      nodeName: string;
      dataDir: string;
      log: (message: string) => void;
    },
  ) {
    const { kubeconfig, core, log } = opts;
    this.volumesDir = join(opts.dataDir, 'volumes');
    this.claims = new Informer(
      {
        kubeconfig,
        path: '/api/v1/persistentvolumeclaims',
        type: 'V1PersistentVolumeClaim',
        list: () => core.listPersistentVolumeClaimForAllNamespaces(),
        log,
      },
      { upsert: (pvc) => this.onClaim(pvc), remove: () => undefined },
    );
    this.volumes = new Informer(
      {
        kubeconfig,
        path: '/api/v1/persistentvolumes',
        type: 'V1PersistentVolume',
        list: () => core.listPersistentVolume(),
        log,
      },
      { upsert: (pv) => this.onVolume(pv), remove: () => undefined },
    );
  }

  async start(): Promise<void> {
    await Promise.all([this.claims.start(), this.volumes.start()]);
    // Events can be missed while a create failed; look at everything again now and then.
    this.timer = setInterval(() => {
      for (const pvc of this.claims.list()) this.onClaim(pvc);
      for (const pv of this.volumes.list()) this.onVolume(pv);
    }, RESYNC_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.claims.stop();
    this.volumes.stop();
  }

  private once(key: string, work: () => Promise<void>): void {
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    work()
      .catch((err: unknown) => this.opts.log(`provisioner ${key}: ${errorMessage(err)}`))
      .finally(() => this.inFlight.delete(key));
  }

  private onClaim(pvc: V1PersistentVolumeClaim): void {
    const meta = pvc.metadata ?? {};
    const className = pvc.spec?.storageClassName ?? meta.annotations?.['volume.beta.kubernetes.io/storage-class'];
    if (className !== STORAGE_CLASS || pvc.spec?.volumeName || meta.deletionTimestamp) return;
    if (pvc.status?.phase && pvc.status.phase !== 'Pending') return;
    // WaitForFirstConsumer claims name their node; an Immediate claim goes to whichever agent creates the PV first.
    const selected = meta.annotations?.['volume.kubernetes.io/selected-node'];
    if (selected && selected !== this.opts.nodeName) return;
    const name = `pvc-${meta.uid}`;
    this.once(name, async () => {
      const path = join(this.volumesDir, name);
      mkdirSync(path, { recursive: true });
      try {
        await this.opts.core.createPersistentVolume({
          body: {
            metadata: {
              name,
              annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER, [NODE_ANNOTATION]: this.opts.nodeName },
            },
            spec: {
              capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
              accessModes: pvc.spec?.accessModes?.length ? pvc.spec.accessModes : ['ReadWriteOnce'],
              volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
              persistentVolumeReclaimPolicy: 'Delete',
              storageClassName: STORAGE_CLASS,
              hostPath: { path, type: 'DirectoryOrCreate' },
              claimRef: {
                apiVersion: 'v1',
                kind: 'PersistentVolumeClaim',
                namespace: meta.namespace,
                name: meta.name,
                uid: meta.uid,
              },
              nodeAffinity: {
                required: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        { key: 'kubernetes.io/hostname', operator: 'In', values: [this.opts.nodeName] },
                      ],
                    },
                  ],
                },
              },
            },
          },
        });
        this.opts.log(`provisioned ${name} for ${meta.namespace}/${meta.name} at ${path}`);
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    });
  }

  private onVolume(pv: V1PersistentVolume): void {
    const meta = pv.metadata ?? {};
    if (meta.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONER) return;
    if (meta.annotations[NODE_ANNOTATION] !== this.opts.nodeName) return;
    if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    const name = meta.name ?? '';
    this.once(name, async () => {
      const path = pv.spec?.hostPath?.path;
      // Only ever remove what this provisioner made.
      if (path && path === join(this.volumesDir, name)) rmSync(path, { recursive: true, force: true });
      try {
        await this.opts.core.deletePersistentVolume({ name });
        this.opts.log(`deleted released volume ${name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    });
  }
}
