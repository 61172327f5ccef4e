import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUTO_IMPORT_SECRET, RESTORE_AUTO_IMPORT_LABEL } from '../../core/acm/auto-import.js';
import type { AcmRestoreInput } from '../../core/acm/restore-run.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { FailureTypes, OutcomeTypes } from '../../core/failure-types.js';
import { RESTORED_FROM_LABEL } from '../../core/kube-metadata.js';
import { acmTypedPolicy, backupName, workflowIds } from '../../core/naming.js';
import { activateAcmRestore, approveRestore, type AcmRestoreProgress } from '../../workflows/acm-restore-api.js';
import type { acmRestore } from '../../workflows/index.js';
import { backUpHub, createHubFixture, startPrivateHub, type HubFixture, type PrivateHub } from '../helpers/acm-hub.js';
import { frozenAtCrashPoint, identityOf, workerProcess } from '../helpers/faults.js';
import { activityRuns, recordHistory } from '../helpers/histories.js';
import { waitForProgress } from '../helpers/restore.js';
import { lifeboat } from '../helpers/cli.js';
import { isolatedConfig, startTestWorker, testSecrets, uniqueName, type TestWorker } from '../helpers/stack.js';
import { temporalEnv } from '../helpers/temporal-namespace.js';

// An ACM hub restore (issue 15) of a hub's own backups on the real control plane with the real ACM CRDs: the passive
// data comes back (a deleted Placement and credential Secret reappear, written by the restore identity); the
// activation is refused while the old hub's newest set is recent, and, when the operator says the old hub is gone,
// waits for approval, then restores the managed clusters and writes the imported cluster's auto-import secret from
// its ManagedServiceAccount token. The CLI refuses bad flags and manifests with exit 2 and restores from ACM's own
// Restore YAML. The restore onto a second, empty hub is acm-restore-new-hub.test.ts. The hub is a control plane of
// this file's own: a hub backup selects across the cluster, and on the shared one it would take in other files' objects.

const HUB = 'hub';
const POLICY = 'acm';

/** The operator's restore order, every type restored and activated. */
const EVERY_STEP = ['credentials', 'resources', 'generic', 'generic-active', 'credentials-active', 'managed-clusters'];

