import type { KindRuleContext } from './restore-kinds.js';
import { isJsonObject, objectAt, objectsAt, stringAt, type JsonObject, type JsonValue } from './restore-json.js';

/**
 * Services in a resource restore: the API allocates cluster IPs and node ports again, unless a node port was set on
 * purpose (Velero's service action); an update keeps what the API allocated. Wired in restore-kinds.ts.
 */

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

function annotationsOf(object: JsonObject): JsonObject | undefined {
  return objectAt(objectAt(object, 'metadata'), 'annotations');
}

function portKey(port: JsonObject): string {
  return `${stringAt(port, 'protocol') ?? 'TCP'}/${JSON.stringify(port.port ?? null)}`;
}

function positiveNumber(value: JsonValue | undefined): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number > 0 ? number : undefined;
}

interface ExplicitPorts {
  nodePort(port: JsonObject): boolean;
  healthCheckNodePort: boolean;
}

function parsedLastApplied(service: JsonObject): JsonObject | undefined {
  const text = stringAt(annotationsOf(service), LAST_APPLIED_ANNOTATION);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as JsonValue;
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    // An annotation that is not JSON says nothing: the managed fields decide, as without one.
    return undefined;
  }
}

/** The managed-field sets of the Service's spec, one per manager. */
function managedSpecs(service: JsonObject): JsonObject[] {
  return objectsAt(objectAt(service, 'metadata'), 'managedFields')
    .map((entry) => objectAt(objectAt(entry, 'fieldsV1'), 'f:spec'))
    .filter((spec): spec is JsonObject => spec !== undefined);
}

/**
 * Which node ports someone set rather than the API allocated. Velero's reading: kubectl's last-applied configuration
 * when there is one (named ports by name, unnamed ones by value), else any manager owning `f:nodePort` of the port
 * (keyed `k:{"port":80,"protocol":"TCP"}`). Read before the managed fields are dropped.
 */
function explicitPorts(service: JsonObject): ExplicitPorts {
  const managed = managedSpecs(service);
  const applied = parsedLastApplied(service);
  const healthCheckNodePort =
    positiveNumber(objectAt(applied, 'spec')?.healthCheckNodePort) !== undefined ||
    managed.some((spec) => spec['f:healthCheckNodePort'] !== undefined);
  if (applied) {
    const names = new Set<string>();
    const values = new Set<number>();
    for (const port of objectsAt(objectAt(applied, 'spec'), 'ports')) {
      const nodePort = positiveNumber(port.nodePort);
      if (nodePort === undefined) continue;
      const name = stringAt(port, 'name');
      if (name) names.add(name);
      else values.add(nodePort);
    }
    const nodePort = (port: JsonObject) => {
      const name = stringAt(port, 'name');
      return name ? names.has(name) : values.has(port.nodePort as number);
    };
    return { nodePort, healthCheckNodePort };
  }
  const owned = new Set<string>();
  for (const spec of managed) {
    for (const [key, fields] of Object.entries(objectAt(spec, 'f:ports') ?? {})) {
      if (!key.startsWith('k:') || !isJsonObject(fields) || fields['f:nodePort'] === undefined) continue;
      try {
        const parsed = JSON.parse(key.slice(2)) as JsonValue;
        if (isJsonObject(parsed)) owned.add(portKey(parsed));
      } catch {
        // Not a key the API server writes: it names no port.
      }
    }
  }
  return { nodePort: (port) => owned.has(portKey(port)), healthCheckNodePort };
}

export function sanitiseService(service: JsonObject, ctx: KindRuleContext): void {
  const spec = objectAt(service, 'spec');
  if (!spec) return;
  if (spec.clusterIP !== 'None') {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  if (ctx.preserveNodePorts) return;
  const explicit = explicitPorts(service);
  if (spec.type !== 'ExternalName') {
    for (const port of objectsAt(spec, 'ports')) if (!explicit.nodePort(port)) delete port.nodePort;
  }
  if (
    spec.type === 'LoadBalancer' &&
    spec.externalTrafficPolicy === 'Local' &&
    spec.healthCheckNodePort !== undefined &&
    !explicit.healthCheckNodePort
  ) {
    delete spec.healthCheckNodePort;
  }
}

function portsByKey(service: JsonObject): Map<string, JsonObject> {
  return new Map(objectsAt(objectAt(service, 'spec'), 'ports').map((port) => [portKey(port), port]));
}

export function fillService(live: JsonObject, desired: JsonObject): void {
  const spec = objectAt(live, 'spec');
  const wanted = objectAt(desired, 'spec');
  if (!spec || !wanted) return;
  const desiredPorts = portsByKey(desired);
  for (const port of objectsAt(spec, 'ports')) {
    if (desiredPorts.get(portKey(port))?.nodePort === undefined) delete port.nodePort;
  }
  if (wanted.healthCheckNodePort === undefined) delete spec.healthCheckNodePort;
}

/** Ports an update replaces keep the node ports the API allocated, where the backup leaves them open. */
export function adjustServicePatch(patch: JsonObject, live: JsonObject): void {
  const ports = objectAt(patch, 'spec')?.ports;
  if (!Array.isArray(ports)) return;
  const livePorts = portsByKey(live);
  for (const port of ports) {
    if (!isJsonObject(port) || port.nodePort !== undefined) continue;
    const allocated = livePorts.get(portKey(port))?.nodePort;
    if (allocated !== undefined) port.nodePort = allocated;
  }
}
