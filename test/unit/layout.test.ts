import { describe, expect, it } from 'vitest';
import {
  BackupKinds,
  backupDir,
  encodingOfKey,
  type EtcdBackupRef,
  isManifestKey,
  kindPrefix,
  kubermaticSnapshotKey,
  type Compression,
  manifestKey,
  parseBackupKey,
  policyOfBackup,
  policyPrefix,
  probeKey,
  resourceListKey,
  resourceRestoreDir,
  resourceResultsKey,
  resourcesArchiveKey,
  type ResourceBackupRef,
  snapshotKey,
  veleroBackupKey,
} from '../../core/layout.js';

const ref = (prefix: string): EtcdBackupRef => ({
  prefix,
  kind: 'etcd',
  cluster: 'prod',
  policy: 'nightly',
  backup: 'nightly-20240305070809',
});

const resourceRef = (prefix: string): ResourceBackupRef => ({
  prefix,
  kind: 'resources',
  cluster: 'prod',
  backup: 'nightly-20240305070809',
});

const DIR = 'prod/nightly/nightly-20240305070809/';
/** Velero's layout under `<prefix>/resources/<cluster>`: no policy level. */
const RESOURCE_DIR = 'prod/backups/nightly-20240305070809/';

/** Every spelling of a prefix and the normalised form keys are written under. */
const PREFIXES: [string, string][] = [
  ['', ''],
  ['/', ''],
  ['a', 'a/'],
  ['/a/', 'a/'],
  ['//a//', 'a/'],
  ['a/', 'a/'],
  ['a/b', 'a/b/'],
  ['/a/b/', 'a/b/'],
];

describe('backupDir', () => {
  it.each(PREFIXES)('under prefix %j is %s<kind>/<cluster>/<policy>/<backup>/', (prefix, base) => {
    expect(backupDir(ref(prefix))).toBe(`${base}etcd/${DIR}`);
  });

  it.each(PREFIXES)(
    'of a resource backup under prefix %j is %sresources/<cluster>/backups/<backup>/',
    (prefix, base) => {
      expect(backupDir(resourceRef(prefix))).toBe(`${base}resources/${RESOURCE_DIR}`);
    },
  );

  it('never starts with a slash and always ends with exactly one', () => {
    for (const [prefix] of PREFIXES) {
      for (const dir of [backupDir(ref(prefix)), backupDir(resourceRef(prefix))]) {
        expect(dir.startsWith('/')).toBe(false);
        expect(dir.endsWith('/')).toBe(true);
        expect(dir.endsWith('//')).toBe(false);
        expect(dir).not.toContain('//');
      }
    }
  });
});

describe('manifestKey', () => {
  it.each(PREFIXES)('under prefix %j is the backup dir + manifest.json', (prefix, base) => {
    expect(manifestKey(ref(prefix))).toBe(`${base}etcd/${DIR}manifest.json`);
    expect(manifestKey(resourceRef(prefix))).toBe(`${base}resources/${RESOURCE_DIR}manifest.json`);
  });
});

describe('isManifestKey', () => {
  it('is true for the manifest of either kind and nothing else in a backup', () => {
    expect(isManifestKey(manifestKey(ref('a')))).toBe(true);
    expect(isManifestKey(manifestKey(resourceRef('')))).toBe(true);
    expect(isManifestKey(snapshotKey(ref('a'), 'gzip', true))).toBe(false);
    expect(isManifestKey(veleroBackupKey(resourceRef('a')))).toBe(false);
    expect(isManifestKey(resourcesArchiveKey(resourceRef('a'), false))).toBe(false);
  });

  it('matches the whole file name, not a suffix of it', () => {
    expect(isManifestKey('a/etcd/prod/nightly/b/old-manifest.json')).toBe(false);
    expect(isManifestKey('a/etcd/prod/nightly/b/manifest.json.bak')).toBe(false);
  });
});

describe('snapshotKey', () => {
  const cases: [Compression, boolean, string][] = [
    ['none', false, 'snapshot.db'],
    ['none', true, 'snapshot.db.age'],
    ['gzip', false, 'snapshot.db.gz'],
    ['gzip', true, 'snapshot.db.gz.age'],
    ['zstd', false, 'snapshot.db.zst'],
    ['zstd', true, 'snapshot.db.zst.age'],
  ];

  it.each(cases)('compression %s, encrypted %s: file is %s', (compression, encrypted, file) => {
    expect(snapshotKey(ref(''), compression, encrypted)).toBe(`etcd/${DIR}${file}`);
  });

  it.each(cases)(
    'compression %s, encrypted %s: lives in the backup dir under a prefix',
    (compression, encrypted, file) => {
      expect(snapshotKey(ref('/a/b/'), compression, encrypted)).toBe(`a/b/etcd/${DIR}${file}`);
    },
  );

  it('gives a different key for every compression/encryption combination', () => {
    const keys = cases.map(([c, e]) => snapshotKey(ref('a'), c, e));
    expect(new Set(keys).size).toBe(cases.length);
  });
});

