import { describe, expect, it } from 'vitest';
import {
  MSA_TOKEN_LABEL,
  autoImportDecisions,
  type MsaTokenSecret,
  type RestoredManagedCluster,
} from '../../core/acm/auto-import.js';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const URL = 'https://api.c1.example.com:6443';

function cluster(name: string, overrides: Partial<RestoredManagedCluster> = {}): RestoredManagedCluster {
  return { name, labels: {}, available: false, url: URL, ...overrides };
}

function token(overrides: Partial<MsaTokenSecret> = {}): MsaTokenSecret {
  return { name: 'auto-import-account', labels: { [MSA_TOKEN_LABEL]: 'true' }, hasToken: true, ...overrides };
}

const NO_TOKEN = (ns: string) =>
  `no ManagedServiceAccount token (Secret auto-import-account labelled ${MSA_TOKEN_LABEL}=true) in namespace ${ns}: it stays Pending Import until an auto-import-secret is written by hand`;

describe('autoImportDecisions: which clusters', () => {
  it('leaves the local cluster out entirely, whatever else it is', () => {
    const clusters = [
      cluster('local-cluster', { labels: { 'local-cluster': 'true' } }),
      cluster('local-available', { labels: { 'local-cluster': 'true' }, available: true }),
      cluster('c1'),
    ];
    const decisions = autoImportDecisions(clusters, { 'local-cluster': [token()], c1: [token()] }, NOW);
    expect(decisions.map((d) => d.cluster)).toEqual(['c1']);
  });

  it('only the label value true marks the local cluster', () => {
    const decisions = autoImportDecisions(
      [cluster('c1', { labels: { 'local-cluster': 'false' } })],
      { c1: [token()] },
      NOW,
    );
    expect(decisions).toEqual([{ cluster: 'c1', action: 'import', server: URL, tokenSecret: 'auto-import-account' }]);
  });

  it('an available cluster is skipped, with the reason', () => {
    expect(autoImportDecisions([cluster('c1', { available: true })], { c1: [token()] }, NOW)).toEqual([
      { cluster: 'c1', action: 'skip', why: 'it is available: it reached the new hub' },
    ]);
  });

  it('a cluster without a URL (absent or empty) is skipped: it reconnects through its kubeconfig', () => {
    const why =
      'it has no spec.managedClusterClientConfigs[0].url (a Hive cluster reconnects through its restored admin kubeconfig)';
    const decisions = autoImportDecisions(
      [cluster('hive1', { url: undefined }), cluster('hive2', { url: '' })],
      { hive1: [token()], hive2: [token()] },
      NOW,
    );
    expect(decisions).toEqual([
      { cluster: 'hive1', action: 'skip', why },
      { cluster: 'hive2', action: 'skip', why },
    ]);
  });

  it('a cluster with no token secret is skipped, the reason naming its namespace', () => {
    expect(autoImportDecisions([cluster('c1')], {}, NOW)).toEqual([
      { cluster: 'c1', action: 'skip', why: NO_TOKEN('c1') },
    ]);
    expect(autoImportDecisions([cluster('c2')], { c2: [] }, NOW)).toEqual([
      { cluster: 'c2', action: 'skip', why: NO_TOKEN('c2') },
    ]);
  });

  it('only the cluster’s own namespace counts', () => {
    expect(autoImportDecisions([cluster('c1')], { c2: [token()] }, NOW)).toEqual([
      { cluster: 'c1', action: 'skip', why: NO_TOKEN('c1') },
    ]);
  });
});

