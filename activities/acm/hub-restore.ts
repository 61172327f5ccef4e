import { cancellationSignal, heartbeat } from '@temporalio/activity';
import { Cron } from 'croner';
import {
  AUTO_IMPORT_SECRET,
  autoImportDecisions,
  IMMEDIATE_IMPORT_ANNOTATION,
  KEEP_AUTO_IMPORT_ANNOTATION,
  MSA_TOKEN_LABEL,
  RESTORE_AUTO_IMPORT_LABEL,
  type MsaTokenSecret,
  type RestoredManagedCluster,
} from '../../core/acm/auto-import.js';
import { planAcmRestore, type AcmRestorePlan, type HubBackup } from '../../core/acm/restore-plan.js';
import { oldHubLiveness, type AcmRestoreInput } from '../../core/acm/restore-run.js';
import type { StorageLocation } from '../../core/config/schema.js';
import { FailureTypes } from '../../core/failure-types.js';
import { BackupKinds } from '../../core/layout.js';
import { restoreName } from '../../core/naming.js';
import { findCluster, findLocation } from '../config-lookup.js';
import type { ActivityDeps } from '../deps.js';
import { nonRetryable } from '../failures.js';
import { refuseWhileEtcdRestoreRuns, refuseWhileResourceRestoreRuns } from '../restore-exclusion.js';
import { ApiError, type ClusterApi } from '../kube/cluster-api.js';
import { apiReason, withApiRetries } from '../kube/list-pages.js';
import { listBackups, readManifest } from '../storage/catalog.js';
import { classifyS3Error, s3ClientFor } from '../storage/s3.js';

/**
 * The storage and hub sides of an ACM hub restore (workflows/acm-restore.ts): the catalog of the old hub's typed
 * backups and the plan over it, whether the old hub still writes backups, and the auto-import secrets after the
 * managed clusters are restored. The restores themselves are resource restores, run as child workflows.
 */

export interface PlannedHubRestore {
  restore: string;
  location: string;
  plan: AcmRestorePlan;
  /** The source hub's schedule interval: a set newer than twice it means the old hub is alive. */
  intervalMs: number;
  /** The new hub's restore.approvalTimeout. */
  approvalTimeout: string;
}

/** Without a schedule (on-demand hub backups) the operator's sample's hourly interval stands in. */
const DEFAULT_INTERVAL_MS = 3_600_000;
const MANIFEST_READ_CONCURRENCY = 8;

function sourceLocation(deps: ActivityDeps, input: AcmRestoreInput): StorageLocation {
  if (input.location) return findLocation(deps, input.location);
  const locations = [
    ...new Set(deps.config.acmBackups.filter((p) => p.cluster === input.fromCluster).map((p) => p.location)),
  ];
  if (locations.length === 1) return findLocation(deps, locations[0]!);
  throw nonRetryable(
    FailureTypes.InvalidRestoreRequest,
    locations.length === 0
      ? `--location: ${input.fromCluster} has no acmBackups policy in the config to say where its backups are; name the storage location with --location`
      : `--location: the acmBackups policies of ${input.fromCluster} write to ${locations.join(' and ')}; say which with --location`,
  );
}

function intervalOf(deps: ActivityDeps, input: AcmRestoreInput, location: string): number {
  const policy = deps.config.acmBackups.find(
    (p) => p.cluster === input.fromCluster && p.location === location && p.schedule,
  );
  if (!policy?.schedule) return DEFAULT_INTERVAL_MS;
  const runs = new Cron(policy.schedule.cron, { paused: true, timezone: policy.schedule.timezone }).nextRuns(2);
  return runs.length === 2 ? runs[1]!.getTime() - runs[0]!.getTime() : DEFAULT_INTERVAL_MS;
}

/** The typed backups of the source hub in the location, as their manifests tag them; newest first. */
async function hubCatalog(deps: ActivityDeps, where: StorageLocation, fromCluster: string): Promise<HubBackup[]> {
  const s3 = s3ClientFor(deps, where);
  try {
    const entries = (await listBackups(s3, where, BackupKinds.resources, { cluster: fromCluster })).filter(
      (e) => e.manifestKey !== undefined,
    );
    const catalog: HubBackup[] = [];
    for (let i = 0; i < entries.length; i += MANIFEST_READ_CONCURRENCY) {
      const batch = entries.slice(i, i + MANIFEST_READ_CONCURRENCY);
      const manifests = await Promise.all(
        batch.map((e) => readManifest(s3, where, e.manifestKey!, BackupKinds.resources)),
      );
      manifests.forEach((m, j) => {
        if (!m.acm) return;
        catalog.push({
          name: batch[j]!.backup,
          type: m.acm.type,
          set: m.acm.set,
          hub: m.acm.hub,
          startedAt: m.startedAt,
          outcome: m.outcome,
        });
      });
      heartbeat({ read: i + batch.length, of: entries.length });
    }
    return catalog;
  } catch (err) {
    return classifyS3Error(where, err);
  } finally {
    s3.destroy();
  }
}

