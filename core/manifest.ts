import { z } from 'zod';
import { BackupKinds, type BackupKind, type Compression } from './layout.js';

/**
 * The backup manifest: written last, it is the commit marker that makes a backup exist (ARCHITECTURE.md, "Storage layout").
 * Everything a restore or another hub needs to trust and use the backup is here; no secrets are.
 *
 * One schema per backup kind, told apart by `kind`. The fields every kind shares come first, so a reader that only
 * needs the backup's identity and times (the catalog, retention) reads any kind alike.
 */
export const MANIFEST_FORMAT_VERSION = 1;
/** The algorithm of `object.storeChecksum`: what every part carries and the store reports (activities/store-checksum.ts). */
export const STORE_CHECKSUM_ALGORITHM = 'CRC32';

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

/**
 * The schema of each kind's manifest. The resource kind's joins here with its engine (object counts per resource,
 * warnings and errors instead of the etcd fields; ARCHITECTURE.md, "Storage layout"); until then a resource manifest is
 * reported as unreadable rather than guessed at.
 */
const manifestSchemas = { [BackupKinds.etcd]: etcdManifestSchema } as const satisfies Partial<
  Record<BackupKind, z.ZodType>
>;

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

/** What an etcd backup's snapshot step reports: the facts its manifest records (activities' SnapshotResult). */
export interface EtcdSnapshotFacts {
  key: string;
  compression: Compression;
  /** age recipients the object is encrypted to; empty when stored in the clear. */
  recipients: string[];
  stored: { bytes: number; sha256: string };
  snapshot: { bytes: number; sha256: string };
  member: { name: string; endpoint: string; version: string; revision: string; dbSizeBytes: number };
  storeChecksum?: string;
}

export interface EtcdManifestInput {
  cluster: string;
  policy: string;
  backup: string;
  nominalTime: Date;
  oneOff: boolean;
  /** ISO-8601, from the workflow's clock: this module has none. */
  startedAt: string;
  completedAt: string;
  snapshot: EtcdSnapshotFacts;
  createdBy: { workflowId: string; runId: string };
}

/** The manifest of an etcd backup, mapped from what the backup did; the key order is the one stored. */
export function etcdManifest(input: EtcdManifestInput): EtcdBackupManifest {
  const { snapshot } = input;
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    kind: BackupKinds.etcd,
    cluster: input.cluster,
    policy: input.policy,
    backup: input.backup,
    nominalTime: input.nominalTime.toISOString(),
    startedAt: input.startedAt,
    completedAt: input.completedAt,
    oneOff: input.oneOff,
    etcd: {
      revision: snapshot.member.revision,
      member: snapshot.member.name,
      endpoint: snapshot.member.endpoint,
      version: snapshot.member.version,
      dbSizeBytes: snapshot.member.dbSizeBytes,
    },
    object: {
      key: snapshot.key,
      bytes: snapshot.stored.bytes,
      sha256: snapshot.stored.sha256,
      compression: snapshot.compression,
      encryption: snapshot.recipients.length > 0 ? { format: 'age', recipients: snapshot.recipients } : null,
      ...(snapshot.storeChecksum
        ? { storeChecksum: { algorithm: STORE_CHECKSUM_ALGORITHM, value: snapshot.storeChecksum } }
        : {}),
    },
    snapshot: { bytes: snapshot.snapshot.bytes, sha256: snapshot.snapshot.sha256 },
    createdBy: { workflowId: input.createdBy.workflowId, runId: input.createdBy.runId },
  };
}
