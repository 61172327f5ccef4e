import type { KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { kubeStatus } from '../../activities/kube/client.js';

/** Creates an object unless it exists: a restarted stack keeps what it made before, data included. */
export async function createIfMissing(api: KubernetesObjectApi, object: KubernetesObject): Promise<void> {
  try {
    await api.create(object);
  } catch (err) {
    if (kubeStatus(err) !== 409) throw err;
  }
}

/** Creates an object or replaces what exists: for objects a newer Lifeboat may have changed (its RBAC rules). */
export async function createOrReplace(api: KubernetesObjectApi, object: KubernetesObject): Promise<void> {
  try {
    await api.create(object);
  } catch (err) {
    if (kubeStatus(err) !== 409) throw err;
    await api.replace(object);
  }
}
