import { z } from 'zod';
import { ACM_BACKUP_TYPES } from './acm/backup-selection.js';
import { BackupKinds, type BackupKind } from './layout.js';
import { MANIFEST_FORMAT_VERSION, STORE_CHECKSUM_ALGORITHM } from './manifest-build.js';

/**
 * The backup manifest: written last, it is the commit marker that makes a backup exist (ARCHITECTURE.md, "Storage layout").
 * Everything a restore or another hub needs to trust and use the backup is here; no secrets are.
 *
 * One schema per backup kind, told apart by `kind`. The fields every kind shares come first, so a reader that only
 * needs the backup's identity and times (the catalog, retention) reads any kind alike.
 */
export * from './manifest-build.js';

const iso = z.string().refine((t) => !Number.isNaN(Date.parse(t)), { message: 'must be an ISO-8601 time' });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex sha256');

/** What a backup of any kind records about itself, after formatVersion and kind. */
const identity = {
  cluster: z.string(),
  policy: z.string(),
  backup: z.string(),
  /** The schedule's nominal time (or the trigger time of a one-off backup); the backup name derives from it. */
  nominalTime: iso,
  startedAt: iso,
  completedAt: iso,
  oneOff: z.boolean(),
};
const createdBy = z.object({ workflowId: z.string(), runId: z.string() });

export const etcdManifestSchema = z.object({
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  kind: z.literal(BackupKinds.etcd),
  ...identity,
  etcd: z.object({
    revision: z.string(),
    member: z.string(),
    endpoint: z.string(),
    version: z.string(),
    dbSizeBytes: z.number().int().nonnegative(),
  }),
  /** The object as stored: after compression and encryption. */
  object: z.object({
    key: z.string(),
    bytes: z.number().int().nonnegative(),
    sha256,
    compression: z.enum(['none', 'gzip', 'zstd']),
    encryption: z.object({ format: z.literal('age'), recipients: z.array(z.string()).min(1) }).nullable(),
    /**
     * The checksum the store verified as the parts arrived and reports on HEAD: the COMPOSITE CRC32 of the parts
     * ("<base64>-<parts>"). A restore's preflight asks the store for it instead of reading the object back. Absent
     * for objects a custom store container uploaded, and in manifests written before Lifeboat recorded it.
     */
    storeChecksum: z.object({ algorithm: z.literal(STORE_CHECKSUM_ALGORITHM), value: z.string().min(1) }).optional(),
  }),
  /** The plain snapshot, byte for byte what `etcdctl snapshot save` writes (database plus etcd's trailing sha256). */
  snapshot: z.object({ bytes: z.number().int().positive(), sha256 }),
  createdBy,
});

export type EtcdBackupManifest = z.infer<typeof etcdManifestSchema>;

/** One line of a resource backup's results, as the manifest keeps the first of them (core/resources/model.ts). */
const itemProblem = z.object({
  level: z.enum(['error', 'warning']),
  resource: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  message: z.string(),
});

