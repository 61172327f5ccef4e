import { RESTORE_LABEL } from '../kube-metadata.js';
import { compareWithExisting, differencesReason, restoreLabelsPatch, updatePatch } from './restore-compare.js';
import { itemFilterSkip, type RestoreSelection } from './restore-filters.js';
import { isReprovisioned } from './restore-kinds.js';
import { objectAt, stringAt, type JsonObject } from './restore-json.js';
import type { BackupItemRef, ExistingResourcePolicy, RestoreOptions, Skip } from './restore-model.js';
import { labelValue, prepareForRestore, restoresStatus } from './restore-object.js';
import { itemSkip, type ControllerOwner } from './restore-skips.js';
import { PERSISTENT_VOLUMES } from './selection.js';

/**
 * What a resource restore does with one backed-up object (issue 14, step 3), and with the object it finds in the
 * cluster under the same name: the decisions the step activity (activities/resource-restore/step.ts) carries out.
 * Pure: the activity reads the archive and talks to the API, this decides.
 */

export interface ItemContext {
  selection: RestoreSelection;
  options: RestoreOptions;
  backupName: string;
  restoreName: string;
  /** A cluster-scoped object restored because a restored object needs it (a bound claim's PV): no selector applies. */
  related?: boolean;
  /** Whether the owner is restored too (then its controller recreates this child): the plan's items and related items. */
  ownerRestored?: (owner: ControllerOwner) => boolean;
  /** The backup's volumes that are not restored (isReprovisioned): claims bound to them are unbound. */
  reprovisionedVolumes?: readonly string[];
}

export type ItemAction =
  | { action: 'skip'; skip: Skip }
  /** `object` is what to create; `status`, when set, is written to the status subresource after the create. */
  | { action: 'create'; object: JsonObject; status?: JsonObject };

function labelsOf(object: JsonObject): Record<string, string> | undefined {
  return objectAt(objectAt(object, 'metadata'), 'labels') as Record<string, string> | undefined;
}

/** Skip (with the reason) or create (the prepared object): filters, then the object rules, then the volume rule. */
export function decideItem(ref: BackupItemRef, backedUp: JsonObject, ctx: ItemContext): ItemAction {
  const filtered = itemFilterSkip(ctx.selection, ref, labelsOf(backedUp), { related: ctx.related ?? false });
  if (filtered) return { action: 'skip', skip: filtered };
  const skip = itemSkip(ref.groupResource, backedUp, ctx.ownerRestored ? { ownerRestored: ctx.ownerRestored } : {});
  if (skip) return { action: 'skip', skip };
  if (ref.groupResource === PERSISTENT_VOLUMES && isReprovisioned(backedUp)) {
    return {
      action: 'skip',
      skip: {
        code: 'recreated-by-controller',
        reason:
          'reclaim policy Delete: the backup holds no data for it, so its claim is provisioned a new volume (and a source cluster that still has it keeps it)',
      },
    };
  }
  const withStatus = restoresStatus(ctx.options.restoreStatus, ref.groupResource, backedUp);
  const object = prepareForRestore(backedUp, {
    groupResource: ref.groupResource,
    namespaceMapping: ctx.options.namespaceMapping,
    restoreStatus: withStatus,
    preserveNodePorts: ctx.options.preserveNodePorts,
    backupName: ctx.backupName,
    restoreName: ctx.restoreName,
    reprovisionedVolumes: ctx.reprovisionedVolumes ?? [],
  });
  const status = objectAt(object, 'status');
  if (!withStatus || !status) return { action: 'create', object };
  // Created without it: the API ignores status on create for resources with a status subresource anyway.
  const { status: _, ...rest } = object;
  return { action: 'create', object: rest, status };
}

/** What to do about an object that exists in the target under the name of one the restore would create. */
export type ExistingDecision =
  /** Made by an earlier attempt of this restore (its restore label): counted as created, as it was. */
  | { outcome: 'created'; reason: string }
  | { outcome: 'unchanged'; patch?: JsonObject }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'updated'; patch: JsonObject; reason: string };

/**
 * `desired` is decideItem's object (status put back when it is restored), `live` the API's answer at the same
 * version. Under policy none a different object is left as it is (skipped, saying where it differs); under update it
 * is patched to the backup's content, and an unchanged one gets the restore labels, as Velero does.
 */
export function decideExisting(
  desired: JsonObject,
  live: JsonObject,
  policy: ExistingResourcePolicy,
  restoreName: string,
): ExistingDecision {
  if (stringAt(labelsOf(live), RESTORE_LABEL) === labelValue(restoreName)) {
    return { outcome: 'created', reason: 'created by an earlier attempt of this restore' };
  }
  const comparison = compareWithExisting(desired, live);
  if (comparison.outcome === 'unchanged') {
    const patch = policy === 'update' ? restoreLabelsPatch(live, desired) : undefined;
    return patch ? { outcome: 'unchanged', patch } : { outcome: 'unchanged' };
  }
  const reason = differencesReason(comparison);
  if (policy === 'none') {
    return { outcome: 'skipped', reason: `exists and ${reason} (left as it is: --existing-resource-policy none)` };
  }
  const patch = updatePatch(live, desired);
  if (!patch) return { outcome: 'unchanged' };
  return { outcome: 'updated', patch, reason: `existed and ${reason}` };
}

/** A merge patch's parts: the main resource's, and the status subresource's (a `status` member goes there). */
export function splitStatusPatch(patch: JsonObject): { main?: JsonObject; status?: JsonObject } {
  const { status, ...main } = patch;
  return {
    ...(Object.keys(main).length > 0 ? { main } : {}),
    ...(status !== undefined ? { status: { status } } : {}),
  };
}
