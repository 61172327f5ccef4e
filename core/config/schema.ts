import { Cron } from 'croner';
import { z } from 'zod';
import { DEFAULT_SCHEDULE_NAMESPACE } from '../acm/backup-schedule.js';
import { DURATION_RULE, parseDuration } from '../duration.js';
import { isValidName, NAME_RULE } from '../naming.js';
import { namespacePatternIssue, resourceNameIssue, selectorIssues } from './filters.js';

/**
 * The lifeboat.yaml schema: the one place that knows the configuration's shape, defaults and rules.
 * Secrets are never in the file: it names environment variables or Kubernetes Secrets that hold them.
 */

const name = z.string().refine(isValidName, { message: `must be a name of ${NAME_RULE}` });
const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable (letters, digits, "_")');
const duration = z.string().refine((t) => parseDuration(t) !== undefined, { message: `must be ${DURATION_RULE}` });
const url = (example: string) =>
  z.string().refine(
    (t) => {
      try {
        const parsed = new URL(t);
        return parsed.protocol === 'http:' || parsed.protocol === 'https:';
      } catch {
        return false;
      }
    },
    { message: `must be an http:// or https:// URL, e.g. ${example}` },
  );
// S3 bucket naming rules (virtual-hosted-style safe subset).
const bucket = z
  .string()
  .refine((b) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b) && !b.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(b), {
    message: 'must be 3-63 lowercase letters, digits, "." or "-" (S3 bucket naming rules)',
  });

export const storageLocationSchema = z.strictObject({
  name,
  endpoint: url('https://s3.example.com:9000'),
  region: z.string().min(1).default('us-east-1'),
  bucket,
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9!_.*'()\-/]*$/, "may only contain letters, digits and !_.*'()-/")
    .default(''),
  forcePathStyle: z.boolean().default(true),
  credentials: z.strictObject({
    accessKeyIdEnv: envVarName,
    secretAccessKeyEnv: envVarName,
  }),
});

const objectRef = z.strictObject({ namespace: name, name });

/** How to reach a Kubernetes API: a kubeconfig file and context, or (neither) KUBECONFIG / in-cluster. */
const kubernetesAccess = z.strictObject({
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
});

const etcdTarget = z
  .strictObject({
    /** Fixed client URLs (an etcd outside Kubernetes). An https URL without tls trusts the system CAs. */
    endpoints: z.array(url('https://etcd-0.example.com:2379')).min(1, 'list at least one etcd client URL').optional(),
    /** The tenant's etcd StatefulSet; its members are found through the client Service's EndpointSlices. */
    statefulSet: objectRef.optional(),
    /** The Service whose EndpointSlices list the members (default: <statefulSet name>-client). */
    clientService: name.optional(),
    clientPort: z.number().int().min(1).max(65535).default(2379),
    /** Client TLS from a Secret with ca.crt, tls.crt and tls.key, read by the worker only, never passed on. */
    tls: z.strictObject({ secretRef: objectRef }).optional(),
  })
  .superRefine((etcd, ctx) => {
    if (Boolean(etcd.endpoints) === Boolean(etcd.statefulSet)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          'set exactly one of endpoints (fixed URLs) or statefulSet (namespace and name of the etcd StatefulSet)',
      });
    }
  });

/** The tenant control plane a restore pauses: its kube-apiserver Deployment, scaled to 0 and back. */
const controlPlane = z.strictObject({ deployment: objectRef });

/** How a restore's preflight checks the backup before anything is touched (restore.verify below). */
const preflightMode = z.enum(['store-checksum', 'download']);

/** How restores of this cluster run (`lifeboat restore etcd`). */
const restoreSettings = z.strictObject({
  /** Wait for `lifeboat restore approve` before anything is changed. */
  requireApproval: z.boolean().default(false),
  /** An unapproved restore ends (nothing changed) after this long. */
  approvalTimeout: duration.default('1h'),
  /** etcdutl --bump-revision/--mark-compacted: the tenant apiserver's watches never see revisions go backwards. */
  bumpRevision: z.boolean().default(true),
  /** The image whose etcdutl restores each member (the etcd image the StatefulSet runs is the natural choice). */
  image: z.string().min(1).default('registry.k8s.io/etcd:3.6.14'),
  /** For encrypted backups: a Secret in the etcd's namespace holding the age identity (private key) under `key`. */
  decryptionSecret: z.strictObject({ name, key: z.string().min(1).default('identity') }).optional(),
  /**
   * How preflight checks the object before anything is touched: `store-checksum` asks the store for the checksum it
   * verified when the backup was uploaded (recorded in the manifest) and reads the object only when that does not
   * match or is missing; `download` always reads the whole object and checks its sha256. Either way each member's
   * restore Job checks the sha256 again before etcdutl writes anything.
   */
  verify: preflightMode.default('store-checksum'),
  /** Bounds of each member's restore Job. */
  jobDeadline: duration.default('30m'),
  backoffLimit: z.number().int().min(0).max(20).default(2),
});

