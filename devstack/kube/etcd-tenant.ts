import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { mkdirSync, readFileSync } from 'node:fs';
import { podIp } from '../node-agent/pod-ip.js';
import { createIfMissing } from './create.js';
import { clientExtensions, createCa, issueCertificate, serverExtensions } from './pki.js';

/**
 * A hosted tenant control plane as Kubermatic, Gardener or Kamaji run one in a seed cluster: a three-member etcd
 * StatefulSet (PVCs from a volumeClaimTemplate, peer headless Service, client Service, client TLS from a Secret)
 * and a Deployment standing in for the tenant's kube-apiserver. The dev stack runs one; tests make their own.
 */
export interface EtcdTenantOptions {
  namespace: string;
  replicas?: number;
  /** Where the tenant's certificates are written (the CA key stays on this machine, never in the cluster). */
  pkiDir: string;
  /** S3 keys for job-mode store containers, as the Secret `s3-credentials`. */
  s3Credentials?: { accessKeyId: string; secretAccessKey: string };
}

export const ETCD_IMAGE = 'registry.k8s.io/etcd:3.6.14';
export const TENANT_NAMES = {
  statefulSet: 'etcd',
  peerService: 'etcd-peer',
  clientService: 'etcd-client',
  clientTlsSecret: 'etcd-client-tls',
  serverTlsSecret: 'etcd-server-tls',
  s3Secret: 's3-credentials',
  apiserver: 'apiserver',
};

const b64 = (path: string) => readFileSync(path).toString('base64');

/** Certificates for the members (by DNS name and by their stable pod addresses) and for Lifeboat as a client. */
async function tenantPki(opts: EtcdTenantOptions, replicas: number) {
  mkdirSync(opts.pkiDir, { recursive: true, mode: 0o700 });
  const ns = opts.namespace;
  const ca = await createCa(opts.pkiDir, 'etcd-ca', `${ns}-etcd-ca`);
  const members = Array.from({ length: replicas }, (_, i) => `${TENANT_NAMES.statefulSet}-${i}`);
  const sans = [
    `DNS:*.${TENANT_NAMES.peerService}.${ns}.svc.cluster.local`,
    `DNS:${TENANT_NAMES.clientService}.${ns}.svc.cluster.local`,
    ...members.map((m) => `IP:${podIp(ns, m)}`),
  ];
  const server = await issueCertificate(opts.pkiDir, ca, 'etcd-server', `/CN=${ns}-etcd`, serverExtensions(sans));
  const client = await issueCertificate(opts.pkiDir, ca, 'etcd-client', '/CN=lifeboat', clientExtensions);
  return { ca, server, client };
}

function statefulSet(opts: EtcdTenantOptions, replicas: number): KubernetesObject & { spec: unknown } {
  const ns = opts.namespace;
  const peer = (i: number) =>
    `http://${TENANT_NAMES.statefulSet}-${i}.${TENANT_NAMES.peerService}.${ns}.svc.cluster.local:2380`;
  const initialCluster = Array.from({ length: replicas }, (_, i) => `${TENANT_NAMES.statefulSet}-${i}=${peer(i)}`).join(
    ',',
  );
  const labels = { app: 'etcd' };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: TENANT_NAMES.statefulSet, namespace: ns },
    spec: {
      replicas,
      serviceName: TENANT_NAMES.peerService,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'etcd',
              image: ETCD_IMAGE,
              command: ['etcd'],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              ],
              // Pods share the host's network: each listens on its own address, never 0.0.0.0.
              args: [
                '--name=$(POD_NAME)',
                '--data-dir=/var/lib/etcd/data',
                '--listen-client-urls=https://$(POD_IP):2379',
                `--advertise-client-urls=https://$(POD_NAME).${TENANT_NAMES.peerService}.${ns}.svc.cluster.local:2379`,
                '--listen-peer-urls=http://$(POD_IP):2380',
                `--initial-advertise-peer-urls=http://$(POD_NAME).${TENANT_NAMES.peerService}.${ns}.svc.cluster.local:2380`,
                '--listen-metrics-urls=http://$(POD_IP):2381',
                `--initial-cluster=${initialCluster}`,
                '--initial-cluster-state=new',
                `--initial-cluster-token=${ns}`,
                '--cert-file=/etc/etcd/tls/tls.crt',
                '--key-file=/etc/etcd/tls/tls.key',
                '--trusted-ca-file=/etc/etcd/tls/ca.crt',
                '--client-cert-auth',
                '--log-level=warn',
              ],
              ports: [
                { name: 'client', containerPort: 2379 },
                { name: 'peer', containerPort: 2380 },
              ],
              // etcd's own /health on the metrics port: ready means this member sees a quorum.
              readinessProbe: { httpGet: { path: '/health', port: 2381 }, periodSeconds: 3, failureThreshold: 3 },
              volumeMounts: [
                { name: 'data', mountPath: '/var/lib/etcd' },
                { name: 'tls', mountPath: '/etc/etcd/tls', readOnly: true },
              ],
            },
          ],
          volumes: [{ name: 'tls', secret: { secretName: TENANT_NAMES.serverTlsSecret } }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    },
  };
}

