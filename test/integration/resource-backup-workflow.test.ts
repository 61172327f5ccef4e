import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { NativeConnection, Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applySchedules } from '../../client/schedules-sync.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { manifestKey } from '../../core/layout.js';
import { parseManifestOfKind, type ResourceBackupManifest } from '../../core/manifest.js';
import { backupName, scheduleIds, workflowIds } from '../../core/naming.js';
import {
  LifeboatBackup,
  LifeboatCluster,
  LifeboatKind,
  LifeboatPhase,
  LifeboatPolicy,
} from '../../core/search-attributes.js';
import type { resourceBackup, retention } from '../../workflows/index.js';
import { resourceBackupCounters, resourceBackupProgress } from '../../workflows/resource-backup-api.js';
import type { ClusterApi, GetOptions } from '../../activities/kube/cluster-api.js';
import { createLifeboatWorker } from '../../worker/create-worker.js';
import { recordHistory } from '../helpers/histories.js';
import { secretsInHistory } from '../helpers/secrets.js';
import { fileNamespace } from '../helpers/temporal-namespace.js';
import {
  bucketState,
  isolatedConfig,
  s3ClientFor,
  s3SecretKeys,
  startTestWorker,
  testDeps,
  uniqueName,
  type TestWorker,
} from '../helpers/stack.js';

// The resourceBackup workflow as the UI and the CLI see it: its name from the nominal time, search attributes,
// progress query and current details (fed by the archive's counters signal), activity summaries, the manifest it returns (the one it stored), the retention it starts, a run
// started by the schedule `lifeboat apply` made, and no secret in its history, not even the Secret it backed up.
// What the archive holds is resource-backup.test.ts's subject; here the cluster holds two objects.
const server = inject('s3Servers').find((s) => s.name === 'versitygw')!;
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const core = kc.makeApiClient(CoreV1Api);

/** The cluster's API, its first LIST of `resource` held until `release` resolves (the rest pass straight through). */
function holdingFirstList(api: ClusterApi, resource: string, release: () => Promise<void>): ClusterApi {
  let held: Promise<void> | undefined;
  return {
    server: api.server,
    async get<T>(path: string, options?: GetOptions): Promise<T> {
      if (path.endsWith(`/${resource}`)) await (held ??= release());
      return api.get<T>(path, options);
    },
    async getBytes(path: string, options?: GetOptions): Promise<Buffer> {
      if (path.endsWith(`/${resource}`)) await (held ??= release());
      return api.getBytes(path, options);
    },
    send: (method, path, body, options) => api.send(method, path, body, options),
    close: () => api.close(),
  };
}