/**
 * A cluster has up to two APIs, kept apart:
 * - `kubernetes`: the management cluster's API, where the cluster's etcd StatefulSet, its TLS Secret and its
 *   control plane's Deployment live (for a hosted tenant, not the tenant's own API). It means what it always meant,
 *   so etcd backups and restores read only this.
 * - `api`: the cluster's own API, whose objects a resource backup reads (a tenant's apiserver, an ACM hub, an
 *   application cluster). Resource backups read `api`; when it is absent and the cluster has no `etcd`, `kubernetes`
 *   is taken as the cluster's own API (an ACM hub or application cluster is reached directly, there is no other
 *   API). A cluster with `etcd` and no `api` has no resource-backup API (its `kubernetes` is the API that hosts its
 *   etcd): set `api`, `api: {}` for the management cluster itself (KUBECONFIG / in-cluster). See `resourceApi`
 *   (core/config/clusters.ts).
 * - `restoreApi` (optional): the identity a resource restore writes with, on the same cluster's own API; by default
 *   the `api` (or `kubernetes`, as above). Backups only read, so their identity can stay read-only
 *   (deploy/kubernetes/resource-reader.yaml) while restores, rarer, take one that may create and patch
 *   (deploy/kubernetes/resource-restorer.yaml).
 * - `labelApi` (optional): the identity an ACM hub backup labels the hub's credentials with before each set (the
 *   operator's pre-backup step; deploy/kubernetes/acm-credential-labeller.yaml may patch Secrets, ConfigMaps and
 *   ClusterDeployments and nothing else); by default the `api`, whose read-only role makes each label a warning.
 * `etcd` is optional: a cluster without it can have resource backups but no etcd backups or restores.
 */
export const clusterSchema = z.strictObject({
  name,
  kubernetes: kubernetesAccess.default({}),
  api: kubernetesAccess.optional(),
  restoreApi: kubernetesAccess.optional(),
  labelApi: kubernetesAccess.optional(),
  etcd: etcdTarget.optional(),
  controlPlane: controlPlane.optional(),
  restore: restoreSettings.prefault({}),
});

const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as UTC or Europe/Berlin' },
);

const cronSchedule = z
  .strictObject({
    cron: z.string().min(1),
    timezone: timezone.default('UTC'),
    jitter: duration.optional(),
    catchupWindow: duration.default('1h'),
  })
  .superRefine((value, ctx) => {
    const fields = value.cron.trim().split(/\s+/);
    const nickname = /^@(yearly|annually|monthly|weekly|daily|hourly)$/.test(value.cron.trim());
    if (!nickname && fields.length !== 5) {
      ctx.addIssue({
        code: 'custom',
        path: ['cron'],
        message: `is not a valid cron expression (it has ${fields.length} fields); use 5 fields "min hour day month weekday", e.g. "0 */6 * * *", or @hourly/@daily`,
      });
      return;
    }
    try {
      new Cron(value.cron, { paused: true });
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: ['cron'],
        message: `is not a valid cron expression (${(err as Error).message}); use 5 fields "min hour day month weekday", e.g. "0 */6 * * *", or @hourly/@daily`,
      });
    }
  });

const containerOverride = z.strictObject({
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
});

/**
 * Job mode, as Kubermatic runs it: an init container saves the snapshot into an emptyDir, a store container uploads
 * it. The store container can be replaced; it gets Kubermatic's environment (CLUSTER, BACKUP_TO_CREATE, BUCKET_NAME,
 * ENDPOINT, ACCESS_KEY_ID, SECRET_ACCESS_KEY) so existing store containers work unchanged.
 */
