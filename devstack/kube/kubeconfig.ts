import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { CertPair } from './pki.js';

/** A kubeconfig that points at the local API server with a client certificate (kubectl and the TS client read it). */
export function writeKubeconfig(path: string, server: string, caCert: string, user: string, creds: CertPair): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'lifeboat-local', cluster: { server, 'certificate-authority': caCert } }],
    users: [{ name: user, user: { 'client-certificate': creds.cert, 'client-key': creds.key } }],
    contexts: [{ name: 'lifeboat-local', context: { cluster: 'lifeboat-local', user, namespace: 'default' } }],
    'current-context': 'lifeboat-local',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}
