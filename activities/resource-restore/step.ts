import { PutObjectCommand } from '@aws-sdk/client-s3';
import { activityInfo, cancellationSignal, heartbeat, log } from '@temporalio/activity';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { FailureTypes } from '../../core/failure-types.js';
import { resourceRestoreItemsKey } from '../../core/layout.js';
import { relatedClusterItem } from '../../core/resources/items.js';
import { groupResource as groupResourceOf, type ApiResource } from '../../core/resources/model.js';
import { indexEntryFor } from '../../core/velero/archive-index.js';
import { decideItem, type ItemContext } from '../../core/resources/restore-item.js';
import { isReprovisioned } from '../../core/resources/restore-kinds.js';
import { objectAt, stringAt, type JsonObject } from '../../core/resources/restore-json.js';
import type { BackupItemRef, ItemResult } from '../../core/resources/restore-model.js';
import { restoreLabels } from '../../core/resources/restore-object.js';
import { mappedNamespace } from '../../core/resources/restore-options.js';
import type { PlannedStep, RestorePlan } from '../../core/resources/restore-plan.js';
import {
  NOTABLE_LIMIT,
  RESTORE_CONCURRENCY,
  zeroOutcomes,
  type RestoreStepInput,
  type StepCounters,
  type StepReport,
} from '../../core/resources/restore-run.js';
import type { ControllerOwner } from '../../core/resources/restore-skips.js';
import { CUSTOM_RESOURCE_DEFINITIONS, PERSISTENT_VOLUMES } from '../../core/resources/selection.js';
import { findCluster, findLocation } from '../config-lookup.js';
import type { ActivityDeps } from '../deps.js';
import { nonRetryable } from '../failures.js';
import { ApiError, type ClusterApi } from '../kube/cluster-api.js';
import { waitForEstablished } from '../kube/crd-established.js';
import { discover } from '../kube/discovery.js';
import { apiReason, resourcePath, withApiRetries } from '../kube/list-pages.js';
import { withS3 } from '../storage/s3.js';
import { writeItem } from './apply-item.js';
import { readArchiveItems, readResourceList, type ArchiveItem } from './archive.js';
import { knownNamespaces } from './known-namespaces.js';
import { memoPlan, type MemoPlan } from './plan-memo.js';
import { Slots, TaskWindow } from './slots.js';
import { recomputePlan } from './plan.js';

/**
 * One step of a resource restore: the items of one resource, read from the archive in one pass, each decided
 * (core/resources/restore-item.ts) and written (apply-item.ts), RESTORE_CONCURRENCY at a time. Idempotent: a retry
 * (a SIGKILLed worker) goes through the step again, and what the earlier attempt created carries this restore's label,
 * so it counts as created, once.
 */

const HEARTBEAT_EVERY_MS = 5_000;
/** Items read and decided but not yet written, at most: a few namespaces' worth, a few hundred objects in memory. */
const READ_AHEAD = RESTORE_CONCURRENCY * 16;
/** The name of workflows/resource-restore-api.ts's resourceRestoreCounters (activities may not import workflows/). */
const COUNTERS_SIGNAL = 'restore-counters';
/** How long restored CRDs get to be Established before their custom resources are restored. */
const ESTABLISHED_TIMEOUT_MS = 60_000;

const gzipAsync = promisify(gzip);

function refKey(namespace: string | undefined, name: string): string {
  return namespace === undefined ? name : `${namespace}/${name}`;
}

/** Resources a step reads beside its own: a claim's fate depends on its volume's, and a related volume on its claims. */
function companions(groupResource: string): string[] {
  if (groupResource === PERSISTENT_VOLUMES) return ['persistentvolumeclaims'];
  if (groupResource === 'persistentvolumeclaims') return [PERSISTENT_VOLUMES];
  return [];
}

/** Every item the plan restores, related items included, as ownerLookup asks for them. */
function plannedKeys(plan: RestorePlan): Set<string> {
  const planned = new Set<string>();
  for (const step of plan.steps)
    for (const ref of [...step.items, ...step.related])
      planned.add(`${ref.groupResource}|${refKey(ref.namespace, ref.name)}`);
  return planned;
}

/** Whether a controller owner is restored too: the plan's items and related items of its resource. */
function ownerLookup(planned: Set<string>, discovery: ApiResource[]): (owner: ControllerOwner) => boolean {
  return (owner) => {
    const slash = owner.apiVersion.indexOf('/');
    const group = slash < 0 ? '' : owner.apiVersion.slice(0, slash);
    const resource = discovery.find((r) => r.group === group && r.kind === owner.kind);
    return resource !== undefined && planned.has(`${groupResourceOf(resource)}|${refKey(owner.namespace, owner.name)}`);
  };
}