const jobSettings = z.strictObject({
  /** Secret in the etcd's namespace with ACCESS_KEY_ID and SECRET_ACCESS_KEY for the store container. */
  credentialsSecret: name,
  snapshotImage: z.string().min(1).default('registry.k8s.io/etcd:3.6.14'),
  storeContainer: containerOverride.optional(),
  activeDeadline: duration.default('30m'),
  backoffLimit: z.number().int().min(0).max(20).default(2),
});

/** The retention fields every kind's policy has (core/retention's rulesFromPolicy reads exactly these). */
const retentionFields = {
  keep: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1: the newest backup is always kept')
    .default(7),
  ttl: duration.optional(),
  /** Grandfather-father-son: also keep the newest backup of each of the last N hours/days/ISO weeks/months (UTC). */
  tiers: z
    .strictObject({
      hourly: z.number().int('must be a whole number').min(0).optional(),
      daily: z.number().int('must be a whole number').min(0).optional(),
      weekly: z.number().int('must be a whole number').min(0).optional(),
      monthly: z.number().int('must be a whole number').min(0).optional(),
    })
    .optional(),
  /** One-off backups (`lifeboat backup now`) are kept and do not count toward keep unless this is false. */
  keepOneOff: z.boolean().default(true),
  /** Backups without a manifest and abandoned multipart uploads older than this are removed by retention. */
  incompleteGracePeriod: duration.default('24h'),
} as const;

/**
 * Client-side encryption in the age format: backups are encrypted to these public keys before they leave the
 * worker, and `age -d -i <identity>` decrypts them. Public keys are not secrets; the identities stay offline.
 */
const encryption = z.strictObject({
  recipients: z
    .array(
      z
        .string()
        .regex(
          /^age1[02-9ac-hj-np-z]{58}$/,
          'must be an age X25519 public key (age1 followed by 58 characters), as printed by age-keygen',
        ),
    )
    .min(1, 'list at least one recipient public key'),
});

export const etcdBackupPolicySchema = z.strictObject({
  name,
  cluster: name,
  location: name,
  /** Omit for a one-off policy: backups run only on `lifeboat backup now`. */
  schedule: cronSchedule.optional(),
  ...retentionFields,
  /** none by default: gzip triples the time of a 1 GiB backup for 46% less storage (bench/etcd-snapshot). */
  compression: z.enum(['none', 'gzip', 'zstd']).default('none'),
  /** direct: the worker streams the snapshot itself. job: a Kubernetes Job next to etcd takes and stores it. */
  mode: z.enum(['direct', 'job']).default('direct'),
  job: jobSettings.optional(),
  /** Snapshots are encrypted to these age public keys before they leave the worker. */
  encryption: encryption.optional(),
});

/** A Kubernetes label selector: a string in kubectl syntax, or a LabelSelector object (core/config/filters.ts). */
const labelSelector = z
  .union(
    [
      z.string(),
      z.strictObject({
        matchLabels: z.record(z.string(), z.string()).optional(),
        matchExpressions: z
          .array(
            z.strictObject({
              key: z.string(),
              operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist'], {
                message: 'must be In, NotIn, Exists or DoesNotExist',
              }),
              values: z.array(z.string()).optional(),
            }),
          )
          .optional(),
      }),
    ],
    {
      message:
        'must be a label selector: a string such as "app=web,tier in (a,b)" or an object with matchLabels and/or matchExpressions',
    },
  )
  .superRefine((selector, ctx) => {
    for (const issue of selectorIssues(selector))
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });

const patternList = (check: (item: string) => string | undefined) =>
  z.array(z.string()).superRefine((items, ctx) => {
    items.forEach((item, i) => {
      const problem = check(item);
      if (problem) ctx.addIssue({ code: 'custom', path: [i], message: problem });
    });
  });

/**
 * A backup of a cluster's API objects (issue 13), with Velero's filters and semantics:
 * - includedNamespaces / excludedNamespaces: namespace names or globs (`*`, `?`, `[...]`); none included = all.
 * - includedResources / excludedResources: resource names as kubectl knows them (`configmaps`, `deployments.apps`,
 *   short names such as `cm`, `*`), resolved through discovery at backup time; none included = all.
 * - includeClusterResources: true = every cluster-scoped resource the resource filters allow; false = none;
 *   unset = cluster-scoped resources only when every namespace is backed up (no namespace filter).
 * - labelSelector or orLabelSelectors (not both): only objects matching the selector, or any one of the selectors.
 * The rules between fields (both selector kinds, "*" and items both included and excluded) are in references.ts,
 * so they are reported even when a field has a type error. Each run is a resourceBackup workflow; `lifeboat apply`
 * schedules those with a `schedule` (core/schedules.ts).
 */