function newestSet(catalog: HubBackup[]): { set: string; hub: string } | undefined {
  const newest = [...catalog].sort((a, b) => Date.parse(b.set) - Date.parse(a.set))[0];
  return newest && { set: newest.set, hub: newest.hub ?? 'unknown' };
}

interface Listed<T> {
  items?: T[];
  metadata?: { continue?: string };
}
interface ManagedClusterObject {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { managedClusterClientConfigs?: { url?: string }[] };
  status?: { conditions?: { type?: string; status?: string }[] };
}
interface SecretObject {
  metadata?: {
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
  };
  data?: Record<string, string>;
}

const MANAGED_CLUSTERS = '/apis/cluster.open-cluster-management.io/v1/managedclusters';

async function listAll<T>(api: ClusterApi, path: string, query: Record<string, string>, signal: AbortSignal) {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await withApiRetries(
      () => api.get<Listed<T>>(path, { query: { ...query, limit: '500', continue: token }, signal }),
      signal,
    );
    items.push(...(page.items ?? []));
    token = page.metadata?.continue || undefined;
  } while (token);
  return items;
}

function managedCluster(o: ManagedClusterObject): RestoredManagedCluster {
  const url = o.spec?.managedClusterClientConfigs?.[0]?.url;
  return {
    name: o.metadata?.name ?? '',
    labels: o.metadata?.labels ?? {},
    available: (o.status?.conditions ?? []).some(
      (c) => c.type === 'ManagedClusterConditionAvailable' && c.status === 'True',
    ),
    ...(url ? { url } : {}),
  };
}

function tokenSecret(o: SecretObject): MsaTokenSecret {
  const expiresAt = o.metadata?.annotations?.['expirationTimestamp'];
  return {
    name: o.metadata?.name ?? '',
    labels: o.metadata?.labels ?? {},
    hasToken: Boolean(o.data?.['token']),
    ...(expiresAt ? { expiresAt } : {}),
    ...(o.metadata?.creationTimestamp ? { createdAt: o.metadata.creationTimestamp } : {}),
  };
}

export interface AutoImportReport {
  /** One line per managed cluster: what was done, or why nothing. */
  clusters: { cluster: string; action: 'imported' | 'skipped' | 'failed'; message: string }[];
}

