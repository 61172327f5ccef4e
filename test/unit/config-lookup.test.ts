import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { findPolicy } from '../../activities/config-lookup.js';
import { etcdBackupPolicySchema, resourceBackupPolicySchema, type LifeboatConfig } from '../../core/config/schema.js';

// Retention serves both kinds by name: the policy is found in whichever list has it, and its kind says which tree of
// the bucket to list. Names are unique per cluster across kinds (the config's references check).
const etcd = (name: string, cluster = 'prod') => etcdBackupPolicySchema.parse({ name, cluster, location: 'main' });
const resources = (name: string, cluster = 'prod') =>
  resourceBackupPolicySchema.parse({ name, cluster, location: 'main' });
const deps = {
  config: {
    etcdBackups: [etcd('nightly'), etcd('objects', 'hub')],
    resourceBackups: [resources('objects'), resources('manual')],
  } as unknown as LifeboatConfig,
};

describe('findPolicy', () => {
  it('finds an etcd policy, as etcd', () => {
    expect(findPolicy(deps, 'prod', 'nightly')).toEqual({ kind: 'etcd', policy: etcd('nightly') });
  });

  it('finds a resource policy, as resources', () => {
    expect(findPolicy(deps, 'prod', 'objects')).toEqual({ kind: 'resources', policy: resources('objects') });
  });

  it("tells clusters apart: another cluster's policy of the same name is its own", () => {
    expect(findPolicy(deps, 'hub', 'objects')).toEqual({ kind: 'etcd', policy: etcd('objects', 'hub') });
  });

  it("refuses an unknown policy as bad config, naming the cluster's policies of both kinds", () => {
    let thrown: unknown;
    try {
      findPolicy(deps, 'prod', 'weekly');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    expect(thrown).toMatchObject({
      type: 'InvalidConfig',
      nonRetryable: true,
      message:
        'Unknown backup policy "prod/weekly" (policies of prod: nightly, objects, manual); check the worker\'s config.',
    });
  });

  it('says "none" for a cluster without policies', () => {
    expect(() => findPolicy(deps, 'empty', 'x')).toThrow('(policies of empty: none)');
  });
});
