import { join } from 'node:path';
import type { Pki } from '../kube/pki.js';
import type { ProcessSpec } from '../process.js';
import { httpsOk, httpsOkUnverified } from './http.js';

export const SERVICE_CIDR = '10.0.0.0/24';

export interface ApiServerOptions {
  binary: string;
  dataDir: string;
  port: number;
  etcdUrl: string;
  pki: Pki;
}

export function kubeApiServer(opts: ApiServerOptions): ProcessSpec {
  const { pki } = opts;
  return {
    name: 'kube-apiserver',
    command: opts.binary,
    args: [
      `--etcd-servers=${opts.etcdUrl}`,
      '--bind-address=127.0.0.1',
      // Without a default route it cannot pick an address by itself.
      '--advertise-address=127.0.0.1',
      `--secure-port=${opts.port}`,
      `--cert-dir=${pki.dir}`,
      `--tls-cert-file=${pki.apiserver.cert}`,
      `--tls-private-key-file=${pki.apiserver.key}`,
      `--client-ca-file=${pki.ca.cert}`,
      `--service-account-issuer=https://127.0.0.1:${opts.port}`,
      `--service-account-key-file=${pki.serviceAccount.pub}`,
      `--service-account-signing-key-file=${pki.serviceAccount.key}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // Node authorization: each node agent sees only its own pods' secrets, as a kubelet does.
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      // Pods get no auto-mounted service-account token: the node agent does not project tokens (README).
      '--disable-admission-plugins=ServiceAccount',
      '--allow-privileged=true',
      `--kubelet-client-certificate=${pki.apiserverKubeletClient.cert}`,
      `--kubelet-client-key=${pki.apiserverKubeletClient.key}`,
      `--kubelet-certificate-authority=${pki.ca.cert}`,
      '--kubelet-preferred-address-types=InternalIP',
      '--profiling=false',
      '--v=1',
    ],
    logFile: join(opts.dataDir, 'kube-apiserver.log'),
    startTimeoutMs: 90_000,
    stopGraceMs: 15_000,
    ready: () => httpsOk(`https://127.0.0.1:${opts.port}/readyz`, pki.ca.cert),
  };
}

/** How the controller-manager and the scheduler reach and trust the API server: one identity, no leader election. */
function clientOf(kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
  ];
}

export interface ControllerManagerOptions {
  binary: string;
  dataDir: string;
  kubeconfig: string;
  pki: Pki;
  ready: () => Promise<boolean>;
}

/** The default controllers (Deployments, StatefulSets, Jobs, EndpointSlices, namespaces, garbage collection...). */
export function kubeControllerManager(opts: ControllerManagerOptions): ProcessSpec {
  return {
    name: 'kube-controller-manager',
    command: opts.binary,
    args: [
      ...clientOf(opts.kubeconfig),
      '--secure-port=0',
      `--service-account-private-key-file=${opts.pki.serviceAccount.key}`,
      `--root-ca-file=${opts.pki.ca.cert}`,
      // Each controller acts as its own service account with the bootstrap role made for it: least privilege.
      '--use-service-account-credentials=true',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--controllers=*',
      '--v=1',
    ],
    logFile: join(opts.dataDir, 'kube-controller-manager.log'),
    startTimeoutMs: 60_000,
    ready: opts.ready,
  };
}

export interface SchedulerOptions {
  binary: string;
  dataDir: string;
  kubeconfig: string;
  port: number;
  caCert: string;
}

export function kubeScheduler(opts: SchedulerOptions): ProcessSpec {
  return {
    name: 'kube-scheduler',
    command: opts.binary,
    args: [...clientOf(opts.kubeconfig), '--bind-address=127.0.0.1', `--secure-port=${opts.port}`, '--v=1'],
    logFile: join(opts.dataDir, 'kube-scheduler.log'),
    startTimeoutMs: 60_000,
    // Its serving certificate is self-signed; the health endpoint needs no trust for a readiness poke.
    ready: () => httpsOkUnverified(`https://127.0.0.1:${opts.port}/healthz`),
  };
}
