import type { V1Job } from '@kubernetes/client-node';
import type { EtcdMember, EtcdMemberLayout } from './etcd-members.js';
import {
  BACKUP_ANNOTATION,
  CLUSTER_ANNOTATION,
  GENERATION_ANNOTATION,
  jobPodLabels,
  LIFEBOAT,
  MANAGED_BY_LABEL,
  MEMBER_ANNOTATION,
  RESTORE_LABEL,
} from './kube-metadata.js';
import type { Compression } from './layout.js';
import { LIFEBOAT_IMAGE, shortHash } from './snapshot-job.js';

/**
 * The Job that restores one member into its fresh volume, as a pure function of its inputs:
 *   init `fetch`   (Lifeboat) empties the data directory, downloads the object, checks its sha256, decrypts,
 *                  decompresses and checks the plain snapshot (sha256 and etcd's own trailing hash);
 *   init `status`  (etcd image, foreign snapshots only) `etcdutl snapshot status`: the snapshot's revision;
 *   `restore`      (etcd image) `etcdutl snapshot restore` with the member's name, peer URL, the initial cluster and
 *                  a fresh cluster token, bumping the revision and marking it compacted.
 * A pod that fails part-way leaves nothing its successor trusts: the next pod empties the directory again.
 */
const WORK_DIR = '/restore';
const SNAPSHOT_FILE = `${WORK_DIR}/snapshot.db`;
const IDENTITY_DIR = '/etc/lifeboat/age';

export interface RestoreJobInput {
  /** Identifies the restore (the workflow run): Jobs of another restore never match. */
  restoreId: string;
  /** Bumped by each operator `retry`: a new Job, not the failed one again. */
  generation: number;
  cluster: string;
  backup: string;
  layout: EtcdMemberLayout;
  member: EtcdMember;
  image: string;
  /** A time-limited GET URL for the object; it grants nothing else. */
  snapshotUrl: string;
  compression: Compression;
  encrypted: boolean;
  /** Absent for a snapshot Lifeboat did not make: then etcd's trailing hash is the only check, as with etcdutl. */
  storedSha256?: string;
  snapshotSha256?: string;
  decryptionSecret?: { name: string; key: string };
  /** Run `etcdutl snapshot status` for the snapshot's revision (when no manifest gives it). */
  readRevision: boolean;
  /** 0 turns the bump off. */
  bumpRevision: bigint;
  activeDeadlineSeconds: number;
  backoffLimit: number;
}

export function restoreJobName(restoreId: string, member: string, generation: number): string {
  return `lifeboat-restore-${shortHash(`${restoreId}/${member}/${generation}`)}`;
}

/** A cluster token no earlier incarnation of this cluster used, so old members can never join the restored one. */
export function restoreClusterToken(cluster: string, restoreId: string): string {
  return `${cluster}-restore-${shortHash(restoreId)}`;
}

export function restoreJob(input: RestoreJobInput): V1Job {
  const { layout, member } = input;
  const name = restoreJobName(input.restoreId, member.name, input.generation);
  const initialCluster = layout.members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const dataMount = { name: 'data', mountPath: layout.mountPath };
  const workMount = { name: 'work', mountPath: WORK_DIR };
  const optional = (name: string, value: string | undefined) => (value ? [{ name, value }] : []);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: layout.namespace,
      labels: { [MANAGED_BY_LABEL]: LIFEBOAT, [RESTORE_LABEL]: shortHash(input.restoreId) },
      annotations: {
        [CLUSTER_ANNOTATION]: input.cluster,
        [BACKUP_ANNOTATION]: input.backup,
        [MEMBER_ANNOTATION]: member.name,
        [GENERATION_ANNOTATION]: String(input.generation),
      },
    },
    spec: {
      backoffLimit: input.backoffLimit,
      activeDeadlineSeconds: input.activeDeadlineSeconds,
      template: {
        metadata: { labels: jobPodLabels(name) },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          initContainers: [
            {
              name: 'fetch',
              image: LIFEBOAT_IMAGE,
              args: ['job', 'fetch-snapshot', `--to=${SNAPSHOT_FILE}`, `--empty-dir=${layout.dataDir}`],
              env: [
                { name: 'LIFEBOAT_SNAPSHOT_URL', value: input.snapshotUrl },
                { name: 'LIFEBOAT_COMPRESSION', value: input.compression },
                ...optional('LIFEBOAT_STORED_SHA256', input.storedSha256),
                ...optional('LIFEBOAT_SNAPSHOT_SHA256', input.snapshotSha256),
                ...(input.encrypted && input.decryptionSecret
                  ? [{ name: 'LIFEBOAT_AGE_IDENTITY_FILE', value: `${IDENTITY_DIR}/${input.decryptionSecret.key}` }]
                  : []),
              ],
              volumeMounts: [
                dataMount,
                workMount,
                ...(input.encrypted && input.decryptionSecret
                  ? [{ name: 'age-identity', mountPath: IDENTITY_DIR, readOnly: true }]
                  : []),
              ],
            },
            // A foreign snapshot's revision is known only to etcdutl; a manifest already says it.
            ...(input.readRevision
              ? [
                  {
                    name: 'status',
                    image: input.image,
                    command: ['etcdutl'],
                    args: ['snapshot', 'status', SNAPSHOT_FILE, '--write-out=json'],
                    volumeMounts: [workMount],
                  },
                ]
              : []),
          ],
          containers: [
            {
              name: 'restore',
              image: input.image,
              command: ['etcdutl'],
              args: [
                'snapshot',
                'restore',
                SNAPSHOT_FILE,
                `--name=${member.name}`,
                `--initial-cluster=${initialCluster}`,
                `--initial-cluster-token=${restoreClusterToken(input.cluster, input.restoreId)}`,
                `--initial-advertise-peer-urls=${member.peerUrl}`,
                `--data-dir=${layout.dataDir}`,
                ...(input.bumpRevision > 0n ? [`--bump-revision=${input.bumpRevision}`, '--mark-compacted'] : []),
                // The fetch container has already matched the plain snapshot against the manifest's sha256, a
                // stronger check than etcd's trailing hash; a second pass over the whole file would only cost time.
                ...(input.snapshotSha256 ? ['--skip-hash-check'] : []),
              ],
              volumeMounts: [dataMount, workMount],
            },
          ],
          volumes: [
            { name: 'data', persistentVolumeClaim: { claimName: member.claim } },
            { name: 'work', emptyDir: {} },
            ...(input.encrypted && input.decryptionSecret
              ? [{ name: 'age-identity', secret: { secretName: input.decryptionSecret.name } }]
              : []),
          ],
        },
      },
    },
  };
}