describe('resource keys', () => {
  const dir = `a/resources/${RESOURCE_DIR}`;

  it("resourcesArchiveKey is Velero's <backup>.tar.gz, plus .age when encrypted", () => {
    expect(resourcesArchiveKey(resourceRef('a'), false)).toBe(`${dir}nightly-20240305070809.tar.gz`);
    expect(resourcesArchiveKey(resourceRef('a'), true)).toBe(`${dir}nightly-20240305070809.tar.gz.age`);
  });

  it("veleroBackupKey is Velero's velero-backup.json", () => {
    expect(veleroBackupKey(resourceRef('a'))).toBe(`${dir}velero-backup.json`);
  });

  it("resourceListKey is Velero's <backup>-resource-list.json.gz", () => {
    expect(resourceListKey(resourceRef(''))).toBe(
      `resources/${RESOURCE_DIR}nightly-20240305070809-resource-list.json.gz`,
    );
  });

  it("resourceResultsKey is Velero's <backup>-results.gz", () => {
    expect(resourceResultsKey(resourceRef('a'))).toBe(`${dir}nightly-20240305070809-results.gz`);
  });

  it.each(PREFIXES)(
    'resourceRestoreDir under prefix %j is %sresources/<cluster>/restores/<restore>/',
    (prefix, base) => {
      expect(resourceRestoreDir(prefix, 'prod', 'r1')).toBe(`${base}resources/prod/restores/r1/`);
    },
  );

  it('puts nothing but backups/ and restores/ under the Velero prefix <prefix>/resources/<cluster>/', () => {
    const veleroPrefix = 'a/resources/prod/';
    const keys = [
      manifestKey(resourceRef('a')),
      resourcesArchiveKey(resourceRef('a'), true),
      veleroBackupKey(resourceRef('a')),
      resourceListKey(resourceRef('a')),
      resourceResultsKey(resourceRef('a')),
      resourceRestoreDir('a', 'prod', 'r1'),
    ];
    for (const key of keys) {
      expect(key.startsWith(veleroPrefix)).toBe(true);
      expect(['backups', 'restores']).toContain(key.slice(veleroPrefix.length).split('/')[0]);
    }
  });
});

describe('policyPrefix', () => {
  it.each(PREFIXES)('under prefix %j is %setcd/<cluster>/<policy>/', (prefix, base) => {
    expect(policyPrefix(prefix, 'prod', 'nightly')).toBe(`${base}etcd/prod/nightly/`);
  });

  it('is a prefix of every key of that policy', () => {
    for (const [prefix] of PREFIXES) {
      const pp = policyPrefix(prefix, 'prod', 'nightly');
      expect(manifestKey(ref(prefix)).startsWith(pp)).toBe(true);
      expect(snapshotKey(ref(prefix), 'zstd', true).startsWith(pp)).toBe(true);
      expect(backupDir(ref(prefix)).startsWith(pp)).toBe(true);
    }
  });

  it('does not match a policy whose name merely starts with the same letters', () => {
    const other = manifestKey({ ...ref('a'), policy: 'nightly2' });
    expect(other.startsWith(policyPrefix('a', 'prod', 'nightly'))).toBe(false);
  });

  it('does not match the other kind', () => {
    expect(manifestKey(resourceRef('a')).startsWith(policyPrefix('a', 'prod', 'nightly'))).toBe(false);
  });
});

describe('kindPrefix', () => {
  it.each(PREFIXES)('under prefix %j is %s<kind>/ for every cluster', (prefix, base) => {
    expect(kindPrefix(prefix, BackupKinds.etcd)).toBe(`${base}etcd/`);
    expect(kindPrefix(prefix, BackupKinds.resources)).toBe(`${base}resources/`);
  });

  it.each(PREFIXES)("under prefix %j is a cluster's folder of backups of each kind", (prefix, base) => {
    expect(kindPrefix(prefix, BackupKinds.etcd, 'prod')).toBe(`${base}etcd/prod/`);
    expect(kindPrefix(prefix, BackupKinds.resources, 'prod')).toBe(`${base}resources/prod/backups/`);
  });

  it("is a prefix of every backup key of that kind and cluster, and of no other kind's", () => {
    for (const [prefix] of PREFIXES) {
      expect(manifestKey(ref(prefix)).startsWith(kindPrefix(prefix, 'etcd', 'prod'))).toBe(true);
      expect(manifestKey(resourceRef(prefix)).startsWith(kindPrefix(prefix, 'resources', 'prod'))).toBe(true);
      expect(manifestKey(resourceRef(prefix)).startsWith(kindPrefix(prefix, 'etcd'))).toBe(false);
      expect(manifestKey(ref(prefix)).startsWith(kindPrefix(prefix, 'resources'))).toBe(false);
    }
  });

  it("does not hold a restore's results", () => {
    expect(resourceRestoreDir('a', 'prod', 'r1').startsWith(kindPrefix('a', 'resources', 'prod'))).toBe(false);
  });
});

