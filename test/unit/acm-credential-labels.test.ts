import { describe, expect, it } from 'vitest';
import {
  clusterDeploymentFacts,
  credentialLabelPatches,
  type ClusterDeploymentFacts,
  type HubCredentials,
  type HubObject,
} from '../../core/acm/credential-labels.js';

const secret = (namespace: string, name: string, labels: Record<string, string> = {}): HubObject => ({
  namespace,
  name,
  labels,
});

function cd(namespace: string, overrides: Partial<ClusterDeploymentFacts> = {}): ClusterDeploymentFacts {
  return { namespace, name: namespace, labels: {}, fromPool: false, certificateSecrets: [], ...overrides };
}

function hub(overrides: Partial<HubCredentials>): HubCredentials {
  return {
    localClusterNamespace: 'local-cluster',
    clusterDeployments: [],
    clusterPools: [],
    secrets: [],
    configMaps: [],
    ...overrides,
  };
}

/** The patches as `resource ns/name: label=value` lines, easy to compare. */
function lines(h: HubCredentials): string[] {
  return credentialLabelPatches(h).map(
    (p) =>
      `${p.resource} ${p.namespace}/${p.name}: ${Object.entries(p.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`,
  );
}

describe('what a ClusterDeployment names is labelled for the credentials backup', () => {
  it('certificate bundles, pull secret, manifests secret and ConfigMap, each with its value', () => {
    const h = hub({
      clusterDeployments: [
        cd('c1', {
          certificateSecrets: ['c1-ca'],
          pullSecret: 'c1-pull',
          manifestsSecret: 'c1-manifests',
          manifestsConfigMap: 'c1-cm',
        }),
      ],
      secrets: [
        secret('c1', 'c1-ca'),
        secret('c1', 'c1-pull'),
        secret('c1', 'c1-manifests'),
        secret('c1', 'unrelated'),
      ],
      configMaps: [secret('c1', 'c1-cm')],
    });
    expect(lines(h)).toEqual([
      'secrets c1/c1-ca: cluster.open-cluster-management.io/backup=certificatebundle',
      'secrets c1/c1-pull: cluster.open-cluster-management.io/backup=pullsecret',
      'secrets c1/c1-manifests: cluster.open-cluster-management.io/backup=manifestssecret',
      'configmaps c1/c1-cm: cluster.open-cluster-management.io/backup=manifestsconfigmap',
    ]);
  });

  it('leaves objects that already carry a credential label, and names that are not there', () => {
    const h = hub({
      clusterDeployments: [cd('c1', { pullSecret: 'c1-pull', manifestsSecret: 'gone' })],
      secrets: [secret('c1', 'c1-pull', { 'hive.openshift.io/secret-type': 'pull' })],
    });
    expect(lines(h)).toEqual([]);
  });

  it('an empty credential label counts as none, as the operator’s check does', () => {
    const h = hub({
      clusterDeployments: [cd('c1', { pullSecret: 'c1-pull' })],
      secrets: [secret('c1', 'c1-pull', { 'cluster.open-cluster-management.io/type': '' })],
    });
    expect(lines(h)).toEqual(['secrets c1/c1-pull: cluster.open-cluster-management.io/backup=pullsecret']);
  });

  it('skips the local-cluster namespace', () => {
    const h = hub({
      clusterDeployments: [cd('local-cluster', { pullSecret: 'p', fromPool: true })],
      clusterPools: [{ namespace: 'local-cluster', name: 'pool' }],
      secrets: [secret('local-cluster', 'p'), secret('local-cluster', 'pool-x')],
    });
    expect(lines(h)).toEqual([]);
  });
});