export async function tenantManifests(opts: EtcdTenantOptions): Promise<KubernetesObject[]> {
  const ns = opts.namespace;
  const replicas = opts.replicas ?? 3;
  const pki = await tenantPki(opts, replicas);
  const secret = (name: string, data: Record<string, string>): KubernetesObject & { data: Record<string, string> } => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    data,
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    secret(TENANT_NAMES.serverTlsSecret, {
      'ca.crt': b64(pki.ca.cert),
      'tls.crt': b64(pki.server.cert),
      'tls.key': b64(pki.server.key),
    }),
    secret(TENANT_NAMES.clientTlsSecret, {
      'ca.crt': b64(pki.ca.cert),
      'tls.crt': b64(pki.client.cert),
      'tls.key': b64(pki.client.key),
    }),
    ...(opts.s3Credentials
      ? [
          secret(TENANT_NAMES.s3Secret, {
            ACCESS_KEY_ID: Buffer.from(opts.s3Credentials.accessKeyId).toString('base64'),
            SECRET_ACCESS_KEY: Buffer.from(opts.s3Credentials.secretAccessKey).toString('base64'),
          }),
        ]
      : []),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: TENANT_NAMES.peerService, namespace: ns },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: { app: 'etcd' },
        ports: [{ name: 'peer', port: 2380 }],
      },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: TENANT_NAMES.clientService, namespace: ns },
      spec: { selector: { app: 'etcd' }, ports: [{ name: 'client', port: 2379 }] },
    } as KubernetesObject,
    statefulSet(opts, replicas),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: TENANT_NAMES.apiserver, namespace: ns, labels: { app: 'tenant-apiserver' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'tenant-apiserver' } },
        template: {
          metadata: { labels: { app: 'tenant-apiserver' } },
          spec: {
            containers: [
              {
                name: 'apiserver',
                image: 'busybox:1.36',
                command: ['sh', '-c', 'echo "stand-in for the tenant kube-apiserver"; exec sleep 2147483647'],
              },
            ],
          },
        },
      },
    } as KubernetesObject,
  ];
}

/** Creates what is missing; what exists is left as it is (a restarted stack keeps its tenant and its data). */
export async function applyTenant(kc: KubeConfig, opts: EtcdTenantOptions): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const object of await tenantManifests(opts)) await createIfMissing(api, object);
}

/** Waits until every member is Ready (which, by its probe, means quorum) and the stand-in apiserver runs. */
export async function waitForTenant(
  kc: KubeConfig,
  namespace: string,
  replicas = 3,
  timeoutMs = 180_000,
): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sts = await apps.readNamespacedStatefulSet({ namespace, name: TENANT_NAMES.statefulSet });
    const deployment = await apps.readNamespacedDeployment({ namespace, name: TENANT_NAMES.apiserver });
    if ((sts.status?.readyReplicas ?? 0) >= replicas && (deployment.status?.readyReplicas ?? 0) >= 1) return;
    if (Date.now() > deadline) {
      const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
      const states = pods.items.map((p) => `${p.metadata?.name}: ${p.status?.phase}`).join(', ');
      throw new Error(`tenant ${namespace} not ready after ${timeoutMs / 1000}s (${states})`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
