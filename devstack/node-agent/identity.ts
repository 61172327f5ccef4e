import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeKubeconfig } from '../kube/kubeconfig.js';
import type { Pki } from '../kube/pki.js';

/** Everything a node agent needs to be system:node:<name>: its kubeconfig and its kubelet serving certificate. */
export interface NodeIdentity {
  nodeName: string;
  kubeconfig: string;
  servingCert: string;
  servingKey: string;
  clientCa: string;
}

/**
 * Issues the node's certificates from the cluster PKI (client: CN=system:node:<name>, O=system:nodes, which the Node
 * authorizer and NodeRestriction recognise; serving: for its log endpoint on 127.0.0.1) and writes its kubeconfig.
 */
export async function prepareNodeIdentity(opts: {
  pki: Pki;
  server: string;
  nodeName: string;
  dir: string;
}): Promise<NodeIdentity> {
  mkdirSync(opts.dir, { recursive: true });
  const certs = await opts.pki.node(opts.nodeName);
  const kubeconfig = writeKubeconfig(
    join(opts.dir, `node-${opts.nodeName}.kubeconfig`),
    opts.server,
    opts.pki.ca.cert,
    `system:node:${opts.nodeName}`,
    certs,
  );
  return {
    nodeName: opts.nodeName,
    kubeconfig,
    servingCert: certs.serving.cert,
    servingKey: certs.serving.key,
    clientCa: opts.pki.ca.cert,
  };
}