describe('pools', () => {
  it('a pool-made cluster: its secrets by name prefix (not bootstrap, not import), the Hive DR label on the deployment', () => {
    const h = hub({
      clusterDeployments: [cd('c2', { fromPool: true, pullSecret: 'c2-pull' })],
      secrets: [
        secret('c2', 'c2-pull'),
        secret('c2', 'c2-admin-kubeconfig'),
        secret('c2', 'c2-bootstrap-token'),
        secret('c2', 'c2-import', { 'cluster.open-cluster-management.io/backup': 'clusterpool' }),
        secret('c2', 'other'),
      ],
    });
    expect(lines(h)).toEqual([
      'secrets c2/c2-pull: cluster.open-cluster-management.io/backup=pullsecret',
      'secrets c2/c2-admin-kubeconfig: cluster.open-cluster-management.io/backup=clusterpool',
      'clusterdeployments.hive.openshift.io c2/c2: hive.openshift.io/disable-creation-webhook-for-dr=true',
      'secrets c2/c2-import: cluster.open-cluster-management.io/backup=null',
    ]);
  });

  it('a deployment already labelled for DR is not patched again; a cluster not from a pool gets neither', () => {
    const h = hub({
      clusterDeployments: [
        cd('c3', { fromPool: true, labels: { 'hive.openshift.io/disable-creation-webhook-for-dr': 'true' } }),
        cd('c4'),
      ],
      secrets: [secret('c4', 'c4-admin-kubeconfig')],
    });
    expect(lines(h)).toEqual([]);
  });

  it('a ClusterPool: the secrets in its namespace named after it', () => {
    const h = hub({
      clusterPools: [{ namespace: 'pools', name: 'aws-small' }],
      secrets: [secret('pools', 'aws-small-creds'), secret('pools', 'gcp-creds'), secret('other', 'aws-small-x')],
    });
    expect(lines(h)).toEqual(['secrets pools/aws-small-creds: cluster.open-cluster-management.io/backup=clusterpool']);
  });
});

describe('agent-install and bare metal secrets', () => {
  it('labelled by their watch and environment labels, bare metal outside openshift-machine-api only', () => {
    const h = hub({
      secrets: [
        secret('ai', 'pull', { 'agent-install.openshift.io/watch': 'true' }),
        secret('ai', 'not-watched', { 'agent-install.openshift.io/watch': 'false' }),
        secret('bm', 'bmc', { 'environment.metal3.io': 'baremetal' }),
        secret('openshift-machine-api', 'bmc', { 'environment.metal3.io': 'baremetal' }),
      ],
    });
    expect(lines(h)).toEqual([
      'secrets ai/pull: cluster.open-cluster-management.io/backup=agent-install',
      'secrets bm/bmc: cluster.open-cluster-management.io/backup=baremetal',
    ]);
  });

  it('ManagedServiceAccount token secrets named auto-import-account* are labelled msa; other MSA tokens are not', () => {
    const msa = { 'authentication.open-cluster-management.io/is-managed-serviceaccount': 'true' };
    const h = hub({
      secrets: [
        secret('c6', 'auto-import-account', msa),
        secret('c6', 'auto-import-account-pair', msa),
        secret('c6', 'other-account', msa),
        secret('c7', 'auto-import-account'),
        secret('c8', 'auto-import-account', { ...msa, 'cluster.open-cluster-management.io/backup': 'msa' }),
      ],
    });
    expect(lines(h)).toEqual([
      'secrets c6/auto-import-account: cluster.open-cluster-management.io/backup=msa',
      'secrets c6/auto-import-account-pair: cluster.open-cluster-management.io/backup=msa',
    ]);
  });

  it('the first rule that reaches a secret decides its value, once', () => {
    const h = hub({
      clusterDeployments: [cd('c5', { pullSecret: 'c5-pull' })],
      secrets: [
        secret('c5', 'c5-pull', { 'agent-install.openshift.io/watch': 'true', 'environment.metal3.io': 'baremetal' }),
      ],
    });
    expect(lines(h)).toEqual(['secrets c5/c5-pull: cluster.open-cluster-management.io/backup=pullsecret']);
  });
});

describe('clusterDeploymentFacts', () => {
  it('reads the secrets and config map a ClusterDeployment names, and whether a pool made it', () => {
    expect(
      clusterDeploymentFacts({
        metadata: { name: 'c1', namespace: 'c1', labels: { a: 'b' } },
        spec: {
          clusterPoolRef: { namespace: 'pools', poolName: 'p' },
          certificateBundles: [{ certificateSecretRef: { name: 'b1' } }, {}, { certificateSecretRef: { name: 'b2' } }],
          pullSecretRef: { name: 'pull' },
          provisioning: { manifestsSecretRef: { name: 'ms' }, manifestsConfigMapRef: { name: 'mc' } },
        },
      }),
    ).toEqual({
      namespace: 'c1',
      name: 'c1',
      labels: { a: 'b' },
      fromPool: true,
      certificateSecrets: ['b1', 'b2'],
      pullSecret: 'pull',
      manifestsSecret: 'ms',
      manifestsConfigMap: 'mc',
    });
  });

  it('leaves out what the spec does not name', () => {
    expect(clusterDeploymentFacts({ metadata: { name: 'c', namespace: 'n' }, spec: { pullSecretRef: {} } })).toEqual({
      namespace: 'n',
      name: 'c',
      labels: {},
      fromPool: false,
      certificateSecrets: [],
    });
  });
});