function versionOf(object: JsonObject, fallback: string): string {
  const apiVersion = stringAt(object, 'apiVersion');
  if (!apiVersion) return fallback;
  return apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
}

class StepRun {
  readonly results: ItemResult[] = [];
  private readonly namespaces = new Map<string, Promise<void>>();
  /**
   * Writes in flight, at most RESTORE_CONCURRENCY; namespaces are made beside them, as many at once. Items are read
   * and decided ahead of the writes (READ_AHEAD), so a namespace is being made while the items before it are written:
   * an archive holds each namespace's objects together, and the writes used to stop at every new namespace for its
   * GET and create (a 700-cluster hub's credentials restored at half the rate of its other objects).
   */
  private readonly writes = new Slots(RESTORE_CONCURRENCY);
  private readonly namespaceWrites = new Slots(RESTORE_CONCURRENCY);
  /** Namespaces an earlier step of this restore found or made (known-namespaces.ts). */
  private readonly known: Set<string>;
  private lastBeat = 0;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly api: ClusterApi,
    private readonly input: RestoreStepInput,
    private readonly step: PlannedStep,
    private readonly resource: ApiResource | undefined,
    private readonly signal: AbortSignal,
  ) {
    this.known = knownNamespaces(input.request.target, input.restore);
  }

  get total(): number {
    return this.step.items.length + this.step.related.length;
  }

  record(ref: BackupItemRef, outcome: ItemResult['outcome'], reason?: string): void {
    const target =
      ref.namespace === undefined
        ? undefined
        : mappedNamespace(this.input.request.options.namespaceMapping, ref.namespace);
    this.results.push({
      ...ref,
      outcome,
      ...(target !== undefined && target !== ref.namespace ? { targetNamespace: target } : {}),
      ...(reason !== undefined ? { reason } : {}),
    });
    this.beat(false);
  }

  beat(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastBeat < HEARTBEAT_EVERY_MS) return;
    this.lastBeat = now;
    const counters: StepCounters = {
      groupResource: this.step.groupResource,
      done: this.results.length,
      total: this.total,
      counts: this.counts(),
    };
    heartbeat(counters);
    void this.sendCounters(counters);
  }

  counts() {
    const counts = zeroOutcomes();
    for (const r of this.results) counts[r.outcome] += 1;
    return counts;
  }

  private async sendCounters(counters: StepCounters): Promise<void> {
    const workflowId = activityInfo().workflowExecution?.workflowId;
    if (!workflowId) return;
    try {
      await this.deps.temporalClient().workflow.getHandle(workflowId).signal<[StepCounters]>(COUNTERS_SIGNAL, counters);
    } catch (err) {
      log.debug('progress signal failed', { error: (err as Error).message });
    }
  }

  /** The target namespace of a namespaced item exists before the item is created (blank, labelled, when it did not). */
  ensureNamespace(name: string): Promise<void> {
    let pending = this.namespaces.get(name);
    if (!pending) {
      pending = this.known.has(name) ? Promise.resolve() : this.namespaceWrites.run(() => this.createNamespace(name));
      this.namespaces.set(name, pending);
    }
    return pending;
  }

  /** A namespace an earlier step saw is gone (a create said so): asked for, and made, again. */
  private forgetNamespace(name: string): void {
    this.known.delete(name);
    this.namespaces.delete(name);
  }

  private async createNamespace(name: string): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(name)}`;
    try {
      await withApiRetries(() => this.api.get(path, { signal: this.signal }), this.signal);
      this.known.add(name);
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    // A dry run creates nothing: the namespace stays unknown, and is asked for again by the next step.
    if (this.input.request.dryRun) return;
    const body = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: restoreLabels(this.input.source.backup, this.input.restore) },
    };
    try {
      await withApiRetries(
        () => this.api.send('POST', '/api/v1/namespaces', body, { signal: this.signal }),
        this.signal,
      );
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 409)) throw err;
    }
    this.known.add(name);
  }

  async restore(ref: BackupItemRef, item: ArchiveItem, ctx: ItemContext): Promise<void> {
    if (item.error !== undefined) return this.record(ref, 'failed', `unreadable in the archive: ${item.error}`);
    const action = decideItem(ref, item.object, ctx);
    if (action.action === 'skip') return this.record(ref, 'skipped', action.skip.reason);
    if (!this.resource) {
      return this.record(ref, 'skipped', `the target serves no version of ${ref.groupResource}`);
    }
    const namespace = stringAt(objectAt(action.object, 'metadata'), 'namespace');
    const name = stringAt(objectAt(action.object, 'metadata'), 'name') ?? ref.name;
    const inNamespace = this.resource.namespaced && namespace ? namespace : undefined;
    const at = { ...this.resource, version: versionOf(action.object, this.resource.version) };
    const write = () =>
      writeItem(
        this.api,
        {
          collectionPath: resourcePath(at, inNamespace),
          objectPath: resourcePath(at, inNamespace, name),
          object: action.object,
          ...(action.status ? { status: action.status } : {}),
          policy: this.input.request.options.existingResourcePolicy,
          restoreName: this.input.restore,
          dryRun: this.input.request.dryRun ?? false,
        },
        this.signal,
      );
    const failure = inNamespace && (await this.namespaceFailure(inNamespace));
    if (failure) return this.record(ref, 'failed', failure);
    let result = await this.writes.run(write);
    if (inNamespace && result.outcome === 'failed' && result.namespaceMissing) {
      this.forgetNamespace(inNamespace);
      const again = await this.namespaceFailure(inNamespace);
      if (again) return this.record(ref, 'failed', again);
      result = await this.writes.run(write);
    }
    this.record(ref, result.outcome, result.reason);
  }

  private async namespaceFailure(namespace: string): Promise<string | undefined> {
    try {
      await this.ensureNamespace(namespace);
      return undefined;
    } catch (err) {
      return `its namespace ${namespace} could not be created: ${apiReason(err)}`;
    }
  }
}

/** Items that are not created or unchanged, failed first: what a person reads first. */
function notable(results: ItemResult[]): { notable: ItemResult[]; omitted: number } {
  const rank = { failed: 0, skipped: 1, updated: 2, created: 3, unchanged: 4 } as const;
  const listed = results.filter(
    (r) => r.outcome === 'failed' || r.outcome === 'skipped' || r.outcome === 'updated' || r.reason !== undefined,
  );
  listed.sort((a, b) => rank[a.outcome] - rank[b.outcome]);
  return { notable: listed.slice(0, NOTABLE_LIMIT), omitted: Math.max(0, listed.length - NOTABLE_LIMIT) };
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function createStepActivities(deps: ActivityDeps) {
  return {
    /** Restores (or, in a dry run, compares) the items of one step of the plan; see the file's comment. */
    async restoreResourceStep(input: RestoreStepInput): Promise<StepReport> {
      const { request } = input;
      const signal = cancellationSignal();
      const { plan, planned } = await memoPlan(input, async () => {
        const resourceList = await readResourceList(deps, input.source);
        const made = recomputePlan(resourceList, request, input.discovery, input.groupResources);
        return { plan: made, planned: plannedKeys(made) };
      });
      const step = plan.steps[input.index];
      if (!step || step.groupResource !== input.groupResource) {
        throw nonRetryable(
          FailureTypes.InvalidRestoreRequest,
          `step ${input.index} of the plan is ${step?.groupResource ?? 'missing'}, not ${input.groupResource}: the plan changed since it was made (the backup's resource list or the worker's Lifeboat version); start the restore again`,
        );
      }
      const api = await deps.clusterApiFor(findCluster(deps, request.target), 'restore');
      try {
        // Discovery again: CRDs restored by an earlier step are served now.
        const discovery = (await discover(api, signal)).resources;
        const resource = discovery.find((r) => groupResourceOf(r) === step.groupResource);
        const run = new StepRun(deps, api, input, step, resource, signal);
        run.beat(true);
        await restoreItems(deps, run, { plan, planned }, step, input, [...discovery, ...input.discovery], signal);
        if (step.groupResource === CUSTOM_RESOURCE_DEFINITIONS && !request.dryRun) {
          await waitForCrds(api, run, signal);
        }
        run.beat(true);
        run.results.sort((a, b) => byCodePoint(a.namespace ?? '', b.namespace ?? '') || byCodePoint(a.name, b.name));
        return await report(deps, input, run);
      } finally {
        await api.close();
      }
    },
  };
}

async function restoreItems(
  deps: ActivityDeps,
  run: StepRun,
  { plan, planned: plannedItems }: MemoPlan,
  step: PlannedStep,
  input: RestoreStepInput,
  discovery: ApiResource[],
  signal: AbortSignal,
): Promise<void> {
  const { request } = input;
  const planned = new Map(step.items.map((ref) => [refKey(ref.namespace, ref.name), ref]));
  const related = new Map(step.related.map((ref) => [refKey(ref.namespace, ref.name), ref]));
  const ctx: ItemContext = {
    selection: plan.selection,
    options: request.options,
    backupName: input.source.backup,
    restoreName: input.restore,
    ownerRestored: ownerLookup(plannedItems, discovery),
  };
  const reprovisioned: string[] = [];
  const claimedVolumes = new Set<string>();
  const pvcStep = plan.steps.find((s) => s.groupResource === 'persistentvolumeclaims');
  const restoredClaims = new Set((pvcStep?.items ?? []).map((r) => refKey(r.namespace, r.name)));
  const held: { ref: BackupItemRef; item: ArchiveItem; related: boolean }[] = [];
  const seen = new Set<string>();
  const tasks = new TaskWindow(READ_AHEAD);
  const start = (ref: BackupItemRef, item: ArchiveItem, itemCtx: ItemContext) =>
    tasks.start(() => run.restore(ref, item, itemCtx));
  const companionsOf = new Set(companions(step.groupResource));
  // Claims and volumes decide each other: this step waits for the archive's end before restoring its own items.
  const holdAll = companionsOf.size > 0;
  const wanted = planned.size + related.size;

  // A step of one resource starts where the archive's index says it begins; claims and volumes read it whole.
  const from =
    !holdAll && input.source.kind === 'lifeboat' && !input.source.encrypted
      ? indexEntryFor(input.source.index, step.groupResource)
      : undefined;
  for await (const item of readArchiveItems(
    deps,
    input.source,
    (gr) => gr === step.groupResource || companionsOf.has(gr),
    { signal, ...(from ? { from } : {}) },
  )) {
    const key = refKey(item.namespace, item.name);
    if (item.groupResource !== step.groupResource) {
      if (item.error !== undefined) continue;
      if (item.groupResource === PERSISTENT_VOLUMES && isReprovisioned(item.object)) reprovisioned.push(item.name);
      if (item.groupResource === 'persistentvolumeclaims' && restoredClaims.has(key)) {
        const volume = relatedClusterItem('persistentvolumeclaims', item.object);
        if (volume) claimedVolumes.add(volume.name);
      }
      continue;
    }
    const ref = planned.get(key) ?? related.get(key);
    if (!ref || seen.has(key)) continue;
    seen.add(key);
    if (holdAll) {
      held.push({ ref, item, related: !planned.has(key) });
      continue;
    }
    await start(ref, item, ctx);
    // Every item of the step found: the rest of the archive is other resources' (the archive groups them by resource,
    // so a step stops reading, and decompressing, where its resource ends).
    if (seen.size === wanted) break;
  }
  for (const { ref, item, related: isRelated } of held) {
    // A related volume comes back only with a restored claim bound to it.
    if (isRelated && !claimedVolumes.has(ref.name)) continue;
    await start(ref, item, { ...ctx, related: isRelated, reprovisionedVolumes: reprovisioned });
  }
  await tasks.drain();
  for (const [key, ref] of planned) {
    if (!seen.has(key)) run.record(ref, 'failed', 'listed in the backup, but not in its archive');
  }
}

/** The restored CRDs must be Established, names accepted, before the next steps restore their custom resources. */
async function waitForCrds(api: ClusterApi, run: StepRun, signal: AbortSignal): Promise<void> {
  const restored = run.results.filter((r) => r.outcome !== 'failed' && r.outcome !== 'skipped');
  if (restored.length === 0) return;
  const states = await waitForEstablished(
    api,
    restored.map((r) => r.name),
    { timeoutMs: ESTABLISHED_TIMEOUT_MS, signal, onWait: () => run.beat(true) },
  );
  for (const state of states) {
    if (state.established && state.namesAccepted) continue;
    const result = restored.find((r) => r.name === state.name);
    if (result) {
      result.outcome = 'failed';
      result.reason = `not Established within ${ESTABLISHED_TIMEOUT_MS / 1000} s: ${state.reason ?? 'no reason given'}`;
    }
  }
}

async function report(deps: ActivityDeps, input: RestoreStepInput, run: StepRun): Promise<StepReport> {
  const byNamespace: StepReport['byNamespace'] = {};
  for (const r of run.results) {
    const ns = r.targetNamespace ?? r.namespace ?? '';
    const counts = (byNamespace[ns] ??= {});
    counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  }
  const { notable: listed, omitted } = notable(run.results);
  let resultsKey: string | undefined;
  if (input.results && !input.request.dryRun) {
    const location = findLocation(deps, input.results.location);
    const key = resourceRestoreItemsKey(
      location.prefix,
      input.request.target,
      input.restore,
      input.index,
      input.groupResource,
    );
    const body = await gzipAsync(run.results.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await withS3(deps, location, (s3) =>
      s3.send(new PutObjectCommand({ Bucket: location.bucket, Key: key, Body: body, ContentType: 'application/gzip' })),
    );
    resultsKey = key;
  }
  return {
    groupResource: input.groupResource,
    counts: run.counts(),
    byNamespace,
    notable: listed,
    notableOmitted: omitted,
    ...(resultsKey ? { resultsKey } : {}),
  };
}