export const resourceManifestSchema = z.object({
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  kind: z.literal(BackupKinds.resources),
  ...identity,
  /** Completed, or Completed with warnings / errors (Velero's PartiallyFailed), saying how many of each. */
  outcome: z.enum(['Completed', 'CompletedWithWarnings', 'CompletedWithErrors']),
  kubernetes: z.object({ gitVersion: z.string(), major: z.string(), minor: z.string() }),
  /** The policy's filters as the backup applied them (what `velero backup describe` shows as the spec). */
  filters: z.object({
    includedNamespaces: z.array(z.string()),
    excludedNamespaces: z.array(z.string()),
    includedResources: z.array(z.string()),
    excludedResources: z.array(z.string()),
    includeClusterResources: z.boolean().nullable(),
    /** Wire-syntax selectors; more than one means any of them (orLabelSelectors). */
    labelSelectors: z.array(z.string()),
  }),
  counts: z.object({
    items: z.number().int().nonnegative(),
    /** Objects per groupResource (`configmaps`, `deployments.apps`), as in the archive's directories. */
    resources: z.record(z.string(), z.number().int().nonnegative()),
    warnings: z.number().int().nonnegative(),
    errors: z.number().int().nonnegative(),
  }),
  /** The first MANIFEST_PROBLEMS_LIMIT problems; all of them are in `files.results`. */
  problems: z.array(itemProblem),
  /** The tar.gz as stored (after encryption, when there is one). */
  object: z.object({
    key: z.string(),
    bytes: z.number().int().nonnegative(),
    sha256,
    encryption: z.object({ format: z.literal('age'), recipients: z.array(z.string()).min(1) }).nullable(),
    storeChecksum: z.object({ algorithm: z.literal(STORE_CHECKSUM_ALGORITHM), value: z.string().min(1) }).optional(),
    /** Where each resource's entries begin (core/velero/archive-index.ts): a restore step starts reading there. */
    index: z
      .array(
        z.object({
          resource: z.string().min(1),
          offset: z.number().int().nonnegative(),
          skip: z.number().int().nonnegative(),
        }),
      )
      .optional(),
  }),
  /** Velero's files beside the archive. `veleroRecord` is null for an encrypted backup: stock Velero cannot read it. */
  files: z.object({ resourceList: z.string(), results: z.string(), veleroRecord: z.string().nullable() }),
  createdBy,
  /** A typed backup of an ACM hub backup set (core/acm/hub-backup.ts): its type, set, policy and hub. */
  acm: z.object({ policy: z.string(), type: z.enum(ACM_BACKUP_TYPES), set: iso, hub: z.string() }).optional(),
});

export type ResourceBackupManifest = z.infer<typeof resourceManifestSchema>;

/** The schema of each kind's manifest. */
const manifestSchemas = {
  [BackupKinds.etcd]: etcdManifestSchema,
  [BackupKinds.resources]: resourceManifestSchema,
} as const satisfies Record<BackupKind, z.ZodType>;

/** A manifest of any kind; narrow by `kind` for the fields of one. */
export type BackupManifest = z.infer<(typeof manifestSchemas)[keyof typeof manifestSchemas]>;
export type ManifestOfKind<K extends BackupKind> = Extract<BackupManifest, { kind: K }>;

function schemaOf(kind: unknown): z.ZodType<BackupManifest> | undefined {
  return Object.hasOwn(manifestSchemas, kind as PropertyKey)
    ? manifestSchemas[kind as keyof typeof manifestSchemas]
    : undefined;
}

export function serializeManifest(manifest: BackupManifest): string {
  // Parsing through the kind's schema fixes the key order (schema order) and drops anything the schema lacks.
  return `${JSON.stringify(schemaOf(manifest.kind)!.parse(manifest), null, 2)}\n`;
}

export type ParsedManifest<M = BackupManifest> = { ok: true; manifest: M } | { ok: false; error: string };

/** Parses a manifest read from storage; a manifest that does not parse is reported, never guessed at. */
export function parseManifest(text: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const kind = typeof json === 'object' && json !== null ? (json as { kind?: unknown }).kind : undefined;
  const schema = schemaOf(kind);
  if (!schema) {
    const known = Object.keys(manifestSchemas).map((k) => JSON.stringify(k));
    return { ok: false, error: `kind: ${JSON.stringify(kind) ?? 'missing'}, expected ${known.join(' or ')}` };
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    return {
      ok: false,
      error: result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    };
  }
  return { ok: true, manifest: result.data };
}

/** Parses a manifest that must be of one kind: a catalog of etcd backups has no use for another kind's. */
export function parseManifestOfKind<K extends BackupKind>(text: string, kind: K): ParsedManifest<ManifestOfKind<K>> {
  const parsed = parseManifest(text);
  if (!parsed.ok) return parsed;
  if (parsed.manifest.kind !== kind) {
    return { ok: false, error: `kind: ${JSON.stringify(parsed.manifest.kind)}, expected ${JSON.stringify(kind)}` };
  }
  return { ok: true, manifest: parsed.manifest as ManifestOfKind<K> };
}