describe('autoImportDecisions: which token', () => {
  const decide = (secrets: MsaTokenSecret[]) => autoImportDecisions([cluster('c1')], { c1: secrets }, NOW)[0];

  it('a single valid token: import with the cluster’s URL as server and the secret’s name', () => {
    expect(decide([token()])).toEqual({
      cluster: 'c1',
      action: 'import',
      server: URL,
      tokenSecret: 'auto-import-account',
    });
    expect(decide([token({ name: 'auto-import-account-pair' })])).toEqual({
      cluster: 'c1',
      action: 'import',
      server: URL,
      tokenSecret: 'auto-import-account-pair',
    });
  });

  it('ignores a secret of another name', () => {
    expect(decide([token({ name: 'some-other-account' })])).toMatchObject({ action: 'skip', why: NO_TOKEN('c1') });
    expect(decide([token({ name: 'auto-import-account-2' })])).toMatchObject({ action: 'skip' });
  });

  it('ignores a secret without the ManagedServiceAccount label, or with it not true', () => {
    expect(decide([token({ labels: {} })])).toMatchObject({ action: 'skip', why: NO_TOKEN('c1') });
    expect(decide([token({ labels: { [MSA_TOKEN_LABEL]: 'false' } })])).toMatchObject({ action: 'skip' });
  });

  it('ignores a secret that holds no token', () => {
    expect(decide([token({ hasToken: false })])).toMatchObject({ action: 'skip', why: NO_TOKEN('c1') });
  });

  it('an ignored secret does not compete with the valid one', () => {
    const secrets = [
      token({ name: 'auto-import-account', hasToken: false, expiresAt: '2027-01-01T00:00:00Z' }),
      token({ name: 'auto-import-account-pair' }),
    ];
    expect(decide(secrets)).toMatchObject({ action: 'import', tokenSecret: 'auto-import-account-pair' });
  });

  it('a single token is taken even when it has expired', () => {
    expect(decide([token({ expiresAt: '2026-01-01T00:00:00Z' })])).toMatchObject({
      action: 'import',
      tokenSecret: 'auto-import-account',
    });
  });

  it('of two candidates, the unexpired one wins, in either order', () => {
    const expired = token({
      name: 'auto-import-account',
      expiresAt: '2026-12-03T11:59:59Z',
      createdAt: '2026-12-03T10:00:00Z',
    });
    const valid = token({
      name: 'auto-import-account-pair',
      expiresAt: '2026-12-04T00:00:00Z',
      createdAt: '2026-12-01T00:00:00Z',
    });
    expect(decide([expired, valid])).toMatchObject({ action: 'import', tokenSecret: 'auto-import-account-pair' });
    expect(decide([valid, expired])).toMatchObject({ action: 'import', tokenSecret: 'auto-import-account-pair' });
  });

  it('a token expiring exactly now counts as expired', () => {
    const now = token({ name: 'auto-import-account', expiresAt: NOW.toISOString(), createdAt: '2026-12-03T00:00:00Z' });
    const newer = token({
      name: 'auto-import-account-pair',
      expiresAt: NOW.toISOString(),
      createdAt: '2026-12-03T06:00:00Z',
    });
    // Neither is valid, so the newest by createdAt wins.
    expect(decide([now, newer])).toMatchObject({ tokenSecret: 'auto-import-account-pair' });
  });

  it('a token without expiresAt is not “unexpired”: the one with a future expiry wins over it', () => {
    const noExpiry = token({ name: 'auto-import-account', createdAt: '2026-12-03T11:00:00Z' });
    const valid = token({ name: 'auto-import-account-pair', expiresAt: '2026-12-04T00:00:00Z' });
    expect(decide([noExpiry, valid])).toMatchObject({ tokenSecret: 'auto-import-account-pair' });
  });

  it('both expired: the newest by createdAt wins, in either order', () => {
    const older = token({
      name: 'auto-import-account',
      expiresAt: '2026-12-02T00:00:00Z',
      createdAt: '2026-11-01T00:00:00Z',
    });
    const newer = token({
      name: 'auto-import-account-pair',
      expiresAt: '2026-12-01T00:00:00Z',
      createdAt: '2026-11-20T00:00:00Z',
    });
    expect(decide([older, newer])).toMatchObject({ action: 'import', tokenSecret: 'auto-import-account-pair' });
    expect(decide([newer, older])).toMatchObject({ action: 'import', tokenSecret: 'auto-import-account-pair' });
  });

  it('neither has an expiry: the newest by createdAt wins', () => {
    const older = token({ name: 'auto-import-account-pair', createdAt: '2026-11-01T00:00:00Z' });
    const newer = token({ name: 'auto-import-account', createdAt: '2026-11-20T00:00:00Z' });
    expect(decide([older, newer])).toMatchObject({ tokenSecret: 'auto-import-account' });
  });

  it('both unexpired: the first in the list wins', () => {
    const a = token({
      name: 'auto-import-account',
      expiresAt: '2026-12-05T00:00:00Z',
      createdAt: '2026-11-01T00:00:00Z',
    });
    const b = token({
      name: 'auto-import-account-pair',
      expiresAt: '2026-12-10T00:00:00Z',
      createdAt: '2026-11-20T00:00:00Z',
    });
    expect(decide([a, b])).toMatchObject({ tokenSecret: 'auto-import-account' });
    expect(decide([b, a])).toMatchObject({ tokenSecret: 'auto-import-account-pair' });
  });

  it('does not reorder the secrets it was given', () => {
    const older = token({ name: 'auto-import-account', createdAt: '2026-11-01T00:00:00Z' });
    const newer = token({ name: 'auto-import-account-pair', createdAt: '2026-11-20T00:00:00Z' });
    const secrets = [older, newer];
    decide(secrets);
    expect(secrets).toEqual([older, newer]);
  });
});

describe('autoImportDecisions: the output', () => {
  it('one decision per non-local cluster, in the clusters’ order', () => {
    const clusters = [
      cluster('z-hive', { url: undefined }),
      cluster('local-cluster', { labels: { 'local-cluster': 'true' } }),
      cluster('m-up', { available: true }),
      cluster('a-import', { url: 'https://api.a.example.com:6443' }),
      cluster('b-no-token'),
    ];
    const decisions = autoImportDecisions(
      clusters,
      { 'a-import': [token()], 'b-no-token': [token({ hasToken: false })] },
      NOW,
    );
    expect(decisions.map((d) => [d.cluster, d.action])).toEqual([
      ['z-hive', 'skip'],
      ['m-up', 'skip'],
      ['a-import', 'import'],
      ['b-no-token', 'skip'],
    ]);
    expect(decisions[2]).toEqual({
      cluster: 'a-import',
      action: 'import',
      server: 'https://api.a.example.com:6443',
      tokenSecret: 'auto-import-account',
    });
  });

  it('no clusters: no decisions', () => {
    expect(autoImportDecisions([], {}, NOW)).toEqual([]);
  });
});