export const resourceBackupPolicySchema = z.strictObject({
  name,
  cluster: name,
  location: name,
  /** Omit for a one-off policy: backups run only on `lifeboat backup now`. */
  schedule: cronSchedule.optional(),
  includedNamespaces: patternList(namespacePatternIssue).optional(),
  excludedNamespaces: patternList(namespacePatternIssue).optional(),
  includedResources: patternList(resourceNameIssue).optional(),
  excludedResources: patternList(resourceNameIssue).optional(),
  includeClusterResources: z
    .boolean({
      message:
        "must be true, false, or left out (Velero's default: cluster-scoped resources only when every namespace is backed up)",
    })
    .optional(),
  labelSelector: labelSelector.optional(),
  orLabelSelectors: z.array(labelSelector).min(1, 'list at least one selector, or remove orLabelSelectors').optional(),
  ...retentionFields,
  /** The tarball is encrypted to these age public keys; stock Velero cannot read an encrypted backup. */
  encryption: encryption.optional(),
});

/**
 * An ACM hub backup (issue 15): at each nominal time, the typed backups the cluster-backup-operator takes
 * (credentials, managed-clusters, resources-generic, resources; core/acm/backup-selection.ts), each a resource backup
 * of the hub, together one set. `maxBackups` counts whole sets and deletes whole sets; `ttl` expires each backup as
 * Velero's does. `backupSchedule` names an ACM BackupSchedule manifest whose fields fill this policy's
 * (core/acm/backup-schedule.ts).
 */
export const acmBackupPolicySchema = z.strictObject({
  name,
  /** The hub: a cluster with its own API (and usually no etcd Lifeboat manages). */
  cluster: name,
  location: name,
  /** ACM's BackupSchedule YAML, relative to lifeboat.yaml; read by the config loader. */
  backupSchedule: z.string().min(1).optional(),
  /** Omit for on-demand hub backups only (`lifeboat backup now CLUSTER/POLICY`). */
  schedule: cronSchedule.optional(),
  maxBackups: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1: the newest set is always kept')
    .optional(),
  ttl: duration.optional(),
  /** The schedule exists but takes no backups (the operator's `paused`). */
  paused: z.boolean().default(false),
  /** `lifeboat apply` does not take a first set at once when it creates the schedule. */
  noBackupOnStart: z.boolean().default(false),
  /** The namespace the operator's BackupSchedule lives in; the resources backup leaves it out. */
  scheduleNamespace: name.default(DEFAULT_SCHEDULE_NAMESPACE),
  incompleteGracePeriod: duration.default('24h'),
});

export const configSchema = z.strictObject({
  apiVersion: z.literal('lifeboat.dev/v1alpha1', { message: 'must be lifeboat.dev/v1alpha1' }),
  kind: z.literal('LifeboatConfig', { message: 'must be LifeboatConfig' }),
  storageLocations: z.array(storageLocationSchema).min(1, 'define at least one storage location'),
  clusters: z.array(clusterSchema).default([]),
  etcdBackups: z.array(etcdBackupPolicySchema).default([]),
  resourceBackups: z.array(resourceBackupPolicySchema).default([]),
  acmBackups: z.array(acmBackupPolicySchema).default([]),
});

export type LifeboatConfig = z.infer<typeof configSchema>;
export type StorageLocation = z.infer<typeof storageLocationSchema>;
export type ClusterConfig = z.infer<typeof clusterSchema>;
export type RestoreSettings = z.infer<typeof restoreSettings>;
export type PreflightMode = z.infer<typeof preflightMode>;
export type EtcdBackupPolicy = z.infer<typeof etcdBackupPolicySchema>;
export type ResourceBackupPolicy = z.infer<typeof resourceBackupPolicySchema>;
export type AcmBackupPolicy = z.infer<typeof acmBackupPolicySchema>;
export type EtcdTarget = z.infer<typeof etcdTarget>;
export type KubernetesAccess = z.infer<typeof kubernetesAccess>;
export type LabelSelectorInput = z.infer<typeof labelSelector>;
