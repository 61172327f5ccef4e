import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { createIfMissing, createOrReplace } from './create.js';
import { writeKubeconfig } from './kubeconfig.js';
import type { ControlPlane } from './control-plane.js';
import { clientExtensions, issueCertificate } from './pki.js';

export const WORKER_USER = 'lifeboat-worker';
/** The identity resource backups read the cluster as: deploy/kubernetes/resource-reader.yaml and nothing else. */
export const RESOURCE_READER_USER = 'lifeboat-resource-reader';
/** The identity resource restores write as: deploy/kubernetes/resource-restorer.yaml and nothing else. */
export const RESOURCE_RESTORER_USER = 'lifeboat-resource-restorer';
/** The identity ACM hub backups label credentials as: deploy/kubernetes/acm-credential-labeller.yaml and nothing else. */
export const CREDENTIAL_LABELLER_USER = 'lifeboat-credential-labeller';
/** The production RBAC, applied as it is: the dev stack, the tests and the benchmarks all run the worker under it. */
const RBAC_FILE = fileURLToPath(new URL('../../deploy/kubernetes/rbac.yaml', import.meta.url));
const RESOURCE_READER_FILE = fileURLToPath(new URL('../../deploy/kubernetes/resource-reader.yaml', import.meta.url));
const RESOURCE_RESTORER_FILE = fileURLToPath(
  new URL('../../deploy/kubernetes/resource-restorer.yaml', import.meta.url),
);

const CREDENTIAL_LABELLER_FILE = fileURLToPath(
  new URL('../../deploy/kubernetes/acm-credential-labeller.yaml', import.meta.url),
);
const ACM_RESTORE_CLEANER_FILE = fileURLToPath(
  new URL('../../deploy/kubernetes/acm-restore-cleaner.yaml', import.meta.url),
);

type Plane = Pick<ControlPlane, 'adminKubeconfig' | 'pki' | 'server'>;

/**
 * Gives the dev stack's worker the production RBAC (deploy/kubernetes/rbac.yaml) under its own client certificate,
 * so the local stack exercises the same least privilege a real deployment has. Returns the worker's kubeconfig.
 */
export function grantWorkerAccess(plane: Plane, dir: string): Promise<string> {
  return grantAccess(plane, dir, RBAC_FILE, WORKER_USER, 'worker.kubeconfig');
}

/**
 * The resource backups' read-only identity (deploy/kubernetes/resource-reader.yaml) under a certificate of its own,
 * apart from the etcd worker's: each is tested as exactly the role production ships for it. Apply after
 * grantWorkerAccess (the file binds rbac.yaml's ServiceAccount). Returns its kubeconfig.
 */
export function grantResourceReaderAccess(plane: Plane, dir: string): Promise<string> {
  return grantAccess(plane, dir, RESOURCE_READER_FILE, RESOURCE_READER_USER, 'resource-reader.kubeconfig');
}

/** The resource restores' identity (deploy/kubernetes/resource-restorer.yaml), as grantResourceReaderAccess. */
export function grantResourceRestorerAccess(plane: Plane, dir: string): Promise<string> {
  return grantAccess(plane, dir, RESOURCE_RESTORER_FILE, RESOURCE_RESTORER_USER, 'resource-restorer.kubeconfig');
}

/** The ACM credential labelling identity (deploy/kubernetes/acm-credential-labeller.yaml), as grantResourceReaderAccess. */
export function grantCredentialLabellerAccess(plane: Plane, dir: string): Promise<string> {
  return grantAccess(plane, dir, CREDENTIAL_LABELLER_FILE, CREDENTIAL_LABELLER_USER, 'credential-labeller.kubeconfig');
}

/**
 * The ACM hub restore's cleanup access (deploy/kubernetes/acm-restore-cleaner.yaml) given to the resource restorer's
 * identity, as production binds it to the restore identity: no certificate of its own.
 */
export function grantAcmRestoreCleanerAccess(plane: Plane): Promise<void> {
  return applyRbac(plane, ACM_RESTORE_CLEANER_FILE, RESOURCE_RESTORER_USER);
}

async function grantAccess(plane: Plane, dir: string, rbacFile: string, user: string, file: string): Promise<string> {
  await applyRbac(plane, rbacFile, user);
  const { pki } = plane;
  const cert = await issueCertificate(pki.dir, pki.ca, user, `/CN=${user}`, clientExtensions);
  return writeKubeconfig(join(dir, file), plane.server, pki.ca.cert, user, cert);
}

/** Applies an RBAC file as it is, its ClusterRoleBindings also naming `user`. */
async function applyRbac(plane: Plane, rbacFile: string, user: string): Promise<void> {
  const admin = new KubeConfig();
  admin.loadFromFile(plane.adminKubeconfig);
  const api = KubernetesObjectApi.makeApiClient(admin);
  const objects = parseAllDocuments(readFileSync(rbacFile, 'utf8')).map(
    (d) => d.toJS() as KubernetesObject & { subjects?: unknown[] },
  );
  const namespaces = new Set(objects.map((o) => o.metadata?.namespace).filter((n): n is string => Boolean(n)));
  const create = (object: KubernetesObject) => createIfMissing(api, object);
  for (const namespace of namespaces)
    await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  for (const object of objects) {
    if (object.kind === 'ClusterRoleBinding')
      object.subjects = [
        ...(object.subjects ?? []),
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user },
      ];
    // The rules change with Lifeboat (a restore needed more than a backup): a stack started by an older one is updated.
    if (object.kind === 'ClusterRole' || object.kind === 'ClusterRoleBinding') await createOrReplace(api, object);
    else await create(object);
  }
}
