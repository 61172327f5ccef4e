import { abortUpload, openUploadsOf } from '../storage/multipart-upload.js';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { activityInfo, cancellationSignal, heartbeat, log } from '@temporalio/activity';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ResourceBackupPolicy, StorageLocation } from '../../core/config/schema.js';
import { parseDuration } from '../../core/duration.js';
import { FailureTypes, TransientFailureTypes } from '../../core/failure-types.js';
import {
  BackupKinds,
  manifestKey,
  resourceListKey,
  resourceResultsKey,
  resourcesArchiveKey,
  veleroBackupKey,
  type ResourceBackupRef,
} from '../../core/layout.js';
import { serializeManifest, type ResourceArchiveFacts, type ResourceBackupManifest } from '../../core/manifest.js';
import type { Discovery, ItemProblem, ListingPlan, ResourceBackupCounters } from '../../core/resources/model.js';
import { zeroCounters } from '../../core/resources/model.js';
import {
  appliedFilters,
  planListing,
  type LiveNamespace,
  type ResourceFilters,
} from '../../core/resources/selection.js';
import type { AcmTypedBackup } from '../../core/acm/hub-backup.js';
import { veleroBackupRecord, serializeVeleroRecord } from '../../core/velero/backup-record.js';
import { ResourceList } from '../../core/velero/resource-list.js';
import { serializeVeleroResults, veleroResults } from '../../core/velero/results.js';
import { findAcmPolicy, findCluster, findLocation, findPolicy } from '../config-lookup.js';
import type { ActivityDeps } from '../deps.js';
import { nonRetryable, transient } from '../failures.js';
import { ApiError, type ClusterApi } from '../kube/cluster-api.js';
import { discover } from '../kube/discovery.js';
import { apiReason, listPages, parseItem, type ListedItem } from '../kube/list-pages.js';
import { classifyS3Error, s3ClientFor, withS3 } from '../storage/s3.js';
import { ArchiveWriter } from './archive.js';
import { buildArchiveIndex, type MemberSizes } from '../../core/velero/archive-index.js';
import { ApiUnreachable, collectObjects, type Collected } from './collect.js';
import { uploadArchive } from './stream.js';

export interface ArchiveRequest {
  cluster: string;
  policy: string;
  backup: string;
  /** ISO-8601, from the workflow: every entry's mtime, as Velero stamps entries with its backup's time. */
  startedAt: string;
  /** A typed backup of an ACM hub backup set: its selection replaces a resourceBackups policy's. */
  acm?: AcmTypedBackup;
}

/** What an attempt leaves its successor (heartbeat details pass through the payload codec; no object contents). */
export interface ArchiveHeartbeat {
  uploadId?: string;
  counters: ResourceBackupCounters;
}

/** Heartbeats flow on a timer, not only with progress: a slow LIST page must not look like a dead worker. */
const HEARTBEAT_EVERY_MS = 5_000;
/** How often the workflow hears the counters (its UI details and progress query follow them). */
const SIGNAL_EVERY_MS = 5_000;
/**
 * The progress signal's name, as workflows/resource-backup-api.ts defines `resourceBackupCounters`; activities may
 * not import workflows/ (eslint.config.js), so the name is repeated here.
 */
const COUNTERS_SIGNAL = 'counters';

const gzipAsync = promisify(gzip);

/** What one resource backup runs with: where it goes, what it selects, and the items it leaves out by selector. */
interface BackupSource {
  location: string;
  filters: ResourceFilters;
  recipients: string[];
  ttl?: string;
  excludedItems: AcmTypedBackup['excludedItems'];
}

/** A resourceBackups policy's settings, or those of the ACM hub backup policy a typed backup belongs to. */
function backupSource(deps: ActivityDeps, cluster: string, policy: string, acm?: AcmTypedBackup): BackupSource {
  if (acm) {
    const hub = findAcmPolicy(deps, cluster, acm.tag.policy);
    return {
      location: hub.location,
      filters: acm.filters,
      recipients: [],
      ...(hub.ttl !== undefined ? { ttl: hub.ttl } : {}),
      excludedItems: acm.excludedItems,
    };
  }
  const found = findResourcePolicy(deps, cluster, policy);
  return {
    location: found.location,
    filters: found,
    recipients: found.encryption?.recipients ?? [],
    ...(found.ttl !== undefined ? { ttl: found.ttl } : {}),
    excludedItems: [],
  };
}

