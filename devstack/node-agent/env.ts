import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { configMapEntries, ContainerConfigError, secretEntries, type ConfigSource } from './config-source.js';
import { expand } from './expansion.js';
import { podField, resourceField, type PodAddresses } from './pod-fields.js';

const VALID_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

async function sourceEntries(
  source: ConfigSource,
  namespace: string,
  kind: 'secret' | 'configMap',
  name: string,
  optional: boolean,
): Promise<Map<string, Buffer> | undefined> {
  const obj = kind === 'secret' ? await source.secret(namespace, name) : await source.configMap(namespace, name);
  if (!obj) {
    if (optional) return undefined;
    throw new ContainerConfigError(`${kind === 'secret' ? 'secret' : 'configmap'} "${name}" not found`);
  }
  return kind === 'secret' ? secretEntries(obj) : configMapEntries(obj);
}

/**
 * A container's environment as kubelet builds it: envFrom first, then env in order, each value expanded against what
 * came before ($(VAR)); `base` (service variables) is visible to expansion and overridable.
 */
export async function containerEnv(
  pod: V1Pod,
  container: V1Container,
  source: ConfigSource,
  addresses: PodAddresses,
  base: Record<string, string>,
): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = { ...base };
  for (const from of container.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const kind = from.secretRef ? 'secret' : 'configMap';
    const data = await sourceEntries(source, namespace, kind, ref.name ?? '', ref.optional ?? false);
    for (const [key, value] of data ?? []) {
      const name = `${from.prefix ?? ''}${key}`;
      if (VALID_NAME.test(name)) env[name] = value.toString('utf8');
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = expand(variable.value ?? '', env);
      continue;
    }
    if (from.fieldRef) {
      env[variable.name] = podField(pod, from.fieldRef.fieldPath, addresses);
    } else if (from.resourceFieldRef) {
      env[variable.name] = resourceField(pod, from.resourceFieldRef, container);
    } else if (from.secretKeyRef || from.configMapKeyRef) {
      const ref = (from.secretKeyRef ?? from.configMapKeyRef)!;
      const kind = from.secretKeyRef ? 'secret' : 'configMap';
      const optional = ref.optional ?? false;
      const data = await sourceEntries(source, namespace, kind, ref.name ?? '', optional);
      const value = data?.get(ref.key);
      if (value !== undefined) env[variable.name] = value.toString('utf8');
      else if (data && !optional) {
        throw new ContainerConfigError(
          `couldn't find key ${ref.key} in ${kind === 'secret' ? 'Secret' : 'ConfigMap'} ${namespace}/${ref.name}`,
        );
      }
    }
  }
  return env;
}

/** command and args after $(VAR) expansion against the container's environment. */
export function expandArgv(values: string[] | undefined, env: Record<string, string>): string[] | undefined {
  return values?.map((v) => expand(v, env));
}
