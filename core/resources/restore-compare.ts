import { rulesForObject } from './restore-kinds.js';
import {
  createMergePatch,
  differingPaths,
  jsonEqual,
  objectAt,
  type JsonObject,
  type JsonValue,
} from './restore-json.js';
import { RESTORE_LABEL_KEYS, sanitiseObject } from './restore-object.js';

/**
 * How the object a restore would create (prepareForRestore's) stands against the one already in the cluster, and the
 * patches that bring the one in the cluster in line (issue 14, step 3, --existing-resource-policy). Both use the live
 * object's projection: the same sanitising as the backed-up object got, so what the server set (uid, managed fields,
 * status, owner references, allocated IPs, bind annotations, token data, ...) never counts; then, for what the desired
 * object left open only sometimes (a node port, a claim's volume), the live value is dropped too. Velero compares
 * without dropping the managed fields, so an object touched since the backup almost never compares equal.
 */

export type Comparison =
  | { outcome: 'unchanged' }
  | {
      outcome: 'different';
      /** The first few paths that differ (`spec.replicas`, `metadata.labels.app`), sorted. */
      differences: string[];
      /** How many more paths differ than `differences` lists. */
      omitted: number;
    };

export const LISTED_DIFFERENCES = 5;

interface ProjectionOptions {
  /** Set the live object's restore labels to the desired ones (a comparison ignores them; a patch writes them). */
  ignoreRestoreLabels: boolean;
}

function labelsOf(object: JsonObject): JsonObject {
  return objectAt(objectAt(object, 'metadata'), 'labels') ?? {};
}

function finalizersOf(object: JsonObject): string[] {
  const finalizers = objectAt(object, 'metadata')?.finalizers;
  return Array.isArray(finalizers) ? finalizers.filter((f): f is string => typeof f === 'string') : [];
}

/**
 * The live object as it compares with `desired`. Finalizers the cluster added are no difference: a restore adds the
 * backup's and never removes one a controller is waiting on.
 */
function projectLive(live: JsonObject, desired: JsonObject, options: ProjectionOptions): JsonObject {
  const rules = rulesForObject(desired);
  const projected = sanitiseObject(live, rules, {
    namespaceMapping: {},
    // Keep what the live object has; fill() then drops what the desired object left to the server.
    preserveNodePorts: true,
    reprovisionedVolumes: [],
    restoreStatus: desired.status !== undefined && desired.status !== null,
  });
  // A LIST's items carry no kind: the desired object says what both are.
  for (const key of ['apiVersion', 'kind']) {
    if (projected[key] === undefined && desired[key] !== undefined) projected[key] = desired[key];
  }
  rules?.fill?.(projected, desired);
  const metadata = objectAt(projected, 'metadata') ?? {};
  projected.metadata = metadata;
  if (options.ignoreRestoreLabels) {
    const labels = { ...labelsOf(projected) };
    for (const key of RESTORE_LABEL_KEYS) {
      const wanted = labelsOf(desired)[key];
      if (wanted === undefined) delete labels[key];
      else labels[key] = wanted;
    }
    if (Object.keys(labels).length > 0) metadata.labels = labels;
    else delete metadata.labels;
  }
  const liveFinalizers = finalizersOf(projected);
  const desiredFinalizers = finalizersOf(desired);
  if (desiredFinalizers.every((f) => liveFinalizers.includes(f))) {
    if (desiredFinalizers.length > 0) metadata.finalizers = desiredFinalizers;
    else delete metadata.finalizers;
  }
  return projected;
}

/** `desired` is prepareForRestore's object; `live` the object the API returned, at the same version. */
export function compareWithExisting(desired: JsonObject, live: JsonObject): Comparison {
  const projected = projectLive(live, desired, { ignoreRestoreLabels: true });
  if (jsonEqual(projected, desired)) return { outcome: 'unchanged' };
  const paths = differingPaths(projected, desired);
  return {
    outcome: 'different',
    differences: paths.slice(0, LISTED_DIFFERENCES),
    omitted: Math.max(0, paths.length - LISTED_DIFFERENCES),
  };
}

/**
 * The JSON merge patch (RFC 7386) that makes `live` match `desired` in what the restore controls, restore labels
 * included; undefined when there is nothing to change. It never names what the projection leaves out (server-set
 * metadata, owner references, allocated IPs, token data, status unless the desired object has one), so it never
 * nulls them. When `desired` has a status (restored), the patch's `status` member is for the status subresource:
 * the main resource ignores it.
 */
export function updatePatch(live: JsonObject, desired: JsonObject): JsonObject | undefined {
  const projected = projectLive(live, desired, { ignoreRestoreLabels: false });
  const patch = createMergePatch(projected, desired);
  if (!patch) return undefined;
  const finalizersPatch = objectAt(patch, 'metadata')?.finalizers;
  if (finalizersPatch !== undefined) {
    // A merge patch replaces the whole list: the union keeps the cluster's finalizers.
    const liveFinalizers = finalizersOf(live);
    const added = finalizersOf(desired).filter((f) => !liveFinalizers.includes(f));
    objectAt(patch, 'metadata')!.finalizers = [...liveFinalizers, ...added];
  }
  rulesForObject(desired)?.adjustPatch?.(patch, live, desired);
  return patch;
}

/**
 * The patch Velero falls back to when an update fails, and writes on an unchanged object under the update policy:
 * only the restore labels. Undefined when the live object carries them already.
 */
export function restoreLabelsPatch(live: JsonObject, desired: JsonObject): JsonObject | undefined {
  const labels: Record<string, JsonValue> = {};
  for (const key of RESTORE_LABEL_KEYS) {
    const wanted = labelsOf(desired)[key];
    if (wanted !== undefined && labelsOf(live)[key] !== wanted) labels[key] = wanted;
  }
  return Object.keys(labels).length > 0 ? { metadata: { labels } } : undefined;
}

/** The reason an item's result gives for a different object: where it differs, as the results and dry-run show it. */
export function differencesReason(comparison: Extract<Comparison, { outcome: 'different' }>): string {
  const more = comparison.omitted > 0 ? ` and ${comparison.omitted} more` : '';
  return `differs from the backup at ${comparison.differences.join(', ')}${more}`;
}
