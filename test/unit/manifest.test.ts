import { describe, expect, it } from 'vitest';
import {
  etcdManifest,
  etcdManifestSchema,
  MANIFEST_FORMAT_VERSION,
  parseManifest,
  parseManifestOfKind,
  serializeManifest,
  type EtcdManifestInput,
  type EtcdSnapshotFacts,
} from '../../core/manifest.js';

const SHA_STORED = 'a'.repeat(64);
const SHA_PLAIN = 'b'.repeat(64);

const facts = (overrides: Partial<EtcdSnapshotFacts> = {}): EtcdSnapshotFacts => ({
  key: 'it/etcd/prod/nightly/nightly-20240305070809/snapshot.db.gz.age',
  compression: 'gzip',
  recipients: ['age1recipient'],
  stored: { bytes: 1234, sha256: SHA_STORED },
  snapshot: { bytes: 4096, sha256: SHA_PLAIN },
  member: { name: 'etcd-1', endpoint: 'https://etcd-1:2379', version: '3.6.14', revision: '42', dbSizeBytes: 8192 },
  storeChecksum: 'AAAAAA==-3',
  ...overrides,
});

const input = (snapshot: EtcdSnapshotFacts = facts()): EtcdManifestInput => ({
  cluster: 'prod',
  policy: 'nightly',
  backup: 'nightly-20240305070809',
  nominalTime: new Date('2024-03-05T07:08:09Z'),
  oneOff: false,
  startedAt: '2024-03-05T07:08:10.000Z',
  completedAt: '2024-03-05T07:08:20.000Z',
  snapshot,
  createdBy: { workflowId: 'etcd-backup/prod/nightly/nightly-20240305070809', runId: 'run-1' },
});

/** The manifest, field for field and in the order the etcd backup workflow wrote it before the builder existed. */
const expected = {
  formatVersion: 1,
  kind: 'etcd',
  cluster: 'prod',
  policy: 'nightly',
  backup: 'nightly-20240305070809',
  nominalTime: '2024-03-05T07:08:09.000Z',
  startedAt: '2024-03-05T07:08:10.000Z',
  completedAt: '2024-03-05T07:08:20.000Z',
  oneOff: false,
  etcd: { revision: '42', member: 'etcd-1', endpoint: 'https://etcd-1:2379', version: '3.6.14', dbSizeBytes: 8192 },
  object: {
    key: 'it/etcd/prod/nightly/nightly-20240305070809/snapshot.db.gz.age',
    bytes: 1234,
    sha256: SHA_STORED,
    compression: 'gzip',
    encryption: { format: 'age', recipients: ['age1recipient'] },
    storeChecksum: { algorithm: 'CRC32', value: 'AAAAAA==-3' },
  },
  snapshot: { bytes: 4096, sha256: SHA_PLAIN },
  createdBy: { workflowId: 'etcd-backup/prod/nightly/nightly-20240305070809', runId: 'run-1' },
};

describe('etcdManifest', () => {
  it('maps what the backup did to the manifest, keys in the stored order', () => {
    const manifest = etcdManifest(input());
    expect(manifest).toEqual(expected);
    expect(JSON.stringify(manifest)).toBe(JSON.stringify(expected));
    expect(manifest.formatVersion).toBe(MANIFEST_FORMAT_VERSION);
  });

  it('records no encryption for an object stored in the clear', () => {
    expect(etcdManifest(input(facts({ recipients: [] }))).object.encryption).toBeNull();
  });

  it('omits the store checksum when the store reported none (a custom store container)', () => {
    const { storeChecksum: _, ...withoutChecksum } = facts();
    const manifest = etcdManifest(input(withoutChecksum));
    expect(manifest.object).not.toHaveProperty('storeChecksum');
    expect(JSON.stringify(manifest.object)).toBe(JSON.stringify({ ...expected.object, storeChecksum: undefined }));
  });

  it('takes only the facts the manifest records, whatever else the snapshot step reports', () => {
    const extra = { ...facts(), location: 'main', resumedUpload: true } as EtcdSnapshotFacts;
    expect(etcdManifest(input(extra))).toEqual(expected);
  });

  it('gives a manifest the schema accepts', () => {
    expect(etcdManifestSchema.safeParse(etcdManifest(input())).success).toBe(true);
  });
});

describe('serializeManifest', () => {
  it('is pretty JSON in schema order with a trailing newline', () => {
    expect(serializeManifest(etcdManifest(input()))).toBe(`${JSON.stringify(expected, null, 2)}\n`);
  });

  it('round-trips through parseManifest', () => {
    const manifest = etcdManifest(input());
    expect(parseManifest(serializeManifest(manifest))).toEqual({ ok: true, manifest });
  });

  it('drops fields the schema does not know', () => {
    const manifest = { ...etcdManifest(input()), secret: 'x' };
    expect(serializeManifest(manifest)).not.toContain('secret');
  });

  it('refuses a manifest its schema rejects', () => {
    expect(() => serializeManifest({ ...etcdManifest(input()), backup: 7 as unknown as string })).toThrow();
  });
});

describe('parseManifest', () => {
  const text = (fields: Record<string, unknown>) => JSON.stringify({ ...expected, ...fields });

  it('parses an etcd manifest', () => {
    const parsed = parseManifest(text({}));
    expect(parsed.ok).toBe(true);
    if (parsed.ok && parsed.manifest.kind === 'etcd') expect(parsed.manifest.etcd.revision).toBe('42');
  });

  it('reports text that is not JSON', () => {
    const parsed = parseManifest('{nope');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/^not JSON: /);
  });

  it.each<[string, string]>([
    ['an unknown kind', text({ kind: 'snapshots' })],
    ['no kind', JSON.stringify({ ...expected, kind: undefined })],
    ['not an object', '[1, 2]'],
    ['null', 'null'],
  ])('reports %s, naming the kinds it reads', (_, input) => {
    const parsed = parseManifest(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/^kind: .*, expected "etcd" or "resources"$/);
  });

  it('reads a manifest as the schema of the kind it names, whatever fields it has', () => {
    const parsed = parseManifest(text({ kind: 'resources' }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/^outcome: .*counts: /);
  });

  it('reports every invalid field of a known kind by its path', () => {
    const parsed = parseManifest(text({ nominalTime: 'yesterday', snapshot: { bytes: 0, sha256: 'x' } }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toContain('nominalTime: must be an ISO-8601 time');
      expect(parsed.error).toContain('snapshot.bytes');
      expect(parsed.error).toContain('snapshot.sha256: must be a hex sha256');
    }
  });
});

describe('parseManifestOfKind', () => {
  it('gives the manifest when it is of the kind asked for', () => {
    const parsed = parseManifestOfKind(JSON.stringify(expected), 'etcd');
    expect(parsed.ok && parsed.manifest.etcd.member).toBe('etcd-1');
  });

  it('refuses a manifest of another kind', () => {
    expect(parseManifestOfKind(JSON.stringify(expected), 'resources')).toEqual({
      ok: false,
      error: 'kind: "etcd", expected "resources"',
    });
  });

  it('passes on why a manifest does not parse', () => {
    const parsed = parseManifestOfKind('{nope', 'etcd');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/^not JSON: /);
  });
});