/** The resource policy by name (config-lookup's findPolicy knows both kinds; an etcd policy here is a caller's bug). */
function findResourcePolicy(deps: ActivityDeps, cluster: string, name: string): ResourceBackupPolicy {
  const found = findPolicy(deps, cluster, name);
  if (found.kind !== BackupKinds.resources) {
    throw nonRetryable(
      FailureTypes.InvalidConfig,
      `Policy "${cluster}/${name}" is an etcd backup policy, not a resource backup policy; check the worker's config.`,
    );
  }
  return found.policy;
}

/**
 * The cluster's API failing the backup as a whole (discovery, or no answer at all mid-listing): refused credentials or
 * a role that may not even read discovery are config errors no retry fixes; anything else may pass, and is retried.
 */
function apiFailure(api: ClusterApi, cluster: string, err: unknown): Error {
  const where = `The API of cluster ${cluster} (${api.server})`;
  if (err instanceof ApiError && err.status === 401) {
    return nonRetryable(
      FailureTypes.InvalidConfig,
      `${where} refused the worker's credentials (${apiReason(err)}); check the kubeconfig of clusters[${cluster}].api ` +
        `(or kubernetes, for a cluster without etcd).`,
    );
  }
  if (err instanceof ApiError && err.status === 403) {
    return nonRetryable(
      FailureTypes.InvalidConfig,
      `${where} does not let the worker read its discovery documents (${apiReason(err)}); bind the worker's identity ` +
        `to the resource backup ClusterRole (deploy/kubernetes/resource-reader.yaml).`,
    );
  }
  const what = err instanceof ApiError ? 'failed' : 'did not answer';
  return transient(TransientFailureTypes.KubernetesApiUnavailable, `${where} ${what}: ${apiReason(err)}`);
}

/** The live namespaces the plan expands globs against (a namespace that cannot be listed is an error of the results). */
async function liveNamespaces(
  api: ClusterApi,
  signal: AbortSignal,
  onProblem: (p: ItemProblem) => void,
): Promise<LiveNamespace[]> {
  const namespaces: LiveNamespace[] = [];
  const resource = {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: [],
    singularName: 'namespace',
    verbs: [],
  };
  for await (const event of listPages(api, { resource, signal })) {
    if ('problem' in event) {
      onProblem({ ...event.problem, message: `${event.problem.message}; no namespace could be backed up` });
      continue;
    }
    for (const item of event.items) {
      const ns = parseItem(item);
      const status = ns['status'] as { phase?: string } | undefined;
      namespaces.push({
        name: ns.metadata?.name ?? '',
        labels: ns.metadata?.labels ?? {},
        active: status?.phase === 'Active',
      });
    }
  }
  return namespaces;
}

/**
 * Velero's `.gz` files: gzip of the content, stored as such. No Content-Encoding header: an HTTP client that sees one
 * (Velero's CLI downloading through a presigned URL) unzips on the fly, and the gunzip that follows would then fail.
 */
async function putGzip(s3: S3Client, bucket: string, key: string, text: string): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: await gzipAsync(text), ContentType: 'application/gzip' }),
  );
}

function problemCounts(problems: ItemProblem[]): { warnings: number; errors: number } {
  const errors = problems.filter((p) => p.level === 'error').length;
  return { errors, warnings: problems.length - errors };
}

function resourceRef(location: StorageLocation, cluster: string, backup: string): ResourceBackupRef {
  return { prefix: location.prefix, kind: BackupKinds.resources, cluster, backup };
}

