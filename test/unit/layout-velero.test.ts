import { describe, expect, it } from 'vitest';
import {
  parseVeleroLocationRecordKey,
  resourcesLocationPrefix,
  veleroBackupKey,
  veleroLocationBackupsPrefix,
  veleroLocationRecordKey,
  type ResourceBackupRef,
} from '../../core/layout.js';

describe("keys under a BackupStorageLocation prefix (Velero's layout, whoever wrote it)", () => {
  it.each([
    ['', 'backups/'],
    ['velero', 'velero/backups/'],
    ['/velero/', 'velero/backups/'],
    ['a/b', 'a/b/backups/'],
  ])('prefix %j holds its backups under %j', (prefix, folder) => {
    expect(veleroLocationBackupsPrefix(prefix)).toBe(folder);
    expect(veleroLocationRecordKey(prefix, 'b1')).toBe(`${folder}b1/velero-backup.json`);
  });

  it('a record key parses back to its backup, for every prefix', () => {
    for (const prefix of ['', 'velero', '/a/b/']) {
      expect(parseVeleroLocationRecordKey(prefix, veleroLocationRecordKey(prefix, 'nightly-1'))).toBe('nightly-1');
    }
  });

  it.each([
    ['velero/backups/b1/b1.tar.gz', 'another file of the backup'],
    ['velero/backups/b1/nested/velero-backup.json', 'deeper than a backup folder'],
    ['velero/backups//velero-backup.json', 'no backup name'],
    ['velero/restores/r1/velero-backup.json', 'not under backups/'],
    ['other/backups/b1/velero-backup.json', 'another prefix'],
    ['velero/backups/velero-backup.json', 'a file beside the backup folders'],
  ])('%s is not a record (%s)', (key) => {
    expect(parseVeleroLocationRecordKey('velero', key)).toBeUndefined();
  });

  it("Lifeboat's resource backups of a cluster are a location prefix whose records are veleroBackupKey's", () => {
    const ref: ResourceBackupRef = { prefix: '/it/', kind: 'resources', cluster: 'prod', backup: 'app-20240305070809' };
    const bsl = resourcesLocationPrefix(ref.prefix, ref.cluster);
    expect(bsl).toBe('it/resources/prod');
    expect(veleroLocationRecordKey(bsl, ref.backup)).toBe(veleroBackupKey(ref));
    expect(resourcesLocationPrefix('', 'prod')).toBe('resources/prod');
  });
});
