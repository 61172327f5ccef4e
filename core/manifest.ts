import { z } from 'zod';

/**
 * The backup manifest: written last, it is the commit marker that makes a backup exist (design: storage layout).
 * Everything a restore or another hub needs to trust and use the backup is here; no secrets are.
 */
export const MANIFEST_FORMAT_VERSION = 1;
/** The algorithm of `object.storeChecksum`: what every part carries and the store reports (activities/store-checksum.ts). */
export const STORE_CHECKSUM_ALGORITHM = 'CRC32';

const iso = z.string().refine((t) => !Number.isNaN(Date.parse(t)), { message: 'must be an ISO-8601 time' });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex sha256');

export const etcdManifestSchema = z.object({
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  kind: z.literal('etcd'),
  cluster: z.string(),
  policy: z.string(),
  backup: z.string(),
  /** The schedule's nominal time (or the trigger time of a one-off backup); the backup name derives from it. */
  nominalTime: iso,
  startedAt: iso,
  completedAt: iso,
  oneOff: z.boolean(),
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
  createdBy: z.object({ workflowId: z.string(), runId: z.string() }),
});

export type EtcdBackupManifest = z.infer<typeof etcdManifestSchema>;

export function serializeManifest(manifest: EtcdBackupManifest): string {
  return `${JSON.stringify(etcdManifestSchema.parse(manifest), null, 2)}\n`;
}

/** Parses a manifest read from storage; a manifest that does not parse is reported, never guessed at. */
export function parseManifest(text: string): { ok: true; manifest: EtcdBackupManifest } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const result = etcdManifestSchema.safeParse(json);
  if (!result.success) {
    return {
      ok: false,
      error: result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    };
  }
  return { ok: true, manifest: result.data };
}