describe('ACM hub restore', { timeout: 300_000 }, () => {
  let fixture: HubFixture;
  let config: LifeboatConfig;
  let tw: TestWorker;
  let document: Record<string, unknown>;
  const set = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString();

  let hub: PrivateHub;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    hub = await startPrivateHub('acm-restore-hub');
    core = hub.kc.makeApiClient(CoreV1Api);
    custom = hub.kc.makeApiClient(CustomObjectsApi);
    fixture = await createHubFixture(hub.kc, uniqueName('acmr'));
    const isolated = await isolatedConfig();
    document = {
      ...isolated.config,
      clusters: [
        {
          name: HUB,
          api: { kubeconfig: hub.reader },
          restoreApi: { kubeconfig: hub.restorer },
          labelApi: { kubeconfig: hub.labeller },
        },
      ],
      acmBackups: [
        { name: POLICY, cluster: HUB, location: 'versitygw', schedule: { cron: '0 * * * *' }, noBackupOnStart: true },
      ],
    };
    const result = validateConfig(document);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    tw = await startTestWorker(config);
    await backUpHub(tw, HUB, POLICY, set);
  }, 600_000);

  // A failed test must not leave its run open: the next one starts under the same workflow id.
  afterEach(async () => {
    for (const id of [workflowIds.acmRestore(HUB), workflowIds.resourceRestore(HUB)]) {
      await tw.client.workflow
        .getHandle(id)
        .terminate('test ended')
        .catch(() => undefined);
    }
  });

  afterAll(async () => {
    await tw?.close();
    await hub?.plane.stop();
  });

  const input = (
    request: Partial<AcmRestoreInput['request']>,
    extra: Partial<AcmRestoreInput> = {},
  ): AcmRestoreInput => ({
    hub: HUB,
    fromCluster: HUB,
    request: { credentials: 'latest', resources: 'latest', managedClusters: 'skip', cleanup: 'none', ...request },
    requestedBy: 'test',
    requestedAt: new Date().toISOString(),
    ...extra,
  });
  const run = (i: AcmRestoreInput) =>
    tw.client.workflow.start<typeof acmRestore>('acmRestore', {
      args: [i],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.acmRestore(HUB),
    });
  /** The fixture's Placement, which the tests delete for a restore to bring back. */
  const placementRef = (namespace = fixture.namespaces.apps) => ({
    group: 'cluster.open-cluster-management.io',
    version: 'v1beta1',
    namespace,
    plural: 'placements',
    name: `${fixture.id}-placement`,
  });
  const placement = () =>
    custom.getNamespacedCustomObject(placementRef()) as Promise<{ metadata: { labels?: Record<string, string> } }>;

  it('restores the passive data: deleted objects come back, labelled with the step restore', async () => {
    const { apps, managed } = fixture.namespaces;
    await custom.deleteNamespacedCustomObject(placementRef(apps));
    await core.deleteNamespacedSecret({ name: `${fixture.id}-admin-kubeconfig`, namespace: managed });

    const handle = await run(input({}));
    const result = await handle.result();
    expect(result.results.map((r) => [r.step, r.outcome])).toEqual([
      ['credentials', 'Completed'],
      ['resources', 'Completed'],
      ['generic', 'Completed'],
    ]);
    expect(result.plan?.backups.managedClusters).toBeUndefined();
    expect(result.autoImport).toBeUndefined();
    expect(result.results.find((r) => r.step === 'resources')!.counts.created).toBeGreaterThanOrEqual(1);

    expect((await placement()).metadata.labels?.[RESTORED_FROM_LABEL]).toBe(result.plan!.backups.resources);
    const secret = await core.readNamespacedSecret({ name: `${fixture.id}-admin-kubeconfig`, namespace: managed });
    expect(secret.metadata?.labels?.[RESTORED_FROM_LABEL]).toBe(result.plan!.backups.credentials);
    await recordHistory('acm-restore-passive', handle);
  });

  it('refuses a name that is no backup of its type, and all three skip, before writing anything', async () => {
    for (const [request, message] of [
      [{ credentials: 'nope' }, '--credentials: nope is neither latest, skip nor a credentials backup'],
      [{ credentials: 'skip', resources: 'skip' }, 'all three are skip'],
    ] as const) {
      const failure = await (await run(input(request))).result().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const cause = (failure as WorkflowFailedError).cause as Error & { type?: string };
      expect(cause.type).toBe(FailureTypes.InvalidRestoreRequest);
      expect(cause.message).toContain(message);
    }
  });

  it('refuses the activation while the old hub wrote a recent set; told it is gone, waits for approval, then activates', async () => {
    const { managed, imported, local } = fixture.namespaces;
    const refused = await (await run(input({ managedClusters: 'latest' }))).result().then(
      () => undefined,
      (err: unknown) => err,
    );
    const cause = (refused as WorkflowFailedError).cause as Error & { type?: string };
    expect(cause.type).toBe(FailureTypes.OldHubAlive);
    expect(cause.message).toContain('--old-hub-gone');

    const handle = await run(
      input({ managedClusters: 'latest' }, { oldHubGone: 'test: same hub', requireApproval: true }),
    );
    // The passive data is restored before the gate; nothing of the activation is, until someone approves.
    const waiting = await waitForProgress(handle, (p) => p.waiting?.for === 'approval' && (p as AcmRestoreProgress));
    expect(waiting.results.map((r) => r.step)).toEqual(['credentials', 'resources', 'generic']);
    await expect(core.readNamespacedSecret({ name: AUTO_IMPORT_SECRET, namespace: imported })).rejects.toThrow();
    await handle.executeUpdate(approveRestore, { args: [{ by: 'test' }] });

    const result = await handle.result();
    expect(result.results.map((r) => r.step)).toEqual(EVERY_STEP);
    expect(result.activation).toContain('activating anyway: test: same hub (test)');
    const report = (cluster: string) => result.autoImport!.clusters.find((c) => c.cluster === cluster)!;
    // The Hive cluster has no URL: it reconnects through its restored admin kubeconfig, and the reason says so.
    expect(report(managed)).toMatchObject({ action: 'skipped' });
    expect(report(managed).message).toContain('managedClusterClientConfigs');
    expect(result.autoImport!.clusters.map((c) => c.cluster)).not.toContain(local);
    // The imported cluster gets the auto-import secret the import controller reads: its URL and its MSA token.
    expect(report(imported)).toMatchObject({ action: 'imported' });
    const secret = await core.readNamespacedSecret({ name: AUTO_IMPORT_SECRET, namespace: imported });
    const text = (k: string) => Buffer.from(secret.data![k]!, 'base64').toString('utf8');
    expect([text('server'), text('token'), text('autoImportRetry')]).toEqual([
      fixture.imported.url,
      fixture.imported.token,
      '5',
    ]);
    expect(secret.metadata?.labels?.[RESTORE_AUTO_IMPORT_LABEL]).toBe('true');
    await recordHistory('acm-restore-activated', handle);
  });

  it('lifeboat restore acm: bad flags and manifests exit 2 naming the field; a Restore manifest restores with --follow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acm-restore-cli-'));
    const configFile = join(dir, 'lifeboat.yaml');
    writeFileSync(configFile, stringify(document));
    const restoreFile = (spec: Record<string, unknown>) => {
      const path = join(dir, `restore-${Object.keys(spec).length}-${Math.random().toString(36).slice(2)}.yaml`);
      const manifest = { apiVersion: 'cluster.open-cluster-management.io/v1beta1', kind: 'Restore' };
      writeFileSync(path, stringify({ ...manifest, metadata: { name: 'restore-acm' }, spec }));
      return path;
    };
    const env = { ...temporalEnv(), LIFEBOAT_TASK_QUEUE: tw.taskQueue, ...Object.fromEntries(testSecrets()) };
    const cli = (...args: string[]) => lifeboat(['restore', 'acm', '-c', HUB, ...args, '--config', configFile], env);
    const types = ['--credentials', 'latest', '--resources', 'latest'];
    try {
      for (const [args, field] of [
        [types, '--managed-clusters'],
        [[...types, '--managed-clusters', 'skip', '--cleanup-before-restore', 'sometimes'], '--cleanup-before-restore'],
        [[...types, '--managed-clusters', 'skip', '--cleanup-before-restore', 'all'], '--cleanup-before-restore'],
        [['-f', restoreFile({ veleroCredentialsBackupName: 'latest', colour: 'blue' })], 'spec.colour'],
        [['-f', restoreFile({ veleroCredentialsBackupName: 'latest' })], 'spec.veleroResourcesBackupName'],
        [['--credentials', 'nope', '--resources', 'skip', '--managed-clusters', 'skip', '--follow'], '--credentials'],
        [[...types, '--managed-clusters', 'acm-managed-clusters-20260101000000', '--sync'], '--sync'],
        [['--credentials', 'latest', '--resources', 'skip', '--managed-clusters', 'skip', '--sync'], '--sync'],
      ] as const) {
        const result = await cli(...args);
        expect({ args, code: result.code }).toEqual({ args, code: 2 });
        expect(result.stderr).toContain(field);
      }

      const noHub = await lifeboat(['restore', 'acm', ...types, '--config', configFile], env);
      expect([noHub.code, noHub.stderr]).toEqual([2, expect.stringContaining('--cluster: name the hub')]);

      const restored = await cli(
        '-f',
        restoreFile({
          cleanupBeforeRestore: 'None',
          veleroCredentialsBackupName: 'latest',
          veleroResourcesBackupName: 'skip',
          veleroManagedClustersBackupName: 'skip',
        }),
        '--follow',
      );
      expect(restored.stderr).toContain('credentials');
      expect(restored.code, restored.stdout + restored.stderr).toBe(0);
      expect(restored.stdout).toContain(backupName(acmTypedPolicy(POLICY, 'credentials'), new Date(set)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a passive sync restores a newer backup as it comes, continues as new, and activates on lifeboat restore acm activate', async () => {
    const { apps } = fixture.namespaces;
    const later = `${fixture.id}-later`;
    const placementOf = (name: string) => ({
      group: 'cluster.open-cluster-management.io',
      version: 'v1beta1',
      namespace: apps,
      plural: 'placements',
      name,
    });
    const handle = await run(
      input({ sync: true }, { syncIntervalMs: 1_000, syncRoundsPerRun: 2, oldHubGone: undefined }),
    );
    const first = await waitForProgress(handle, (p) => p.phase === 'sync' && (p as AcmRestoreProgress), 120_000);
    expect(first.results.map((r) => r.step)).toEqual(['credentials', 'resources', 'generic']);
    expect(first.waiting?.for).toBe('activation');

    // A newer set with a Placement the first did not hold; gone from the hub, the sync brings it back.
    await custom.createNamespacedCustomObject({
      group: 'cluster.open-cluster-management.io',
      version: 'v1beta1',
      namespace: apps,
      plural: 'placements',
      body: {
        apiVersion: 'cluster.open-cluster-management.io/v1beta1',
        kind: 'Placement',
        metadata: { name: later, namespace: apps },
        spec: {},
      },
    });
    const newer = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
    expect(newer).not.toBe(set);
    await backUpHub(tw, HUB, POLICY, newer);
    await custom.deleteNamespacedCustomObject(placementOf(later));
    const newerResources = backupName(acmTypedPolicy(POLICY, 'resources'), new Date(newer));
    const synced = await waitForProgress(
      tw.client.workflow.getHandle(workflowIds.acmRestore(HUB)),
      (p) => {
        const progress = p as AcmRestoreProgress;
        const restored = progress.sync?.restored.resources === newerResources;
        return restored && progress.phase === 'sync' && (progress.sync?.rounds ?? 0) >= 3 && progress;
      },
      120_000,
    );
    expect(synced.sync!.restoredRounds).toBeGreaterThanOrEqual(1);
    const back = (await custom.getNamespacedCustomObject(placementOf(later))) as {
      metadata: { labels?: Record<string, string> };
    };
    expect(back.metadata.labels?.[RESTORED_FROM_LABEL]).toBe(newerResources);

    // The hub's own newest set is recent: the activation needs the operator's word that the old hub is gone.
    const env = { ...temporalEnv(), LIFEBOAT_TASK_QUEUE: tw.taskQueue };
    const activated = await lifeboat(
      ['restore', 'acm', 'activate', HUB, '--old-hub-gone', 'test: the same hub', '--by', 'ana'],
      env,
    );
    expect(activated.stdout, activated.stderr).toContain('activation requested by ana');
    expect(activated.code).toBe(0);
    const result = await tw.client.workflow.getHandle<typeof acmRestore>(workflowIds.acmRestore(HUB)).result();
    expect(result.results.map((r) => [r.step, r.outcome])).toEqual(EVERY_STEP.map((s) => [s, 'Completed']));
    expect(result.results.find((r) => r.step === 'resources')!.backup).toBe(newerResources);
    expect(result.sync!.activatedBy).toMatch(/^ana at /);
    expect(result.activation).toContain('activated by ana');
    const latest = tw.client.workflow.getHandle(workflowIds.acmRestore(HUB));
    expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId);
    await recordHistory(
      'acm-restore-sync-rounds',
      tw.client.workflow.getHandle(workflowIds.acmRestore(HUB), handle.firstExecutionRunId),
    );
    await recordHistory('acm-restore-sync-activated', latest);

    const again = await lifeboat(['restore', 'acm', 'activate', HUB], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no ACM hub restore of ${HUB} is running`);
    await custom.deleteNamespacedCustomObject(placementOf(later)).catch(() => undefined);
  });

  it('a passive sync ends on lifeboat restore abort, leaving what it restored', async () => {
    const handle = await run(input({ sync: true }, { syncIntervalMs: 60_000 }));
    await waitForProgress(handle, (p) => p.waiting?.for === 'activation', 120_000);
    const env = { ...temporalEnv(), LIFEBOAT_TASK_QUEUE: tw.taskQueue };
    const aborted = await lifeboat(['restore', 'abort', HUB, '--kind', 'acm', '--reason', 'test'], env);
    expect(aborted.code).toBe(0);
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as Error & { type?: string };
    expect(cause.type).toBe(OutcomeTypes.RestoreAborted);
    expect(cause.message).toContain('steps credentials, resources');
  });

  it('an activation sent while the sync still restores its first steps is taken as soon as the sync begins', async () => {
    const handle = await run(input({ sync: true }, { syncIntervalMs: 600_000, oldHubGone: 'test: the same hub' }));
    // Before the first step's restore has ended: the handler must already be there.
    const answer = await handle.executeUpdate(activateAcmRestore, { args: [{ by: 'early' }] });
    expect(answer).toContain('activation requested by early');
    const twice = await handle.executeUpdate(activateAcmRestore, { args: [{ by: 'late' }] }).catch((e: unknown) => e);
    expect(String((twice as Error & { cause?: Error }).cause?.message ?? twice)).toContain(
      'already activated by early',
    );
    const result = await handle.result();
    expect(result.sync!.rounds).toBe(0);
    expect(result.sync!.activatedBy).toMatch(/^early at /);
    expect(result.results.map((r) => r.step)).toEqual(EVERY_STEP);
  });

  it('a worker SIGKILLed while a step restores: the survivor finishes that step and the rest, each step once', async () => {
    const { apps } = fixture.namespaces;
    await custom.deleteNamespacedCustomObject(placementRef(apps));
    const taskQueue = uniqueName('acm-crash');
    const crashing = workerProcess(config, taskQueue, testSecrets(), { crashPoint: 'after:restoreResourceStep' });
    const survivor = workerProcess(config, taskQueue, testSecrets(), {});
    try {
      await crashing.start();
      const handle = await tw.client.workflow.start<typeof acmRestore>('acmRestore', {
        args: [input({})],
        taskQueue,
        workflowId: workflowIds.acmRestore(HUB),
      });
      // The credentials step's first resource step has written, and the server has not heard of it.
      await frozenAtCrashPoint(crashing, 'restoreResourceStep');
      await crashing.kill();
      await survivor.start();
      const result = await handle.result();
      expect(result.results.map((r) => [r.step, r.outcome, r.counts.failed])).toEqual([
        ['credentials', 'Completed', 0],
        ['resources', 'Completed', 0],
        ['generic', 'Completed', 0],
      ]);
      expect((await placement()).metadata.labels?.[RESTORED_FROM_LABEL]).toBe(result.plan!.backups.resources);

      // Each step's child ran once; the one the worker died in retried its activity on the survivor.
      const history = await handle.fetchHistory();
      const children = (history.events ?? []).flatMap((e) => {
        const started = e.childWorkflowExecutionStartedEventAttributes;
        return started ? [started.workflowExecution!.runId!] : [];
      });
      expect(children).toHaveLength(3);
      const first = await tw.client.workflow.getHandle(workflowIds.resourceRestore(HUB), children[0]).fetchHistory();
      expect(activityRuns(first, 'restoreResourceStep')[0]).toMatchObject({
        identity: identityOf(survivor),
        lastTimeout: temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
      });
    } finally {
      await crashing.kill().catch(() => undefined);
      await survivor.kill().catch(() => undefined);
    }
  });
});
