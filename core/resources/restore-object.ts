import { RESTORE_LABEL, RESTORED_FROM_LABEL } from '../kube-metadata.js';
import { shortHash } from '../snapshot-job.js';
import { rulesForResource, type KindRuleContext, type KindRules } from './restore-kinds.js';
import { cloneJson, objectAt, stringAt, type JsonObject } from './restore-json.js';
import type { NamespaceMapping } from './restore-model.js';

/**
 * What a backed-up object becomes before a resource restore creates it (issue 14, step 3): Velero's
 * resetMetadataAndStatus and restore item actions, the namespace mapping and the restore's labels. Pure and
 * per-object; the order and the skips are the plan's (restore-plan.ts), the comparison with an object that exists is
 * restore-compare.ts.
 */

export interface RestoreObjectContext {
  /** Velero's name of the object's resource (`services`, `jobs.batch`): which kind rules apply. */
  groupResource: string;
  namespaceMapping: NamespaceMapping;
  /** Whether this object's saved status is written back (restoresStatus). */
  restoreStatus: boolean;
  preserveNodePorts: boolean;
  backupName: string;
  restoreName: string;
  /** PersistentVolumes of the backup not restored because isReprovisioned: claims bound to them are unbound. */
  reprovisionedVolumes?: readonly string[];
}

/**
 * Set by the API server, or naming the old object: Velero's list, plus managedFields (Velero keeps them and writes
 * them back with a second PATCH per object; Lifeboat lets the server record the restore as the fields' manager).
 */
export const SERVER_SET_METADATA = [
  'generateName',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'ownerReferences',
  'managedFields',
] as const;

export interface SanitiseOptions extends KindRuleContext {
  restoreStatus: boolean;
}

/**
 * The part of the restore's changes that does not depend on the restore's identity: kind rules (before the managed
 * fields go, which tell explicit node ports), server-set metadata, status, namespace. Used on both sides of a
 * comparison.
 */
export function sanitiseObject(object: JsonObject, rules: KindRules | undefined, options: SanitiseOptions): JsonObject {
  const copy = cloneJson(object);
  rules?.sanitise(copy, options);
  const metadata = objectAt(copy, 'metadata');
  if (metadata) {
    for (const key of SERVER_SET_METADATA) delete metadata[key];
    const namespace = stringAt(metadata, 'namespace');
    if (namespace !== undefined && Object.hasOwn(options.namespaceMapping, namespace)) {
      metadata.namespace = options.namespaceMapping[namespace]!;
    }
  }
  if (!options.restoreStatus) delete copy.status;
  return copy;
}

/** The object to create: `object` is left as it was. */
export function prepareForRestore(object: JsonObject, ctx: RestoreObjectContext): JsonObject {
  const prepared = sanitiseObject(object, rulesForResource(ctx.groupResource), {
    namespaceMapping: ctx.namespaceMapping,
    preserveNodePorts: ctx.preserveNodePorts,
    reprovisionedVolumes: ctx.reprovisionedVolumes ?? [],
    restoreStatus: ctx.restoreStatus,
  });
  const metadata = objectAt(prepared, 'metadata') ?? {};
  prepared.metadata = metadata;
  metadata.labels = { ...(objectAt(metadata, 'labels') ?? {}), ...restoreLabels(ctx.backupName, ctx.restoreName) };
  return prepared;
}

// ---------------------------------------------------------------------------------------------------------------------
// Labels

/** Kubernetes' label value syntax: at most 63 characters, alphanumeric at both ends, `-_.` inside. */
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
export const LABEL_VALUE_MAX = 63;

/**
 * `text` when it is a valid label value, else a valid one that still reads like it: invalid characters become `-`,
 * cut to leave room for `-` and an FNV-1a hash of the whole text (shortHash, 8 hex digits), so two long names that
 * share their first 54 characters get different values. Velero cuts at 57 and appends 6 digits of a sha256; a
 * 32-bit hash is plenty to tell a cluster's restores apart and needs no crypto in core/.
 */
export function labelValue(text: string): string {
  if (text.length <= LABEL_VALUE_MAX && LABEL_VALUE.test(text)) return text;
  const hash = shortHash(text);
  const head = text
    .replace(/[^-A-Za-z0-9_.]/g, '-')
    .slice(0, LABEL_VALUE_MAX - hash.length - 1)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
  return head ? `${head}-${hash}` : hash;
}

/** The labels every restored object carries: which backup, which restore (a retry finds its own objects by it). */
export function restoreLabels(backupName: string, restoreName: string): Record<string, string> {
  return { [RESTORED_FROM_LABEL]: labelValue(backupName), [RESTORE_LABEL]: labelValue(restoreName) };
}

export const RESTORE_LABEL_KEYS = [RESTORED_FROM_LABEL, RESTORE_LABEL] as const;

// ---------------------------------------------------------------------------------------------------------------------
// Status

/** Velero's per-object override of the restore's status selection: "true" or "false", any case. */
export const RESTORE_STATUS_ANNOTATION = 'velero.io/restore-status';

/**
 * Whether an object's status is written back: its resource is in the restore's selection (`*` for all), unless the
 * object's own annotation says otherwise (honoured as Velero does, so a backup annotated for Velero restores alike).
 */
export function restoresStatus(selection: readonly string[], groupResource: string, object?: JsonObject): boolean {
  const override = stringAt(objectAt(objectAt(object, 'metadata'), 'annotations'), RESTORE_STATUS_ANNOTATION)
    ?.trim()
    .toLowerCase();
  if (override === 'true') return true;
  if (override === 'false') return false;
  return selection.includes('*') || selection.includes(groupResource);
}
