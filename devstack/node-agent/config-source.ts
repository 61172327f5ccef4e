import type { CoreV1Api, V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { isNotFound } from './kube.js';

/** Secrets and ConfigMaps as the node reads them (the Node authorizer allows only those its Pods reference). */
export interface ConfigSource {
  secret(namespace: string, name: string): Promise<V1Secret | undefined>;
  configMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
}

/** Kubelet's CreateContainerConfigError: the Pod's configuration cannot be satisfied yet; retried. */
export class ContainerConfigError extends Error {
  override name = 'ContainerConfigError';
}

export function apiConfigSource(core: CoreV1Api): ConfigSource {
  const orUndefined = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return {
    secret: (namespace, name) => orUndefined(() => core.readNamespacedSecret({ name, namespace })),
    configMap: (namespace, name) => orUndefined(() => core.readNamespacedConfigMap({ name, namespace })),
  };
}

/** A Secret's entries as bytes (data is base64 on the wire). */
export function secretEntries(secret: V1Secret): Map<string, Buffer> {
  return new Map(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}

/** A ConfigMap's entries as bytes: text data and binaryData together. */
export function configMapEntries(cm: V1ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}
