import { AppsV1Api } from '@kubernetes/client-node';
import { WorkflowFailedError } from '@temporalio/client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { EtcdBackupManifest } from '../../core/manifest.js';
import { TENANT_NAMES } from '../../devstack/kube/etcd-tenant.js';
import { lifeboat } from '../helpers/cli.js';
import { workflowIds } from '../../core/naming.js';
import {
  backUp,
  clusterState,
  createRestoreTenant,
  createTenantSchedule,
  restoreWorkflowId,
  waitForProgress,
  type RestoreTenant,
} from '../helpers/restore.js';
import { secretsInHistory, secretsInText } from '../helpers/secrets.js';
import { startTestWorker, testSecrets, type TestWorker } from '../helpers/stack.js';
import { temporalEnv } from '../helpers/temporal-namespace.js';

const stepsOfTheRestore = [
  'preflight',
  'approval',
  'pause-schedules',
  'pause-control-plane',
  'scale-etcd-down',
  'delete-volumes',
  'restore-members',
  'scale-etcd-up',
  'wait-for-quorum',
  'verify-revision',
  'mark-initialized',
  'unpause-control-plane',
  'resume-schedules',
];

// `lifeboat restore ...` run as a subprocess, as an operator runs it, against a real tenant on the local stack.
describe('lifeboat restore against the real stack', { timeout: 600_000 }, () => {
  let tenant: RestoreTenant;
  let tw: TestWorker;
  let env: Record<string, string>;
  let configFile: string;
  let manifest: EtcdBackupManifest;
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-restore-cli-'));

  beforeAll(async () => {
    tenant = await createRestoreTenant('rcli', {
      // Same tenant, but its restore Jobs run an image without etcdutl: the restore waits for an operator.
      variants: [{ suffix: 'broken', restore: { backoffLimit: 0, image: 'busybox:1.36' } }],
    });
    tw = await startTestWorker(tenant.config);
    await createTenantSchedule(tw.client, tenant, tw.taskQueue);
    configFile = join(dir, 'lifeboat.yaml');
    writeFileSync(configFile, stringify(tenant.config));
    env = {
      ...temporalEnv(),
      LIFEBOAT_TASK_QUEUE: tw.taskQueue,
      ...Object.fromEntries(testSecrets()),
    };
    const etcd = await tenant.etcd();
    await etcd.put('/registry/before', 'kept');
    etcd.close();
    manifest = await backUp(tw.client, tenant, tw.taskQueue, '2026-09-01T00:00:00.000Z');
  }, 300_000);

  afterAll(async () => {
    await tw?.close();
    await tenant?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** clusterState plus the identities a dry run must not change: the StatefulSet's and the Deployment's uids. */
  async function identities() {
    const apps = tenant.kc.makeApiClient(AppsV1Api);
    const sts = await apps.readNamespacedStatefulSet({ namespace: tenant.namespace, name: TENANT_NAMES.statefulSet });
    const apiserver = await apps.readNamespacedDeployment({
      namespace: tenant.namespace,
      name: TENANT_NAMES.apiserver,
    });
    return {
      ...(await clusterState(tw.client, tenant)),
      statefulSetUid: sts.metadata?.uid,
      statefulSetGeneration: sts.metadata?.generation,
      deploymentUid: apiserver.metadata?.uid,
      deploymentGeneration: apiserver.metadata?.generation,
    };
  }

  it('bad input exits 2 naming the problem; status of a cluster never restored says so', async () => {
    const unknown = await lifeboat(
      ['restore', 'etcd', '--cluster', 'ghost', '--backup', 'latest', '-f', configFile],
      env,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      `No cluster "ghost" in ${configFile} (known: ${tenant.cluster}, ${tenant.cluster}-broken)`,
    );

    const both = await lifeboat(
      ['restore', 'etcd', '-c', tenant.cluster, '--backup', 'latest', '--from', 's3://x/y', '-f', configFile],
      env,
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('either --backup or --from, not both');

    const foreignBucket = await lifeboat(
      ['restore', 'etcd', '-c', tenant.cluster, '--from', 's3://no-such-bucket/snap.db', '-f', configFile],
      env,
    );
    expect(foreignBucket.code).toBe(2);
    expect(foreignBucket.stderr).toContain('No storage location has bucket no-such-bucket');

    const never = await lifeboat(['restore', 'status', tenant.cluster], env);
    expect(never.code).toBe(2);
    expect(never.stderr).toContain(`No restore has run for cluster ${tenant.cluster}`);
  });

  it('--dry-run prints the plan with the point of no return and leaves the cluster untouched', async () => {
    const before = await identities();
    const dry = await lifeboat(
      ['restore', 'etcd', '--cluster', tenant.cluster, '--backup', 'latest', '--dry-run', '-f', configFile],
      env,
    );
    expect(dry.stderr).not.toMatch(/^error/m);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`Restore plan for cluster ${tenant.cluster} (dry run: nothing was changed)`);
    expect(dry.stdout).toContain(manifest.backup);
    expect(dry.stdout).toContain(`${manifest.etcd.revision}, restored at`);
    for (const member of ['etcd-0', 'etcd-1', 'etcd-2']) expect(dry.stdout).toContain(member);
    expect(dry.stdout).toMatch(/5 +│ delete-volumes +│ PersistentVolumeClaim [^│]*│ POINT OF NO RETURN/);
    expect(dry.stdout).toMatch(/1 +│ preflight +│[^│]*│ rolls back/);
    // The dry run reads the bucket with the S3 keys and etcd with the client TLS key: it prints neither. (An empty
    // secret would match nothing, so the check would pass without looking.)
    const secrets = await tenant.secrets();
    for (const [label, value] of Object.entries(secrets)) expect(value.trim().length, label).toBeGreaterThanOrEqual(16);
    expect(secretsInText('restore etcd --dry-run', dry.stdout + dry.stderr, secrets)).toEqual([]);
    expect(await identities()).toEqual(before);
    const never = await lifeboat(['restore', 'status', tenant.cluster], env);
    expect(never.code).toBe(2);
  });

  it('restore etcd --follow waits for approval, refuses a second restore, completes after approve; status shows it', async () => {
    const etcd = await tenant.etcd();
    await etcd.put('/registry/after', 'written after the backup');
    etcd.close();
    const cluster = tenant.cluster;

    const following = lifeboat(
      ['restore', 'etcd', '-c', cluster, '--backup', 'latest', '--require-approval', '--follow', '-f', configFile],
      env,
    );
    const handle = tw.client.workflow.getHandle(restoreWorkflowId(tenant));
    await waitForProgress(handle, (p) => p.waiting?.for === 'approval');

    const second = await lifeboat(['restore', 'etcd', '-c', cluster, '--backup', 'latest', '-f', configFile], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`already running (workflow etcd-restore/${cluster})`);
    expect(second.stderr).toContain(`lifeboat restore status ${cluster}`);

    const waiting = await lifeboat(['restore', 'status', cluster], env);
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toMatch(/^status +running$/m);
    expect(waiting.stdout).toContain('waiting-for-approval');
    expect(waiting.stdout).toContain(`Waiting for approval: lifeboat restore approve ${cluster}`);

    const notWaitingForOperator = await lifeboat(['restore', 'retry', cluster], env);
    expect(notWaitingForOperator.code).toBe(1);
    expect(notWaitingForOperator.stderr).toContain('no step is waiting for an operator to retry it');

    const approved = await lifeboat(['restore', 'approve', cluster, '--by', 'cli-test'], env);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved by cli-test');

    const run = await following;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`restore of ${cluster} completed`);
    expect(run.stdout).toContain(manifest.backup);
    expect(run.stderr).toContain(`waiting for approval: lifeboat restore approve ${cluster}`);
    for (const step of stepsOfTheRestore) expect(run.stderr).toMatch(new RegExp(`s  ${step} +done \\(\\d`));

    const restored = await tenant.etcd();
    try {
      expect(await restored.prefix('/registry/before')).toEqual({ '/registry/before': 'kept' });
      expect(await restored.prefix('/registry/after')).toEqual({});
    } finally {
      restored.close();
    }

    const done = await lifeboat(['restore', 'status', cluster], env);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^status +completed$/m);
    expect(done.stdout).toMatch(/^approved by +cli-test$/m);
    for (const step of stepsOfTheRestore) expect(done.stdout).toMatch(new RegExp(`│ ${step}[^│]*│ done`));

    const late = await lifeboat(['restore', 'approve', cluster], env);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/No restore of \S+ is running \(etcd-restore\/\S+ completed\)/);

    const secrets = await tenant.secrets();
    expect(secretsInText('restore etcd --follow', run.stdout + run.stderr, secrets)).toEqual([]);
    expect(secretsInText('restore status', done.stdout + done.stderr, secrets)).toEqual([]);
    expect(await secretsInHistory(await handle.fetchHistory(), secrets)).toEqual([]);
  });

  it('a backup that does not exist: --dry-run exits 2; --follow exits 1 with nothing changed, and status exits 1', async () => {
    const cluster = tenant.cluster;
    const before = await identities();
    const dry = await lifeboat(
      ['restore', 'etcd', '-c', cluster, '--backup', 'nope', '--dry-run', '-f', configFile],
      env,
    );
    expect(dry.code, dry.stderr).toBe(2);
    expect(dry.stderr).toContain(`cluster ${cluster}: no backup named nope (newest: ${manifest.backup}`);

    const run = await lifeboat(
      ['restore', 'etcd', '-c', cluster, '--backup', 'nope', '--follow', '-f', configFile],
      env,
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(
      `restore of ${cluster} failed (BackupNotFound): restore of ${cluster} refused in planning: cluster ${cluster}: no backup named nope`,
    );
    expect(run.stderr).toContain('Nothing was changed.');
    expect(await identities()).toEqual(before);

    const status = await lifeboat(['restore', 'status', cluster], env);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^status +failed$/m);
    expect(status.stdout).toContain(`Failed (BackupNotFound): restore of ${cluster} refused in planning`);
    expect(status.stderr).toContain(`the last restore of ${cluster} did not complete`);
  });

  // Leaves the tenant paused (the point of abort): no test after it restores.
  it('restore abort through the CLI ends a restore waiting for an operator: abort exits 0, --follow and status exit 1', async () => {
    const broken = `${tenant.cluster}-broken`;
    // The variant has no backup policy of its own: it names the object.
    const from = `s3://${tenant.bucket}/${manifest.object.key}`;
    const following = lifeboat(['restore', 'etcd', '-c', broken, '--from', from, '--follow', '-f', configFile], env);
    const handle = tw.client.workflow.getHandle(workflowIds.etcdRestore(broken));
    await waitForProgress(handle, (p) => p.waiting?.for === 'operator');

    const waiting = await lifeboat(['restore', 'status', broken], env);
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toMatch(/^status +running$/m);
    expect(waiting.stdout).toMatch(/^phase +waiting-for-operator$/m);
    expect(waiting.stdout).toContain(
      `Waiting for operator: lifeboat restore retry ${broken}   or   lifeboat restore abort ${broken}`,
    );

    const aborted = await lifeboat(['restore', 'abort', broken, '--by', 'cli-test', '--reason', 'wrong image'], env);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(aborted.stdout).toContain(`restore of ${broken}: abort requested by cli-test`);

    const run = await following;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `restore of ${broken} failed (RestoreAborted): restore of ${broken} stopped at "restore-members" after the ` +
        'point of no return: aborted by cli-test (wrong image)',
    );
    expect(run.stderr).toMatch(/restore-members +waiting/);
    const err: unknown = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as { type?: string }).type).toBe('RestoreAborted');
    // Paused as the message says, not rolled back.
    const paused = await clusterState(tw.client, tenant);
    expect([paused.etcdReplicas, paused.apiserverReplicas]).toEqual([0, 0]);

    const status = await lifeboat(['restore', 'status', broken], env);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^status +failed$/m);
    expect(status.stdout).toContain(`Failed (RestoreAborted): restore of ${broken} stopped at "restore-members"`);

    const secrets = await tenant.secrets();
    expect(secretsInText('restore etcd --follow', run.stdout + run.stderr, secrets)).toEqual([]);
    expect(await secretsInHistory(await handle.fetchHistory(), secrets)).toEqual([]);
  });

  it('every restore command has --help with an example', async () => {
    for (const command of ['etcd', 'status', 'approve', 'retry', 'abort']) {
      const help = await lifeboat(['restore', command, '--help'], env);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toContain(`Usage: lifeboat restore ${command}`);
      expect(help.stdout, command).toMatch(/Examples?:\n {2}lifeboat restore /);
    }
  });
});