describe('policyOfBackup', () => {
  it("is an etcd backup's folder, whatever its name", () => {
    expect(policyOfBackup(ref('a'))).toBe('nightly');
    expect(policyOfBackup({ ...ref('a'), backup: 'not-ours' })).toBe('nightly');
  });

  it("is what a resource backup's name carries, undefined for a name Lifeboat does not write", () => {
    expect(policyOfBackup(resourceRef('a'))).toBe('nightly');
    expect(policyOfBackup({ ...resourceRef('a'), backup: 'daily-job-20240305070809' })).toBe('daily-job');
    expect(policyOfBackup({ ...resourceRef('a'), backup: 'velero-made-it' })).toBeUndefined();
  });
});

describe('probeKey', () => {
  it.each([
    ['', '.lifeboat-probe/abc'],
    ['a', 'a/.lifeboat-probe/abc'],
    ['/a/', 'a/.lifeboat-probe/abc'],
    ['a/b', 'a/b/.lifeboat-probe/abc'],
  ])('under prefix %j is %s', (prefix, key) => {
    expect(probeKey(prefix, 'abc')).toBe(key);
  });

  it('is never parsed as a backup key', () => {
    for (const [prefix] of PREFIXES) {
      expect(parseBackupKey(prefix, probeKey(prefix, 'abc'))).toBeUndefined();
      expect(parseBackupKey(prefix, probeKey(prefix, 'x/y/z/w'))).toBeUndefined();
    }
  });

  it('is outside every policy prefix', () => {
    expect(probeKey('a', 'abc').startsWith('a/etcd/')).toBe(false);
    expect(probeKey('a', 'abc').startsWith('a/resources/')).toBe(false);
  });
});

describe('kubermaticSnapshotKey', () => {
  it("is Kubermatic's $CLUSTER-$BACKUP_TO_CREATE, at the bucket root whatever the prefix", () => {
    expect(kubermaticSnapshotKey('prod', 'nightly-20240305070809')).toBe('prod-nightly-20240305070809');
  });

  it('is never parsed as a backup key, nor inside a policy prefix, so nothing but job mode ever sees it', () => {
    const key = kubermaticSnapshotKey('prod', 'nightly-20240305070809');
    for (const [prefix] of PREFIXES) {
      expect(parseBackupKey(prefix, key)).toBeUndefined();
      expect(key.startsWith(policyPrefix(prefix, 'prod', 'nightly'))).toBe(false);
    }
  });
});

