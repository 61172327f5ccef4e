import type { V1Job } from '@kubernetes/client-node';
import {
  BACKUP_ANNOTATION,
  BACKUP_HASH_LABEL,
  CLUSTER_ANNOTATION,
  jobPodLabels,
  LIFEBOAT,
  MANAGED_BY_LABEL,
  POLICY_ANNOTATION,
} from './kube-metadata.js';
import type { Compression } from './layout.js';

/**
 * The snapshot Job of job mode, as a pure function of its inputs (Kubermatic's shape): an init container saves the
 * snapshot into an emptyDir, a store container uploads it. Names derive from the backup, so a retried activity finds
 * its own Job instead of starting a second one.
 */
export const LIFEBOAT_IMAGE = 'ghcr.io/lifeboat-dev/lifeboat:0.1.0';
const BACKUP_DIR = '/backup';
/** Any image with gzip; only used next to a custom store container. */
export const KUBERMATIC_GZIP_IMAGE = 'busybox:1.36';
const TLS_DIR = '/etc/etcd/tls';

export interface SnapshotJobInput {
  namespace: string;
  cluster: string;
  policy: string;
  backup: string;
  /** etcd client URLs, resolved when the Job is created. */
  endpoints: string[];
  /** Secret (in the Job's namespace) with ca.crt, tls.crt and tls.key for etcdctl. */
  tlsSecret?: string;
  storage: { endpoint: string; bucket: string; region: string; objectKey: string };
  compression: Compression;
  /** age public keys the store container encrypts to (public, not secret). */
  recipients: string[];
  job: {
    credentialsSecret: string;
    snapshotImage: string;
    storeContainer?: { image: string; command?: string[]; args?: string[] };
    activeDeadlineSeconds: number;
    backoffLimit: number;
  };
}

/** FNV-1a: a short, stable name suffix; not for security. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

export function snapshotJobName(cluster: string, policy: string, backup: string): string {
  return `lifeboat-snapshot-${shortHash(`${cluster}/${policy}/${backup}`)}`;
}

/** Kubermatic's INSECURE: "true" when the endpoint is a plain-http URL (its default store container then skips TLS). */
export function insecureEndpoint(endpoint: string): boolean {
  return /^http:\/\/[^/?#]/i.test(endpoint);
}

export function snapshotJob(input: SnapshotJobInput): V1Job {
  const name = snapshotJobName(input.cluster, input.policy, input.backup);
  const tlsArgs = input.tlsSecret
    ? [`--cacert=${TLS_DIR}/ca.crt`, `--cert=${TLS_DIR}/tls.crt`, `--key=${TLS_DIR}/tls.key`]
    : [];
  const credential = (key: string) => ({
    name: key,
    valueFrom: { secretKeyRef: { name: input.job.credentialsSecret, key } },
  });
  const store = input.job.storeContainer;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: input.namespace,
      labels: { [MANAGED_BY_LABEL]: LIFEBOAT, [BACKUP_HASH_LABEL]: shortHash(input.backup) },
      annotations: {
        [CLUSTER_ANNOTATION]: input.cluster,
        [POLICY_ANNOTATION]: input.policy,
        [BACKUP_ANNOTATION]: input.backup,
      },
    },
    spec: {
      backoffLimit: input.job.backoffLimit,
      activeDeadlineSeconds: input.job.activeDeadlineSeconds,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: jobPodLabels(name) },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          initContainers: [
            {
              name: 'snapshot',
              image: input.job.snapshotImage,
              command: ['etcdctl'],
              args: [
                `--endpoints=${input.endpoints.join(',')}`,
                ...tlsArgs,
                'snapshot',
                'save',
                `${BACKUP_DIR}/snapshot.db`,
              ],
              volumeMounts: [
                { name: 'backup', mountPath: BACKUP_DIR },
                ...(input.tlsSecret ? [{ name: 'etcd-tls', mountPath: TLS_DIR, readOnly: true }] : []),
              ],
            },
            {
              // Its log is the snapshot's own account of itself (revision, keys, size, version) for the manifest.
              name: 'status',
              image: input.job.snapshotImage,
              command: ['etcdutl'],
              args: ['snapshot', 'status', `${BACKUP_DIR}/snapshot.db`, '--write-out=json'],
              volumeMounts: [{ name: 'backup', mountPath: BACKUP_DIR, readOnly: true }],
            },
            // Kubermatic's own init container leaves snapshot.db.gz (its current default store container uploads that
            // file; older ones upload snapshot.db): a custom store container finds both, as it would there.
            ...(store
              ? [
                  {
                    name: 'gzip',
                    image: KUBERMATIC_GZIP_IMAGE,
                    command: ['gzip', '-1', '-k', '-f', `${BACKUP_DIR}/snapshot.db`],
                    volumeMounts: [{ name: 'backup', mountPath: BACKUP_DIR }],
                  },
                ]
              : []),
          ],
          containers: [
            {
              name: 'store',
              image: store?.image ?? LIFEBOAT_IMAGE,
              command: store ? store.command : ['lifeboat'],
              args: store ? store.args : ['job', 'store-snapshot', `--file=${BACKUP_DIR}/snapshot.db`],
              env: [
                // Kubermatic's store-container contract, so its custom containers work unchanged. Such a container
                // uploads to $CLUSTER-$BACKUP_TO_CREATE (core/layout.ts kubermaticSnapshotKey) and reports nothing;
                // the worker then verifies the object and moves it to the backup's key (activities/foreign-snapshot.ts).
                { name: 'CLUSTER', value: input.cluster },
                { name: 'BACKUP_TO_CREATE', value: input.backup },
                { name: 'BUCKET_NAME', value: input.storage.bucket },
                { name: 'ENDPOINT', value: input.storage.endpoint },
                { name: 'INSECURE', value: String(insecureEndpoint(input.storage.endpoint)) },
                credential('ACCESS_KEY_ID'),
                credential('SECRET_ACCESS_KEY'),
                // Lifeboat's own: exactly where the object must land and how to encode it.
                { name: 'LIFEBOAT_OBJECT_KEY', value: input.storage.objectKey },
                { name: 'LIFEBOAT_COMPRESSION', value: input.compression },
                { name: 'AWS_REGION', value: input.storage.region },
                ...(input.recipients.length > 0
                  ? [{ name: 'LIFEBOAT_AGE_RECIPIENTS', value: input.recipients.join(',') }]
                  : []),
              ],
              volumeMounts: [{ name: 'backup', mountPath: BACKUP_DIR, readOnly: true }],
            },
          ],
          volumes: [
            { name: 'backup', emptyDir: {} },
            ...(input.tlsSecret ? [{ name: 'etcd-tls', secret: { secretName: input.tlsSecret } }] : []),
          ],
        },
      },
    },
  };
}
