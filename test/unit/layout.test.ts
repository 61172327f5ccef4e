import { describe, expect, it } from 'vitest';
import {
  backupDir,
  encodingOfKey,
  type BackupRef,
  kubermaticSnapshotKey,
  type Compression,
  manifestKey,
  parseBackupKey,
  policyPrefix,
  probeKey,
  resourceListKey,
  resourcesArchiveKey,
  snapshotKey,
} from '../../core/layout.js';

const ref = (prefix: string, kind: BackupRef['kind'] = 'etcd'): BackupRef => ({
  prefix,
  kind,
  cluster: 'prod',
  policy: 'nightly',
  backup: 'nightly-20240305070809',
});

const DIR = 'prod/nightly/nightly-20240305070809/';

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
    expect(backupDir(ref(prefix, 'resources'))).toBe(`${base}resources/${DIR}`);
  });

  it('never starts with a slash and always ends with exactly one', () => {
    for (const [prefix] of PREFIXES) {
      const dir = backupDir(ref(prefix));
      expect(dir.startsWith('/')).toBe(false);
      expect(dir.endsWith('/')).toBe(true);
      expect(dir.endsWith('//')).toBe(false);
      expect(dir).not.toContain('//');
    }
  });
});

describe('manifestKey', () => {
  it.each(PREFIXES)('under prefix %j is the backup dir + manifest.json', (prefix, base) => {
    expect(manifestKey(ref(prefix))).toBe(`${base}etcd/${DIR}manifest.json`);
    expect(manifestKey(ref(prefix, 'resources'))).toBe(`${base}resources/${DIR}manifest.json`);
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
  it('resourcesArchiveKey is resources.tar.gz, plus .age when encrypted', () => {
    expect(resourcesArchiveKey(ref('a', 'resources'), false)).toBe(`a/resources/${DIR}resources.tar.gz`);
    expect(resourcesArchiveKey(ref('a', 'resources'), true)).toBe(`a/resources/${DIR}resources.tar.gz.age`);
  });

  it('resourceListKey is resource-list.json', () => {
    expect(resourceListKey(ref('', 'resources'))).toBe(`resources/${DIR}resource-list.json`);
  });
});

describe('policyPrefix', () => {
  it.each(PREFIXES)('under prefix %j is %s<kind>/<cluster>/<policy>/', (prefix, base) => {
    expect(policyPrefix(prefix, 'etcd', 'prod', 'nightly')).toBe(`${base}etcd/prod/nightly/`);
    expect(policyPrefix(prefix, 'resources', 'prod', 'nightly')).toBe(`${base}resources/prod/nightly/`);
  });

  it('is a prefix of every key of that policy', () => {
    for (const [prefix] of PREFIXES) {
      const pp = policyPrefix(prefix, 'etcd', 'prod', 'nightly');
      expect(manifestKey(ref(prefix)).startsWith(pp)).toBe(true);
      expect(snapshotKey(ref(prefix), 'zstd', true).startsWith(pp)).toBe(true);
      expect(backupDir(ref(prefix)).startsWith(pp)).toBe(true);
    }
  });

  it('does not match a policy whose name merely starts with the same letters', () => {
    const other = manifestKey({ ...ref('a'), policy: 'nightly2' });
    expect(other.startsWith(policyPrefix('a', 'etcd', 'prod', 'nightly'))).toBe(false);
  });

  it('does not match the other kind', () => {
    expect(manifestKey(ref('a', 'resources')).startsWith(policyPrefix('a', 'etcd', 'prod', 'nightly'))).toBe(false);
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
      expect(key.startsWith(policyPrefix(prefix, 'etcd', 'prod', 'nightly'))).toBe(false);
    }
  });
});

describe('parseBackupKey', () => {
  const builders: [string, (r: BackupRef) => string, string][] = [
    ['manifestKey', manifestKey, 'manifest.json'],
    ['snapshotKey none', (r) => snapshotKey(r, 'none', false), 'snapshot.db'],
    ['snapshotKey gzip', (r) => snapshotKey(r, 'gzip', false), 'snapshot.db.gz'],
    ['snapshotKey zstd+age', (r) => snapshotKey(r, 'zstd', true), 'snapshot.db.zst.age'],
    ['resourcesArchiveKey', (r) => resourcesArchiveKey(r, true), 'resources.tar.gz.age'],
    ['resourceListKey', resourceListKey, 'resource-list.json'],
  ];

  describe.each(PREFIXES)('under prefix %j', (prefix, base) => {
    const normalised = base.replace(/\/$/, '');

    it.each(builders)('inverts %s for both kinds', (_, build, file) => {
      for (const kind of ['etcd', 'resources'] as const) {
        const r = ref(prefix, kind);
        expect(parseBackupKey(prefix, build(r))).toEqual({ ...r, prefix: normalised, file });
      }
    });
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
    expect(parsed).toBeDefined();
    expect(snapshotKey(parsed!, 'gzip', true)).toBe(key);
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
