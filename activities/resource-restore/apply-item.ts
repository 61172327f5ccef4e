import { splitStatusPatch, decideExisting } from '../../core/resources/restore-item.js';
import type { JsonObject } from '../../core/resources/restore-json.js';
import type { ExistingResourcePolicy, ItemOutcome } from '../../core/resources/restore-model.js';
import { ApiError, type ClusterApi } from '../kube/cluster-api.js';
import { apiReason, withApiRetries } from '../kube/list-pages.js';

/**
 * One object into the API: create it; when it exists, compare and leave, label or patch it (decideExisting). Every
 * answer becomes an outcome with the API's reason: nothing here throws but a cancellation.
 */

const MERGE_PATCH = 'application/merge-patch+json';

export interface ItemWrite {
  /** The collection to POST to, and the object's own path (both at the object's apiVersion). */
  collectionPath: string;
  objectPath: string;
  object: JsonObject;
  /** Written to the status subresource after the create (restoreStatus). */
  status?: JsonObject;
  policy: ExistingResourcePolicy;
  restoreName: string;
  /** Compare and report what would happen; write nothing. */
  dryRun: boolean;
}

export interface ItemWriteResult {
  outcome: ItemOutcome;
  reason?: string;
  /** The create failed because the object's namespace does not exist. */
  namespaceMissing?: boolean;
}

/** The API's answer to a create into a namespace that does not exist: 404, `namespaces "<name>" not found`. */
function namespaceNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404 && /^namespaces "[^"]*" not found/.test(err.message);
}

function exists(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  if (err.status === 409 && err.reason === 'AlreadyExists') return true;
  // A Service whose node port is taken: the port is taken because the Service is there (when it is, a GET says so).
  return err.status === 422 && /already allocated/.test(err.message);
}

function failed(err: unknown, what: string): ItemWriteResult {
  return { outcome: 'failed', reason: `${what}: ${apiReason(err)}` };
}

async function patch(api: ClusterApi, path: string, body: JsonObject, signal: AbortSignal): Promise<void> {
  const { main, status } = splitStatusPatch(body);
  const options = { contentType: MERGE_PATCH, signal, discardBody: true };
  if (main) await withApiRetries(() => api.send(`PATCH`, path, main, options), signal);
  if (status) await withApiRetries(() => api.send('PATCH', `${path}/status`, status, options), signal);
}

async function existing(
  api: ClusterApi,
  write: ItemWrite,
  signal: AbortSignal,
  conflict?: unknown,
): Promise<ItemWriteResult> {
  let live: JsonObject;
  try {
    live = await withApiRetries(() => api.get<JsonObject>(write.objectPath, { signal }), signal);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      // A Service's node port taken, by another Service: the create's own answer says why.
      if (conflict) return failed(conflict, 'create');
      // A dry run reads first: not there, it would be created.
      if (write.dryRun) return { outcome: 'created' };
    }
    return failed(err, write.dryRun ? 'read' : 'read the existing object');
  }
  const desired = write.status ? { ...write.object, status: write.status } : write.object;
  const decision = decideExisting(desired, live, write.policy, write.restoreName);
  if (decision.outcome === 'created' || decision.outcome === 'skipped') return decision;
  const body = decision.patch;
  if (body && !write.dryRun) {
    try {
      await patch(api, write.objectPath, body, signal);
    } catch (err) {
      return failed(err, decision.outcome === 'updated' ? 'update' : 'label');
    }
  }
  return decision.outcome === 'updated' ? { outcome: 'updated', reason: decision.reason } : { outcome: 'unchanged' };
}

export async function writeItem(api: ClusterApi, write: ItemWrite, signal: AbortSignal): Promise<ItemWriteResult> {
  if (write.dryRun) return existing(api, write, signal);
  try {
    await withApiRetries(
      () => api.send('POST', write.collectionPath, write.object, { signal, discardBody: true }),
      signal,
    );
  } catch (err) {
    if (signal.aborted) throw err;
    if (exists(err)) return existing(api, write, signal, err);
    return namespaceNotFound(err) ? { ...failed(err, 'create'), namespaceMissing: true } : failed(err, 'create');
  }
  if (write.status) {
    try {
      await patch(api, write.objectPath, { status: write.status }, signal);
    } catch (err) {
      return { outcome: 'created', reason: `its status was not restored: ${apiReason(err)}` };
    }
  }
  return { outcome: 'created' };
}