describe('parseBackupKey', () => {
  const builders: [string, (r: EtcdBackupRef) => string, string][] = [
    ['manifestKey', manifestKey, 'manifest.json'],
    ['snapshotKey none', (r) => snapshotKey(r, 'none', false), 'snapshot.db'],
    ['snapshotKey gzip', (r) => snapshotKey(r, 'gzip', false), 'snapshot.db.gz'],
    ['snapshotKey zstd+age', (r) => snapshotKey(r, 'zstd', true), 'snapshot.db.zst.age'],
  ];
  const resourceBuilders: [string, (r: ResourceBackupRef) => string, string][] = [
    ['manifestKey', manifestKey, 'manifest.json'],
    ['resourcesArchiveKey', (r) => resourcesArchiveKey(r, true), 'nightly-20240305070809.tar.gz.age'],
    ['veleroBackupKey', veleroBackupKey, 'velero-backup.json'],
    ['resourceListKey', resourceListKey, 'nightly-20240305070809-resource-list.json.gz'],
    ['resourceResultsKey', resourceResultsKey, 'nightly-20240305070809-results.gz'],
  ];

  describe.each(PREFIXES)('under prefix %j', (prefix, base) => {
    const normalised = base.replace(/\/$/, '');

    it.each(builders)('inverts %s of an etcd backup', (_, build, file) => {
      const r = ref(prefix);
      expect(parseBackupKey(prefix, build(r))).toEqual({ ...r, prefix: normalised, file });
    });

    it.each(resourceBuilders)('inverts %s of a resource backup', (_, build, file) => {
      const r = resourceRef(prefix);
      expect(parseBackupKey(prefix, build(r))).toEqual({ ...r, prefix: normalised, file });
    });

    it("returns undefined for a restore's results", () => {
      expect(
        parseBackupKey(prefix, resourceRestoreDir(prefix, 'prod', 'r1') + 'restore-r1-results.gz'),
      ).toBeUndefined();
    });
  });

  it('returns undefined for a resource key without the backups/ level (a policy level is not ours)', () => {
    expect(parseBackupKey('', 'resources/prod/nightly/nightly-20240305070809/manifest.json')).toBeUndefined();
  });

  it('accepts any spelling of the same prefix', () => {
    const key = manifestKey(ref('a/b'));
    for (const spelling of ['a/b', '/a/b', 'a/b/', '/a/b/']) {
      expect(parseBackupKey(spelling, key)).toMatchObject({ prefix: 'a/b', backup: 'nightly-20240305070809' });
    }
  });

  it('returns the normalised prefix, so rebuilding the key gives the same key', () => {
    const key = snapshotKey(ref('/x/y/'), 'gzip', true);
    const parsed = parseBackupKey('/x/y/', key);
    expect(parsed?.kind).toBe('etcd');
    if (parsed?.kind === 'etcd') expect(snapshotKey(parsed, 'gzip', true)).toBe(key);
  });

  it.each([
    ['a file at the root', '', 'README.md'],
    ['an unrelated path', '', 'logs/2024/03/05/app.log'],
    ['a foreign key under the prefix', 'a', 'a/logs/x/y/z/w.log'],
  ])('returns undefined for a foreign key: %s', (_, prefix, key) => {
    expect(parseBackupKey(prefix, key)).toBeUndefined();
  });

  it.each([
    ['4 parts (no file)', 'etcd/prod/nightly/b'],
    ['the backup dir itself (empty file)', 'etcd/prod/nightly/b/'],
    ['6 parts', 'etcd/prod/nightly/b/sub/manifest.json'],
    ['the policy prefix', 'etcd/prod/nightly/'],
    ['a leading slash', '/etcd/prod/nightly/b/manifest.json'],
  ])('returns undefined for the wrong depth: %s', (_, key) => {
    expect(parseBackupKey('', key)).toBeUndefined();
  });

  it.each([
    ['empty cluster', 'etcd//nightly/b/manifest.json'],
    ['empty policy', 'etcd/prod//b/manifest.json'],
    ['empty backup', 'etcd/prod/nightly//manifest.json'],
  ])('returns undefined for an empty segment: %s', (_, key) => {
    expect(parseBackupKey('', key)).toBeUndefined();
  });

  it.each(['snapshots', 'Etcd', 'resource', '.lifeboat-probe', ''])('returns undefined for kind %j', (kind) => {
    expect(parseBackupKey('', `${kind}/prod/nightly/b/manifest.json`)).toBeUndefined();
  });

  it.each([
    ['another prefix', 'a', 'b/etcd/prod/nightly/bk/manifest.json'],
    ['a sibling that shares the first letters', 'a', 'ab/etcd/prod/nightly/bk/manifest.json'],
    ['the parent of the prefix', 'a/b', 'a/etcd/prod/nightly/bk/manifest.json'],
    ['a deeper prefix', 'a', 'a/b/etcd/prod/nightly/bk/manifest.json'],
    ['no prefix while one is expected', 'a', 'etcd/prod/nightly/bk/manifest.json'],
    ['a prefix while none is expected', '', 'a/etcd/prod/nightly/bk/manifest.json'],
  ])('returns undefined for a key outside the prefix: %s', (_, prefix, key) => {
    expect(parseBackupKey(prefix, key)).toBeUndefined();
  });
});

describe('encodingOfKey', () => {
  it.each([
    ['it/etcd/c/p/b/snapshot.db', 'none', false],
    ['it/etcd/c/p/b/snapshot.db.gz', 'gzip', false],
    ['it/etcd/c/p/b/snapshot.db.zst.age', 'zstd', true],
    ['it/etcd/c/p/b/snapshot.db.gz.age', 'gzip', true],
    ['raw/etcd-snapshot-2026.db', 'none', false],
    ['raw/age-gz-not-a-suffix.db', 'none', false],
  ])('%s is %s, encrypted %s', (key, compression, encrypted) => {
    expect(encodingOfKey(key)).toEqual({ compression, encrypted });
  });
});