export function createResourceBackupActivities(deps: ActivityDeps) {
  /** Throttled, fire-and-forget: the workflow's details are a courtesy, a lost signal costs nothing. */
  async function signalCounters(counters: ResourceBackupCounters): Promise<void> {
    const workflowId = activityInfo().workflowExecution?.workflowId;
    if (!workflowId) return;
    try {
      await deps
        .temporalClient()
        .workflow.getHandle(workflowId)
        .signal<[ResourceBackupCounters]>(COUNTERS_SIGNAL, counters);
    } catch (err) {
      log.debug('progress signal failed', { error: (err as Error).message });
    }
  }

  return {
    /**
     * Lists the objects the policy selects and streams them as Velero's tar.gz into one multipart upload, then writes
     * the resource list and the results beside it. Never holds more than a page or two of objects: the upload's
     * backpressure paces the listing. A retry (a SIGKILLed worker) reattaches to the earlier attempt's upload id from
     * the heartbeat and sends every part again, so the bucket ends with one object and no open upload.
     */
    async archiveResources(req: ArchiveRequest): Promise<ResourceArchiveFacts> {
      const cluster = findCluster(deps, req.cluster);
      const source = backupSource(deps, req.cluster, req.policy, req.acm);
      const policy = source.filters;
      const location = findLocation(deps, source.location);
      const ref = resourceRef(location, req.cluster, req.backup);
      const recipients = source.recipients;
      const key = resourcesArchiveKey(ref, recipients.length > 0);
      const signal = cancellationSignal();
      const previous = activityInfo().heartbeatDetails as ArchiveHeartbeat | undefined;
      const counters: ResourceBackupCounters = zeroCounters();
      const state: ArchiveHeartbeat = { ...(previous?.uploadId ? { uploadId: previous.uploadId } : {}), counters };
      // No heartbeat before the upload exists: the SDK sends the first one at once and throttles the rest, so the first
      // must carry the upload id (a worker killed later then leaves its successor an upload to reattach to). The
      // upload is therefore created first, and discovery runs as the stream's first step, under the ticker.
      let ticker: NodeJS.Timeout | undefined;
      let signalling: Promise<void> | undefined;
      let lastSignal = 0;
      const tick = () => {
        heartbeat(state);
        if (!signalling && Date.now() - lastSignal >= SIGNAL_EVERY_MS) {
          lastSignal = Date.now();
          signalling = signalCounters({ ...counters }).finally(() => (signalling = undefined));
        }
      };

      const api = await deps.clusterApiFor(cluster);
      const s3 = s3ClientFor(deps, location);
      const problems: ItemProblem[] = [];
      const onProblem = (p: ItemProblem) => {
        problems.push(p);
        if (p.level === 'error') counters.errors++;
        else counters.warnings++;
      };
      const resourceList = new ResourceList();
      let discovery: Discovery | undefined;
      let collected: Collected | undefined;
      const mtime = Math.floor(Date.parse(req.startedAt) / 1000);
      const writer = new ArchiveWriter(Number.isFinite(mtime) ? mtime : Math.floor(Date.now() / 1000));
      const members: MemberSizes[] = [];

      async function* archive(): AsyncGenerator<Buffer> {
        let plan: ListingPlan;
        try {
          discovery = await discover(api, signal);
          for (const g of discovery.failedGroups)
            onProblem({
              level: 'warning',
              message: `API group ${g.groupVersion} could not be discovered, so none of its resources were backed up: ${g.error}`,
            });
          plan = planListing({ discovery, filters: policy, namespaces: await liveNamespaces(api, signal, onProblem) });
        } catch (err) {
          // What the API refused is a problem of the results already; what is thrown is the API not answering.
          if (signal.aborted) throw err;
          throw new ApiUnreachable(err);
        }
        for (const warning of plan.warnings) onProblem({ level: 'warning', message: warning });
        counters.resourcesTotal = plan.resources.length;
        log.info('archiving resources', {
          cluster: req.cluster,
          backup: req.backup,
          resources: plan.resources.length,
          selectors: plan.selectors.length,
          uploadId: state.uploadId ?? null,
        });
        yield* collectObjects({
          api,
          plan,
          discovery,
          filters: policy,
          writer,
          signal,
          counters,
          onProblem,
          excludedItems: source.excludedItems,
          onItem: (object: ListedItem['object']) =>
            resourceList.add(
              object.apiVersion,
              object.kind,
              object.metadata?.namespace || undefined,
              object.metadata?.name ?? '',
            ),
          done: (c) => (collected = c),
        });
      }

      try {
        // An attempt killed before its first heartbeat reached the server left its upload open and unnamed: reattach
        // to the newest such upload of this backup's key and abort any older one, so the bucket never keeps one.
        if (!state.uploadId) {
          const open = await openUploadsOf(s3, location.bucket, key);
          state.uploadId = open.at(-1);
          for (const stale of open.slice(0, -1)) await abortUpload(s3, location.bucket, key, stale);
        }
        let upload;
        try {
          upload = await uploadArchive(archive(), {
            s3,
            bucket: location.bucket,
            key,
            recipients,
            ...(state.uploadId ? { resumeUploadId: state.uploadId } : {}),
            signal,
            release: (chunk) => writer.release(chunk),
            onMember: (sizes) => members.push(sizes),
            onProgress: (p) => {
              // The first call comes right after the upload is created (or found again), before any part.
              counters.bytes = p.bytes;
              if (ticker) return;
              state.uploadId = p.uploadId;
              heartbeat(state);
              ticker = setInterval(tick, HEARTBEAT_EVERY_MS);
            },
          });
        } catch (err) {
          if (err instanceof ApiUnreachable) throw apiFailure(api, req.cluster, err.cause);
          throw err;
        }
        counters.bytes = upload.stored.bytes;
        const resourceListKeyName = resourceListKey(ref);
        const resultsKey = resourceResultsKey(ref);
        await putGzip(s3, location.bucket, resourceListKeyName, resourceList.serialize());
        await putGzip(s3, location.bucket, resultsKey, serializeVeleroResults(veleroResults(problems)));
        const { warnings, errors } = problemCounts(problems);
        log.info('archived resources', {
          cluster: req.cluster,
          backup: req.backup,
          items: counters.items,
          bytes: upload.stored.bytes,
          parts: upload.parts,
          resumed: upload.resumed,
          warnings,
          errors,
        });
        return {
          location: location.name,
          key,
          recipients,
          stored: upload.stored,
          storeChecksum: upload.storeChecksum,
          kubernetes: discovery!.server,
          filters: appliedFilters(policy),
          counts: { items: counters.items, resources: collected?.counts ?? {}, warnings, errors },
          problems,
          // Encrypted, the stored bytes are age's, not the members': a restore then reads from the start.
          ...(recipients.length === 0 ? { index: buildArchiveIndex(writer.resourceStarts, members) } : {}),
          resourceList: resourceListKeyName,
          results: resultsKey,
          veleroRecord: recipients.length > 0 ? null : veleroBackupKey(ref),
        };
      } catch (err) {
        return classifyS3Error(location, err);
      } finally {
        clearInterval(ticker);
        s3.destroy();
        await api.close();
      }
    },

    /**
     * Writes Velero's record (none for an encrypted backup) and then, last, the manifest: the commit marker. Plain
     * PUTs of content fixed by the manifest, so a retry writes the same again.
     */
    async commitResourceBackup(manifest: ResourceBackupManifest, locationName: string): Promise<string> {
      const location = findLocation(deps, locationName);
      const ref = resourceRef(location, manifest.cluster, manifest.backup);
      const policy = manifest.acm
        ? deps.config.acmBackups.find((p) => p.cluster === manifest.cluster && p.name === manifest.acm!.policy)
        : deps.config.resourceBackups.find((p) => p.cluster === manifest.cluster && p.name === manifest.policy);
      const ttlMs = policy?.ttl !== undefined ? parseDuration(policy.ttl) : undefined;
      const key = manifestKey(ref);
      await withS3(deps, location, async (s3) => {
        if (manifest.files.veleroRecord !== null) {
          const record = veleroBackupRecord(manifest, {
            storageLocation: location.name,
            ...(ttlMs !== undefined ? { ttlMs } : {}),
          });
          await s3.send(
            new PutObjectCommand({
              Bucket: location.bucket,
              Key: veleroBackupKey(ref),
              Body: serializeVeleroRecord(record),
              ContentType: 'application/json',
            }),
          );
        }
        await s3.send(
          new PutObjectCommand({
            Bucket: location.bucket,
            Key: key,
            Body: serializeManifest(manifest),
            ContentType: 'application/json',
          }),
        );
      });
      return key;
    },
  };
}