describe('the resourceBackup workflow', () => {
  const namespace = uniqueName('wf');
  const label = { 'lifeboat.dev/test': namespace };
  // The Secret's value: backed up into the archive, and never in the workflow's history.
  const secretValue = `planted-${randomBytes(12).toString('hex')}`;
  let config: LifeboatConfig;
  let bucket: string;
  let tw: TestWorker;

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'settings', labels: label }, data: { mode: 'fast' } },
    });
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'token', labels: label }, stringData: { token: secretValue } },
    });
    const isolated = await isolatedConfig();
    bucket = isolated.buckets.versitygw!;
    const result = validateConfig({
      ...isolated.config,
      clusters: [{ name: 'local', api: { kubeconfig: inject('resourceReaderKubeconfig') } }],
      resourceBackups: [
        {
          name: 'objects',
          cluster: 'local',
          location: 'versitygw',
          // Never due on its own within the test: runs come from `backup now` or the schedule's trigger.
          schedule: { cron: '0 0 1 1 *' },
          includedNamespaces: [namespace],
          labelSelector: `lifeboat.dev/test=${namespace}`,
          keep: 5,
        },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    tw = await startTestWorker(config);
  }, 180_000);

  afterAll(async () => {
    await tw?.close();
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  async function storedManifest(backup: string): Promise<ResourceBackupManifest> {
    const s3 = s3ClientFor(server);
    try {
      const key = manifestKey({ prefix: 'it', kind: 'resources', cluster: 'local', backup });
      const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
      const parsed = parseManifestOfKind(body, 'resources');
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.manifest;
    } finally {
      s3.destroy();
    }
  }

  it('a one-off backup: named from its trigger time, searchable, queryable, summarised, then retention', async () => {
    const requestedAt = '2026-04-05T06:07:08.000Z';
    const backup = backupName('objects', new Date(requestedAt));
    const handle = await tw.client.workflow.start<typeof resourceBackup>('resourceBackup', {
      args: [{ cluster: 'local', policy: 'objects', requestedAt }],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.resourceBackup('local', 'objects', backup),
    });
    const manifest = await handle.result();
    await recordHistory('resource-backup-completed', handle);

    // The result is the manifest, as stored: the commit marker of the backup its nominal time names.
    expect(manifest).toEqual(await storedManifest(backup));
    expect(manifest).toMatchObject({
      backup,
      nominalTime: requestedAt,
      oneOff: true,
      outcome: 'Completed',
      // The two objects, and their Namespace, which Velero keeps for the items it holds.
      counts: { items: 3, resources: { configmaps: 1, secrets: 1, namespaces: 1 }, warnings: 0, errors: 0 },
    });

    expect(await handle.query(resourceBackupProgress)).toEqual({
      backup,
      phase: 'done',
      manifestKey: manifestKey({ prefix: 'it', kind: 'resources', cluster: 'local', backup }),
      resourcesDone: expect.any(Number) as number,
      resourcesTotal: expect.any(Number) as number,
      items: 3,
      bytes: manifest.object.bytes,
      warnings: 0,
      errors: 0,
    });
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect({
      cluster: attributes.get(LifeboatCluster),
      policy: attributes.get(LifeboatPolicy),
      kind: attributes.get(LifeboatKind),
      backup: attributes.get(LifeboatBackup),
      phase: attributes.get(LifeboatPhase),
    }).toEqual({ cluster: 'local', policy: 'objects', kind: 'resource-backup', backup, phase: 'done' });

    const history = await handle.fetchHistory();
    const summaries = (history.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes && e.userMetadata?.summary?.data
        ? [JSON.parse(Buffer.from(e.userMetadata.summary.data).toString()) as string]
        : [],
    );
    expect(summaries).toEqual([
      `archive the resources of local (objects) as ${backup}`,
      `commit ${backup}: write its Velero record and manifest`,
    ]);
    expect(await secretsInHistory(history, { ...s3SecretKeys(), 'the backed-up Secret': secretValue })).toEqual([]);

    // Retention of the policy ran after the backup (keep: 5, so nothing went).
    const sweep = await tw.client.workflow
      .getHandle<typeof retention>(workflowIds.retention('local', 'objects'))
      .result();
    expect(sweep).toMatchObject({ cluster: 'local', policy: 'objects', deleted: [] });
    expect(sweep.kept).toContain(backup);
  });

  it("while archiving, the archive's counters signal drives the progress query and the UI's current details", async () => {
    // A worker with the workflows and no activities: the archive activity stays scheduled, so the run stays in its
    // archiving phase for as long as the test needs, and the signal is the test's (the engine sends the same one).
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const taskQueue = uniqueName('workflows-only');
    const worker = await Worker.create({
      connection,
      namespace: await fileNamespace(),
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    const backup = backupName('objects', new Date('2026-04-06T00:00:00Z'));
    try {
      await worker.runUntil(async () => {
        const handle = await tw.client.workflow.start<typeof resourceBackup>('resourceBackup', {
          args: [{ cluster: 'local', policy: 'objects', requestedAt: '2026-04-06T00:00:00Z' }],
          taskQueue,
          workflowId: uniqueName('resource-backup-signalled'),
        });
        try {
          // The first workflow task may still be running: a query waits for none.
          for (let i = 0; i < 50; i++) {
            const ready = await handle.query(resourceBackupProgress).then(
              () => true,
              () => false,
            );
            if (ready) break;
            await new Promise((r) => setTimeout(r, 100));
          }
          const details = async () =>
            (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;
          expect(await handle.query(resourceBackupProgress)).toEqual({
            backup,
            phase: 'archiving',
            resourcesDone: 0,
            resourcesTotal: 0,
            items: 0,
            bytes: 0,
            warnings: 0,
            errors: 0,
          });
          expect(await details()).toBe(
            `**${backup}** (local/objects): discovering the API and listing the resources the policy selects`,
          );
          const counters = {
            resourcesDone: 2,
            resourcesTotal: 9,
            current: 'secrets',
            items: 120,
            bytes: 4096,
            warnings: 1,
            errors: 0,
          };
          await handle.signal(resourceBackupCounters, counters);
          expect(await handle.query(resourceBackupProgress)).toEqual({ backup, phase: 'archiving', ...counters });
          expect(await details()).toBe(
            `**${backup}** (local/objects): resource 3 of 9 (secrets), 120 items, 4096 bytes stored, 1 warning, 0 errors`,
          );
          // Counters replace the last ones whole: between resources there is no current one.
          await handle.signal(resourceBackupCounters, { ...counters, resourcesDone: 3, current: undefined });
          expect(await handle.query(resourceBackupProgress)).not.toHaveProperty('current');
          expect(await details()).toMatch(/: 3 of 9 resources done, 120 items, /);
        } finally {
          await handle.terminate('the test is done');
        }
      });
    } finally {
      await connection.close();
    }
  });

  it("a run of the schedule lifeboat apply made: named from the schedule's nominal time, not one-off", async () => {
    const plan = await applySchedules(tw.client, config, tw.taskQueue, { dryRun: false });
    const id = scheduleIds.resourceBackup('local', 'objects');
    expect(plan.create.map((s) => [s.id, s.workflowType])).toEqual([[id, 'resourceBackup']]);
    const schedule = tw.client.schedule.getHandle(id);
    try {
      await schedule.trigger();
      let action;
      for (let i = 0; i < 100 && !action; i++) {
        action = (await schedule.describe()).info.recentActions[0]?.action;
        if (!action) await new Promise((r) => setTimeout(r, 200));
      }
      if (!action) throw new Error(`schedule ${id} started no run`);
      expect(action.workflow.workflowId.startsWith(id)).toBe(true);
      const run = tw.client.workflow.getHandle<typeof resourceBackup>(
        action.workflow.workflowId,
        action.workflow.firstExecutionRunId,
      );
      const manifest = await run.result();
      expect(manifest.oneOff).toBe(false);
      expect(manifest.backup).toBe(backupName('objects', new Date(manifest.nominalTime)));
      expect(manifest.outcome).toBe('Completed');
      const attributes = (await run.describe()).typedSearchAttributes;
      expect(attributes.get(LifeboatKind)).toBe('resource-backup');
      expect(attributes.get(LifeboatBackup)).toBe(manifest.backup);
      const { keys, uploads } = await bucketState(server, bucket);
      expect(keys).toContain(
        manifestKey({ prefix: 'it', kind: 'resources', cluster: 'local', backup: manifest.backup }),
      );
      expect(uploads).toEqual([]);
    } finally {
      await schedule.delete();
    }
  });

  it("the engine's own counters signal reaches a running backup (recorded: resource-backup-signalled)", async () => {
    // The archive signals its counters on its 5 s heartbeat tick, later than this small backup takes; its listing of
    // ConfigMaps is held until the progress query shows what only that signal can have set, so it fires exactly there.
    const requestedAt = '2026-04-07T00:00:00.000Z';
    const backup = backupName('objects', new Date(requestedAt));
    const workflowId = workflowIds.resourceBackup('local', 'objects', backup);
    let seenWhileHeld: Awaited<ReturnType<typeof queryProgress>> | undefined;
    async function queryProgress() {
      return tw.client.workflow.getHandle(workflowId).query(resourceBackupProgress);
    }
    const release = async () => {
      for (let i = 0; i < 300 && !seenWhileHeld; i++) {
        const progress = await queryProgress();
        if (progress.resourcesTotal > 0) seenWhileHeld = progress;
        else await new Promise((r) => setTimeout(r, 100));
      }
    };
    const base = testDeps(config);
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const taskQueue = uniqueName('signalled');
    const worker = await createLifeboatWorker({
      connection,
      namespace: await fileNamespace(),
      taskQueue,
      deps: {
        ...base,
        clusterApiFor: async (cluster) => holdingFirstList(await base.clusterApiFor(cluster), 'configmaps', release),
      },
      shutdownGraceTime: '1s',
      workflowBundlePath: inject('workflowBundlePath'),
    });
    try {
      await worker.runUntil(async () => {
        const handle = await tw.client.workflow.start<typeof resourceBackup>('resourceBackup', {
          args: [{ cluster: 'local', policy: 'objects', requestedAt }],
          taskQueue,
          workflowId,
        });
        const manifest = await handle.result();
        // Its sweep runs on this worker's task queue (or an earlier one still runs): over before the worker stops.
        await tw.client.workflow.getHandle<typeof retention>(workflowIds.retention('local', 'objects')).result();
        await recordHistory('resource-backup-signalled', handle);

        expect(manifest).toMatchObject({ backup, outcome: 'Completed', counts: { items: 3, errors: 0 } });
        expect(seenWhileHeld, 'the progress query while the ConfigMaps were held').toMatchObject({
          backup,
          phase: 'archiving',
          resourcesTotal: (await handle.query(resourceBackupProgress)).resourcesTotal,
        });
        const history = await handle.fetchHistory();
        const signals = (history.events ?? []).flatMap((e) => {
          const name = e.workflowExecutionSignaledEventAttributes?.signalName;
          return name ? [name] : [];
        });
        expect(signals.length).toBeGreaterThanOrEqual(1);
        expect(new Set(signals)).toEqual(new Set([resourceBackupCounters.name]));
        expect(await secretsInHistory(history, { ...s3SecretKeys(), 'the backed-up Secret': secretValue })).toEqual([]);
      });
    } finally {
      await connection.close();
    }
  });
});
