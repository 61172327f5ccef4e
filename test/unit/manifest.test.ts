import { describe, expect, it } from 'vitest';
import {
  etcdManifest,
  etcdManifestSchema,
  MANIFEST_FORMAT_VERSION,
  MANIFEST_PROBLEMS_LIMIT,
  parseManifest,
  parseManifestOfKind,
  resourceManifest,
  resourceManifestSchema,
  resourceOutcome,
  serializeManifest,
  type EtcdManifestInput,
  type EtcdSnapshotFacts,
  type ResourceArchiveFacts,
  type ResourceManifestInput,
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

// ---------------------------------------------------------------------------------------------------------------------

const RESOURCE_DIR = 'it/resources/prod/backups/objects-20240305070809/';

const archiveFacts = (overrides: Partial<ResourceArchiveFacts> = {}): ResourceArchiveFacts => ({
  location: 'main',
  key: `${RESOURCE_DIR}objects-20240305070809.tar.gz`,
  recipients: [],
  stored: { bytes: 5678, sha256: SHA_STORED },
  storeChecksum: 'BBBBBB==-2',
  kubernetes: { gitVersion: 'v1.35.0', major: '1', minor: '35' },
  filters: {
    includedNamespaces: ['shop-*'],
    excludedNamespaces: ['shop-db'],
    includedResources: ['*'],
    excludedResources: ['events'],
    includeClusterResources: null,
    labelSelectors: ['app=web'],
  },
  counts: { items: 7, resources: { configmaps: 4, 'deployments.apps': 2, namespaces: 1 }, warnings: 0, errors: 0 },
  problems: [],
  resourceList: `${RESOURCE_DIR}objects-20240305070809-resource-list.json.gz`,
  results: `${RESOURCE_DIR}objects-20240305070809-results.gz`,
  veleroRecord: `${RESOURCE_DIR}velero-backup.json`,
  ...overrides,
});

const resourceInput = (archive: ResourceArchiveFacts = archiveFacts()): ResourceManifestInput => ({
  cluster: 'prod',
  policy: 'objects',
  backup: 'objects-20240305070809',
  nominalTime: new Date('2024-03-05T07:08:09Z'),
  oneOff: true,
  startedAt: '2024-03-05T07:08:10.000Z',
  completedAt: '2024-03-05T07:09:10.000Z',
  archive,
  createdBy: { workflowId: 'resource-backup/prod/objects/objects-20240305070809', runId: 'run-2' },
});

/** The resource manifest as stored: identity first, as every kind has it, then what the archive step found. */
const expectedResources = {
  formatVersion: 1,
  kind: 'resources',
  cluster: 'prod',
  policy: 'objects',
  backup: 'objects-20240305070809',
  nominalTime: '2024-03-05T07:08:09.000Z',
  startedAt: '2024-03-05T07:08:10.000Z',
  completedAt: '2024-03-05T07:09:10.000Z',
  oneOff: true,
  outcome: 'Completed',
  kubernetes: { gitVersion: 'v1.35.0', major: '1', minor: '35' },
  filters: {
    includedNamespaces: ['shop-*'],
    excludedNamespaces: ['shop-db'],
    includedResources: ['*'],
    excludedResources: ['events'],
    includeClusterResources: null,
    labelSelectors: ['app=web'],
  },
  counts: { items: 7, resources: { configmaps: 4, 'deployments.apps': 2, namespaces: 1 }, warnings: 0, errors: 0 },
  problems: [],
  object: {
    key: `${RESOURCE_DIR}objects-20240305070809.tar.gz`,
    bytes: 5678,
    sha256: SHA_STORED,
    encryption: null,
    storeChecksum: { algorithm: 'CRC32', value: 'BBBBBB==-2' },
  },
  files: {
    resourceList: `${RESOURCE_DIR}objects-20240305070809-resource-list.json.gz`,
    results: `${RESOURCE_DIR}objects-20240305070809-results.gz`,
    veleroRecord: `${RESOURCE_DIR}velero-backup.json`,
  },
  createdBy: { workflowId: 'resource-backup/prod/objects/objects-20240305070809', runId: 'run-2' },
};

const problem = (level: 'error' | 'warning', i: number) => ({
  level,
  resource: 'secrets',
  namespace: 'shop',
  name: `s${i}`,
  message: `listing secrets in shop: forbidden (${i})`,
});

describe('resourceOutcome', () => {
  it.each([
    [0, 0, 'Completed'],
    [1, 0, 'CompletedWithWarnings'],
    [0, 1, 'CompletedWithErrors'],
    [5, 2, 'CompletedWithErrors'],
  ] as const)('%i warning(s) and %i error(s): %s', (warnings, errors, outcome) => {
    expect(resourceOutcome({ warnings, errors })).toBe(outcome);
  });
});

describe('resourceManifest', () => {
  it('maps what the archive step did to the manifest, keys in the stored order', () => {
    const manifest = resourceManifest(resourceInput());
    expect(manifest).toEqual(expectedResources);
    expect(JSON.stringify(manifest)).toBe(JSON.stringify(expectedResources));
  });

  it('takes its outcome from the counts, not from the problems it lists', () => {
    const counts = (warnings: number, errors: number) => ({ ...archiveFacts().counts, warnings, errors });
    expect(resourceManifest(resourceInput(archiveFacts({ counts: counts(3, 0) }))).outcome).toBe(
      'CompletedWithWarnings',
    );
    expect(resourceManifest(resourceInput(archiveFacts({ counts: counts(3, 1) }))).outcome).toBe('CompletedWithErrors');
  });

  it(`lists the first ${MANIFEST_PROBLEMS_LIMIT} problems and counts them all`, () => {
    const problems = Array.from({ length: MANIFEST_PROBLEMS_LIMIT + 20 }, (_, i) => problem('error', i));
    const counts = { ...archiveFacts().counts, errors: problems.length };
    const manifest = resourceManifest(resourceInput(archiveFacts({ problems, counts })));
    expect(manifest.problems).toEqual(problems.slice(0, MANIFEST_PROBLEMS_LIMIT));
    expect(manifest.counts.errors).toBe(MANIFEST_PROBLEMS_LIMIT + 20);
  });

  it('records the recipients of an encrypted archive, and no Velero record for it', () => {
    const manifest = resourceManifest(
      resourceInput(
        archiveFacts({
          key: `${RESOURCE_DIR}objects-20240305070809.tar.gz.age`,
          recipients: ['age1recipient'],
          veleroRecord: null,
        }),
      ),
    );
    expect(manifest.object.encryption).toEqual({ format: 'age', recipients: ['age1recipient'] });
    expect(manifest.files.veleroRecord).toBeNull();
  });

  it('omits the store checksum when the store reported none', () => {
    const { storeChecksum: _, ...withoutChecksum } = archiveFacts();
    expect(resourceManifest(resourceInput(withoutChecksum)).object).not.toHaveProperty('storeChecksum');
  });

  it('takes only the facts the manifest records (not the location the archive step names)', () => {
    const manifest = resourceManifest(resourceInput());
    expect(JSON.stringify(manifest)).not.toContain('"location"');
  });

  it('gives a manifest the schema accepts', () => {
    expect(resourceManifestSchema.safeParse(resourceManifest(resourceInput())).success).toBe(true);
  });
});

describe('a resource manifest through storage', () => {
  const withProblems = () =>
    resourceManifest(
      resourceInput(
        archiveFacts({
          counts: { ...archiveFacts().counts, warnings: 1, errors: 1 },
          problems: [problem('error', 1), { level: 'warning', message: 'group metrics.k8s.io/v1beta1 unavailable' }],
        }),
      ),
    );

  it('round-trips through serializeManifest and parseManifest, problems and all', () => {
    const manifest = withProblems();
    expect(parseManifest(serializeManifest(manifest))).toEqual({ ok: true, manifest });
    expect(serializeManifest(manifest)).toBe(`${JSON.stringify(manifest, null, 2)}\n`);
  });

  it('is read by parseManifestOfKind as resources, and refused as etcd', () => {
    const text = serializeManifest(withProblems());
    const parsed = parseManifestOfKind(text, 'resources');
    expect(parsed.ok && parsed.manifest.counts.resources).toEqual(expectedResources.counts.resources);
    expect(parseManifestOfKind(text, 'etcd')).toEqual({ ok: false, error: 'kind: "resources", expected "etcd"' });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown outcome', { outcome: 'PartiallyFailed' }, 'outcome'],
    ['a negative count', { counts: { ...expectedResources.counts, items: -1 } }, 'counts.items'],
    [
      'a tri-state that is a string',
      { filters: { ...expectedResources.filters, includeClusterResources: 'yes' } },
      'filters.includeClusterResources',
    ],
    ['a problem without a level', { problems: [{ message: 'x' }] }, 'problems.0.level'],
  ])('reports %s by its path', (_, fields, path) => {
    const parsed = parseManifest(JSON.stringify({ ...expectedResources, ...fields }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(`${path}: `);
  });
});
