import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { clusterApiFor } from '../../activities/kube/cluster-api.js';
import { apiTransportFor } from '../../activities/kube/api-transport.js';
import type { ClusterConfig } from '../../core/config/schema.js';
import { uniqueName } from '../helpers/stack.js';

// The resource engine reaches a cluster's API over plain HTTPS when its kubeconfig holds static credentials, and
// through the client library otherwise (activities/kube/api-transport.ts). Each way is checked against the real
// kube-apiserver by asking it who the caller is (a SelfSubjectReview): the identity must be the kubeconfig's.
const adminPath = inject('kubeconfig');
const admin = new KubeConfig();
admin.loadFromFile(adminPath);
const core = admin.makeApiClient(CoreV1Api);

interface Kubeconfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: Record<string, unknown> }[];
  'current-context': string;
}
const adminDoc = parse(readFileSync(adminPath, 'utf8')) as Kubeconfig;
const adminUser = adminDoc.users[0]!.user as { 'client-certificate': string; 'client-key': string };
const adminCa = adminDoc.clusters[0]!.cluster['certificate-authority'] as string;

function cluster(kubeconfig: string, context?: string): ClusterConfig {
  return { name: 'transport', kubernetes: { kubeconfig, ...(context ? { context } : {}) } } as ClusterConfig;
}

async function whoAmI(config: ClusterConfig): Promise<string> {
  const api = await clusterApiFor(config);
  try {
    const review = await api.send<{ status?: { userInfo?: { username?: string } } }>(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    );
    return review.status?.userInfo?.username ?? '';
  } finally {
    await api.close();
  }
}

describe('cluster API transports against the real kube-apiserver', () => {
  let dir: string;
  const namespace = uniqueName('transport');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeboat-transport-'));
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  function write(name: string, doc: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, stringify(doc), { mode: 0o600 });
    return path;
  }

  it('reads a client certificate over plain HTTPS, with files relative to the kubeconfig', async () => {
    copyFileSync(adminCa, join(dir, 'ca.pem'));
    copyFileSync(adminUser['client-certificate'], join(dir, 'admin.pem'));
    copyFileSync(adminUser['client-key'], join(dir, 'admin-key.pem'));
    const path = write('relative.yaml', {
      ...adminDoc,
      clusters: [
        { ...adminDoc.clusters[0], cluster: { ...adminDoc.clusters[0]!.cluster, 'certificate-authority': 'ca.pem' } },
      ],
      users: [{ ...adminDoc.users[0], user: { 'client-certificate': 'admin.pem', 'client-key': 'admin-key.pem' } }],
    });
    const transport = await apiTransportFor({ kubeconfig: path });
    await transport.close();
    expect(transport.via).toBe(`kubeconfig ${path}`);
    expect(await whoAmI(cluster(path))).toBe(await whoAmI(cluster(adminPath)));
  });

  it('sends a service account token from a tokenFile', async () => {
    const token = await core.createNamespacedServiceAccountToken({
      namespace,
      name: 'reader',
      body: { spec: { expirationSeconds: 600, audiences: [] } },
    });
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token.status!.token}\n`, { mode: 0o600 });
    const path = write('token.yaml', {
      ...adminDoc,
      users: [{ name: adminDoc.users[0]!.name, user: { tokenFile } }],
    });
    expect(await whoAmI(cluster(path))).toBe(`system:serviceaccount:${namespace}:reader`);
  });

  it('leaves an exec plugin to the client library, which runs it', async () => {
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: {
        clientCertificateData: readFileSync(adminUser['client-certificate'], 'utf8'),
        clientKeyData: readFileSync(adminUser['client-key'], 'utf8'),
      },
    };
    const plugin = join(dir, 'credential.sh');
    writeFileSync(plugin, `#!/bin/sh\ncat <<'JSON'\n${JSON.stringify(credential)}\nJSON\n`);
    chmodSync(plugin, 0o700);
    const path = write('exec.yaml', {
      ...adminDoc,
      users: [
        {
          name: adminDoc.users[0]!.name,
          user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } },
        },
      ],
    });
    const transport = await apiTransportFor({ kubeconfig: path });
    await transport.close();
    expect(transport.via).toBe('client library (uses exec)');
    expect(await whoAmI(cluster(path))).toBe(await whoAmI(cluster(adminPath)));
  });

  it('names the field to fix for an unknown context or an unreadable file', async () => {
    await expect(clusterApiFor(cluster(adminPath, 'staging'))).rejects.toThrow(
      /clusters\[transport\]\.kubernetes\.context: .*no context entry named "staging"/,
    );
    await expect(clusterApiFor(cluster(join(dir, 'missing.yaml')))).rejects.toThrow(
      /clusters\[transport\]\.kubernetes\.kubeconfig: cannot read .*missing\.yaml: ENOENT/,
    );
  });
});