export function createAcmRestoreActivities(deps: ActivityDeps) {
  /** The old hub's newest set and whether it looks alive: read again at the activation, which may be hours later. */
  async function liveness(input: AcmRestoreInput, location: string, intervalMs: number) {
    const catalog = await hubCatalog(deps, findLocation(deps, location), input.fromCluster);
    const newest = newestSet(catalog);
    const verdict = oldHubLiveness({
      ...(newest ? { newest } : {}),
      intervalMs,
      now: new Date(),
      fromCluster: input.fromCluster,
    });
    return { catalog, newest, verdict };
  }

  return {
    /**
     * Plans a hub restore: no other restore of the hub running, the source's typed backups read from their manifests,
     * each type resolved (core/acm/restore-plan.ts), and, when the plan activates, the old hub not alive. Every
     * refusal comes before anything is written.
     */
    async planHubRestore(input: AcmRestoreInput): Promise<PlannedHubRestore> {
      const hub = findCluster(deps, input.hub);
      findCluster(deps, input.fromCluster);
      await refuseWhileEtcdRestoreRuns(deps, input.hub);
      await refuseWhileResourceRestoreRuns(deps, input.hub);
      const where = sourceLocation(deps, input);
      const intervalMs = intervalOf(deps, input, where.name);
      const { catalog, verdict } = await liveness(input, where.name, intervalMs);
      const result = planAcmRestore(input.request, catalog);
      if (!result.ok) {
        throw nonRetryable(
          FailureTypes.InvalidRestoreRequest,
          result.issues.map((i) => `${i.flag}: ${i.message}`).join('; '),
        );
      }
      const activates = result.plan.steps.some((s) => s.activation);
      if (activates && verdict.alive && !input.oldHubGone) {
        throw nonRetryable(FailureTypes.OldHubAlive, verdict.message);
      }
      return {
        restore: restoreName(input.hub, new Date(input.requestedAt)),
        location: where.name,
        plan: result.plan,
        intervalMs,
        approvalTimeout: hub.restore.approvalTimeout,
      };
    },

    /** Right before the activation: the old hub still not writing backups (or the operator's word that it is gone). */
    async checkOldHub(input: { request: AcmRestoreInput; location: string; intervalMs: number }): Promise<string> {
      const { request } = input;
      const { newest, verdict } = await liveness(request, input.location, input.intervalMs);
      if (verdict.alive) {
        if (!request.oldHubGone) throw nonRetryable(FailureTypes.OldHubAlive, verdict.message);
        return `${verdict.message.split(':')[0]}; activating anyway: ${request.oldHubGone} (${request.requestedBy})`;
      }
      return newest
        ? `the old hub's newest set is ${newest.set}, older than twice its interval: it no longer writes backups`
        : 'the old hub has no set in the location';
    },

    /**
     * For each restored managed cluster that is not available, has a URL and a ManagedServiceAccount token: the
     * auto-import secret the import controller uses, and the immediate-import annotation. A secret a person wrote
     * (without the restore's label) is left alone.
     */
    async writeAutoImportSecrets(input: { hub: string }): Promise<AutoImportReport> {
      const cluster = findCluster(deps, input.hub);
      const signal = cancellationSignal();
      const reader = await deps.clusterApiFor(cluster);
      const writer = await deps.clusterApiFor(cluster, 'restore');
      const report: AutoImportReport = { clusters: [] };
      try {
        const clusters = (await listAll<ManagedClusterObject>(reader, MANAGED_CLUSTERS, {}, signal)).map(
          managedCluster,
        );
        const tokens: Record<string, MsaTokenSecret[]> = {};
        const data: Record<string, Record<string, string>> = {};
        for (const c of clusters) {
          if (c.labels['local-cluster'] === 'true' || c.available || !c.url) continue;
          const secrets = await listAll<SecretObject>(
            reader,
            `/api/v1/namespaces/${encodeURIComponent(c.name)}/secrets`,
            { labelSelector: `${MSA_TOKEN_LABEL}=true` },
            signal,
          );
          tokens[c.name] = secrets.map(tokenSecret);
          for (const s of secrets) data[`${c.name}/${s.metadata?.name ?? ''}`] = s.data ?? {};
        }
        for (const decision of autoImportDecisions(clusters, tokens, new Date())) {
          heartbeat({ clusters: report.clusters.length });
          if (decision.action === 'skip') {
            report.clusters.push({ cluster: decision.cluster, action: 'skipped', message: decision.why });
            continue;
          }
          try {
            const written = await writeAutoImport(writer, decision.cluster, {
              server: Buffer.from(decision.server).toString('base64'),
              token: data[`${decision.cluster}/${decision.tokenSecret}`]!['token']!,
              autoImportRetry: Buffer.from('5').toString('base64'),
            });
            report.clusters.push({
              cluster: decision.cluster,
              action: written ? 'imported' : 'skipped',
              message: written
                ? `wrote ${AUTO_IMPORT_SECRET} (server ${decision.server}, token of ${decision.tokenSecret}) and asked for an immediate import`
                : `${AUTO_IMPORT_SECRET} exists and was not written by a restore: left as it is`,
            });
          } catch (err) {
            if (!(err instanceof ApiError)) throw err;
            report.clusters.push({
              cluster: decision.cluster,
              action: 'failed',
              message: `could not write ${AUTO_IMPORT_SECRET}: ${apiReason(err)}`,
            });
          }
        }
        return report;
      } finally {
        await Promise.all([reader.close(), writer.close()]);
      }
    },
  };
}

/** Creates the secret, or replaces the data of one an earlier restore wrote; false when a person's is there. */
async function writeAutoImport(api: ClusterApi, namespace: string, data: Record<string, string>): Promise<boolean> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  const metadata = {
    name: AUTO_IMPORT_SECRET,
    namespace,
    labels: { [RESTORE_AUTO_IMPORT_LABEL]: 'true' },
    annotations: { [KEEP_AUTO_IMPORT_ANNOTATION]: '' },
  };
  try {
    await withApiRetries(() =>
      api.send(
        'POST',
        path,
        { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata, data },
        { discardBody: true },
      ),
    );
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409)) throw err;
    const existing = await withApiRetries(() => api.get<SecretObject>(`${path}/${AUTO_IMPORT_SECRET}`));
    if (existing.metadata?.labels?.[RESTORE_AUTO_IMPORT_LABEL] !== 'true') return false;
    await withApiRetries(() =>
      api.send(
        'PATCH',
        `${path}/${AUTO_IMPORT_SECRET}`,
        { data },
        {
          contentType: 'application/merge-patch+json',
          discardBody: true,
        },
      ),
    );
  }
  await withApiRetries(() =>
    api.send(
      'PATCH',
      `${MANAGED_CLUSTERS}/${encodeURIComponent(namespace)}`,
      { metadata: { annotations: { [IMMEDIATE_IMPORT_ANNOTATION]: '' } } },
      { contentType: 'application/merge-patch+json', discardBody: true },
    ),
  );
  return true;
}
