import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const openssl = (args: string[]) => run('openssl', args);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface CertPair {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: CertPair;
  apiserver: CertPair;
  apiserverKubeletClient: CertPair;
  serviceAccount: { key: string; pub: string };
  admin: CertPair;
  controllerManager: CertPair;
  scheduler: CertPair;
  /** Serving and client certificate for one node agent (kubelet) identity. */
  node: (name: string) => Promise<CertPair & { serving: CertPair }>;
}

/** A self-signed CA (reused when it already exists). */
export async function createCa(dir: string, name: string, commonName: string): Promise<CertPair> {
  const ca = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  if (existsSync(ca.cert) && existsSync(ca.key)) return ca;
  await openssl([
    'req',
    '-x509',
    ...EC,
    '-days',
    '3650',
    '-subj',
    `/CN=${commonName}`,
    '-keyout',
    ca.key,
    '-out',
    ca.cert,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return ca;
}

export class PkiError extends Error {
  override name = 'PkiError';
}

/** Issues a certificate signed by `ca` (reused when it already exists): for the cluster PKI and for tests. */
export async function issueCertificate(
  dir: string,
  ca: CertPair,
  name: string,
  subject: string,
  extensions: string[],
): Promise<CertPair> {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  if (existsSync(pair.cert) && existsSync(pair.key)) return pair;
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  await openssl(['req', ...EC, '-subj', subject, '-keyout', pair.key, '-out', csr]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    // A random serial of its own, not -CAcreateserial: certificates issued at once (tests sign several concurrently
    // with one CA) raced on the CA's serial file, and openssl read it half-written ("Unable to load number").
    '-set_serial',
    `0x${randomBytes(16).toString('hex')}`,
    '-days',
    '825',
    '-out',
    pair.cert,
    '-extfile',
    ext,
  ]);
  rmSync(csr);
  rmSync(ext);
  return pair;
}

export const clientExtensions = ['keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth'];
export const serverExtensions = (sans: string[]) => [
  'keyUsage=critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage=serverAuth',
  `subjectAltName=${sans.join(',')}`,
];

/**
 * The local cluster's PKI, made with openssl on first start and reused after: one CA for serving and client certs,
 * the service-account signing key, and one client identity per component (RBAC sees each as itself).
 */
export async function ensurePki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    await openssl(['version']);
  } catch {
    throw new PkiError('openssl is needed to create the local cluster certificates: apt-get install openssl');
  }
  const ca = await createCa(dir, 'ca', 'lifeboat-local-ca');
  const serviceAccount = { key: join(dir, 'sa.key'), pub: join(dir, 'sa.pub') };
  if (!existsSync(serviceAccount.key)) {
    await openssl([
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-out',
      serviceAccount.key,
    ]);
    await openssl(['pkey', '-in', serviceAccount.key, '-pubout', '-out', serviceAccount.pub]);
  }
  const apiserverSans = [
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
    'IP:127.0.0.1',
    'IP:10.0.0.1',
  ];
  return {
    dir,
    ca,
    serviceAccount,
    apiserver: await issueCertificate(dir, ca, 'apiserver', '/CN=kube-apiserver', serverExtensions(apiserverSans)),
    apiserverKubeletClient: await issueCertificate(
      dir,
      ca,
      'apiserver-kubelet-client',
      '/O=system:masters/CN=kube-apiserver-kubelet-client',
      clientExtensions,
    ),
    admin: await issueCertificate(dir, ca, 'admin', '/O=system:masters/CN=lifeboat-admin', clientExtensions),
    controllerManager: await issueCertificate(
      dir,
      ca,
      'controller-manager',
      '/CN=system:kube-controller-manager',
      clientExtensions,
    ),
    scheduler: await issueCertificate(dir, ca, 'scheduler', '/CN=system:kube-scheduler', clientExtensions),
    node: async (name) => ({
      ...(await issueCertificate(dir, ca, `node-${name}`, `/O=system:nodes/CN=system:node:${name}`, clientExtensions)),
      serving: await issueCertificate(
        dir,
        ca,
        `node-${name}-serving`,
        `/CN=system:node:${name}`,
        serverExtensions(['IP:127.0.0.1', `DNS:${name}`]),
      ),
    }),
  };
}
