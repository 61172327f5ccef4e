import { KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { DEFAULT_PAGE_SIZE } from '../activities/kube/list-pages.js';
import { GZIP_LEVEL } from '../activities/resource-backup/stream.js';
import { buildDist } from '../build/bundle.js';
import { repoRoot } from '../build/repo-root.js';
import type { AcmBackupType } from '../core/acm/backup-selection.js';
import type { AcmRestoreRequest } from '../core/acm/restore-plan.js';
import { NEVER_RESTORED_BY_ACM } from '../core/acm/restore-plan.js';
import { backupName, workflowIds } from '../core/naming.js';
import { RESTORE_CONCURRENCY } from '../core/resources/restore-run.js';
import { startControlPlane, type ControlPlane } from '../devstack/kube/control-plane.js';
import {
  grantCredentialLabellerAccess,
  grantResourceReaderAccess,
  grantResourceRestorerAccess,
  grantWorkerAccess,
} from '../devstack/kube/worker-access.js';
import { freePorts } from '../devstack/ports.js';
import { ManagedProcess } from '../devstack/process.js';
import { ensureBucket } from '../devstack/s3-bucket.js';
import { startVelero, type Velero, type VeleroBackup, type VeleroRestore } from '../devstack/servers/velero.js';
import { ensureAcmCrds, installAcmCrds } from '../devstack/tools/acm-crds.js';
import { consoleProgress, ensureTools } from '../devstack/tools/build.js';
import { workerProcessSpec } from '../devstack/worker-process.js';
import type { acmBackup, acmRestore } from '../workflows/index.js';
import {
  childTimeline,
  listTyped,
  planTypedBackups,
  restorableObjects,
  veleroSelectionFlags,
  type TypedPlan,
} from './lib/acm-floor.js';
import { createAll, expectedCounts, hubBase, loadClusters, namespaceObject } from './lib/acm-hub-load.js';
import { RawApi } from './lib/resource-load.js';
import { killNow, startBenchServers } from './lib/servers.js';
import { procStatusMiB, rate, say } from './lib/stats.js';
import { inBenchDir, type Teardown } from './lib/teardown.js';
import { benchWorkerLaunch, describeWorkerLaunch, launchOptionsFrom } from './lib/worker-launch.js';

/**
 * bench/acm-hub: an ACM (Open Cluster Management) hub backup and restore at ACM's own published scale (issue 15), in
 * one run on one machine, against the floor the API sets and against stock Velero.
 *   Load: a simulated hub on a real kube-apiserver+etcd with the real ACM/Hive CRDs, --clusters managed clusters in
 *   ACM's published proportions (bench/lib/acm-hub-load.ts: per cluster ~15 managed-cluster items, 8 credential items,
 *   ~4.25 hub resources, and objects no type holds), created by raw POSTs with 48 in flight.
 *   (a) Lifeboat: one acmBackup set of the hub (planning, credential labelling as the credential-labeller identity, the
 *       four typed backups as the resource-reader identity), the production-built worker as a child process (a fresh
 *       one per run; its VmHWM is that run's peak RSS), timed from the workflow's start to its close; per type from
 *       each child workflow's initiation to its close. Then acmRestore of that set onto a new, empty hub (a second
 *       control plane with only the ACM CRDs; every type latest, `oldHubGone: 'bench'` so the activation runs) as the
 *       restore identity, timed likewise; items are the step results' created + updated + unchanged.
 *   (b) the floor: for the backup, exactly the LISTs the typed backups make (their listing plans computed beforehand
 *       with Lifeboat's own acmSelection and planListing from the hub's discovery, bench/lib/acm-floor.ts), paged at
 *       the backup's page size, each page gzipped at the archive's level and thrown away, as listFloor; a warm-up pass
 *       nobody times goes first. For the restore, the objects the typed backups hold (read from the hub beforehand,
 *       the fields the API server sets removed) POSTed by a plain client with RESTORE_CONCURRENCY in flight, their
 *       namespaces first, into a third control plane started for it (and stopped after), so neither restore meets
 *       the other's objects.
 *   (c) stock Velero v1.18.3 (default server flags) on a hub of the first --velero-clusters clusters: the bench loads
 *       those first and, before loading the rest, takes Velero's four backups of them with the typed backups' exact
 *       filters (resources, excluded resources, namespaces, cluster-scope, selector or or-selector: what the
 *       cluster-backup-operator asks of Velero; the local-cluster ManagedCluster, which Lifeboat's selection drops by
 *       item, is one extra item for Velero), and the same subset through Lifeboat: an acmBackup of the same control
 *       plane under a second cluster name (its own history), and the floor's LISTs of it. Velero's restores go into a
 *       fourth fresh plane with the ACM CRDs, a Velero server started there reading the same bucket (as after a hub
 *       loss), one restore per type in the operator's order, existing-resource-policy update and the ACM restore's
 *       excluded kinds, timed by the CLI's --wait; Lifeboat's restore of the subset set goes into a fifth. A namespace
 *       mapping onto the hub, as bench/resource-restore.ts does, would not do here: ManagedClusters, ClusterImageSets
 *       and ManagedClusterSets are cluster-scoped and would all exist already.
 * The summary compares items/s, each tool's items as it counts them: Velero's counts include the Namespace objects it
 * adds to a backup and creates on a restore (Lifeboat's typed backups hold none: no type includes `namespaces`), so
 * its item counts run a little above Lifeboat's for the same selection. ACM's published figures are printed for
 * reference (they are OADP/Velero's on a real hub). Options: --clusters N (3500), --velero-clusters M (350; 0 skips Velero and the subset), --keep,
 * --cpu-prof DIR and --worker-node-flags "..." (as bench/resources.ts).
 */
const { values: args } = parseArgs({
  options: {
    clusters: { type: 'string', default: '3500' },
    'velero-clusters': { type: 'string', default: '350' },
    keep: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'worker-node-flags': { type: 'string' },
  },
});
const launchOptions = launchOptionsFrom(args);
const CLUSTERS = Number(args.clusters);
const VELERO_CLUSTERS = Number(args['velero-clusters']);
for (const [flag, value, min] of [
  ['--clusters', CLUSTERS, 1],
  ['--velero-clusters', VELERO_CLUSTERS, 0],
] as const)
  if (!Number.isInteger(value) || value < min) throw new Error(`${flag} must be a whole number >= ${min}`);
const SUBSET = Math.min(VELERO_CLUSTERS, CLUSTERS);
const LOAD_CONCURRENCY = 48;
const HUB = 'hub';
const SUB_HUB = 'hub-subset';
const POLICY = 'acm';
const SUB_POLICY = 'acm-subset';
/** ACM's published scale: items backed up and seconds, per type (issue 15). */
const PUBLISHED = [
  { type: 'managed-clusters', items: 51_422, seconds: 186 },
  { type: 'credentials', items: 29_387, seconds: 105 },
  { type: 'resources', items: 14_886, seconds: 55 },
] as const;
const EVERYTHING: AcmRestoreRequest = {
  credentials: 'latest',
  resources: 'latest',
  managedClusters: 'latest',
  cleanup: 'none',
};

interface Timed {
  seconds: number;
  items: number;
}
interface BackupRun extends Timed {
  typed: { type: AcmBackupType; backup: string; items: number; seconds: number; outcome: string }[];
  labelled: number;
  peakRssMiB: number;
}
interface RestoreRun extends Timed {
  failed: number;
  steps: { step: string; items: number; failed: number; seconds: number; outcome: string }[];
  activation: string;
  peakRssMiB: number;
}
interface FloorBackup extends Timed {
  byType: Record<string, Timed>;
}

const perSecond = (t: Timed) => t.items / t.seconds;
const x = (n: number) => `${n.toFixed(1)}x`;

async function run(dir: string, teardown: Teardown): Promise<void> {
  const tools = await ensureTools(consoleProgress(), [
    'etcd',
    'kubernetes',
    'versitygw',
    'temporal',
    ...(SUBSET > 0 ? ['velero'] : []),
  ]);
  const crds = await ensureAcmCrds();
  const bucket = 'bench';
  say('building the worker as production runs it (npm run build); starting Temporal, versitygw and Kubernetes...');
  const dist = join(dir, 'dist');
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  const { temporalPort, s3, plane, kubeDir } = await startBenchServers(tools, dir, teardown, {
    alongside: buildDist(dist, new DefaultLogger('WARN')),
  });
  await ensureBucket(s3, bucket);
  const adminOf = (p: ControlPlane) => {
    const kc = new KubeConfig();
    kc.loadFromFile(p.adminKubeconfig);
    return kc;
  };
  const rawOf = (p: ControlPlane) => {
    const api = new RawApi({
      server: p.server,
      caFile: p.pki.ca.cert,
      certFile: p.pki.admin.cert,
      keyFile: p.pki.admin.key,
    });
    teardown.add(`API connections to ${p.server}`, () => api.close());
    return api;
  };
  await installAcmCrds(adminOf(plane), crds);
  await grantWorkerAccess(plane, kubeDir);
  const readerKubeconfig = await grantResourceReaderAccess(plane, kubeDir);
  const labellerKubeconfig = await grantCredentialLabellerAccess(plane, kubeDir);
  const api = rawOf(plane);

  /** A fresh empty control plane with the ACM CRDs (a new hub); stopped by `stop`, or by the teardown. */
  const startPlane = async (name: string, grants: boolean) => {
    const [apiServerPort, etcdClientPort, etcdPeerPort, schedulerPort] = (await freePorts(4)) as [
      number,
      number,
      number,
      number,
    ];
    const dataDir = join(dir, name);
    const starting = startControlPlane({ tools, dataDir, apiServerPort, etcdClientPort, etcdPeerPort, schedulerPort });
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await (await starting.catch(() => undefined))?.stop();
    };
    teardown.add(`control plane ${name}`, stop);
    const p = await starting;
    teardown.atExit(() => killNow(p.processes));
    await installAcmCrds(adminOf(p), crds);
    let access: { api: { kubeconfig: string }; restoreApi: { kubeconfig: string } } | undefined;
    if (grants) {
      await grantWorkerAccess(p, dataDir);
      const [reader, restorer] = await Promise.all([
        grantResourceReaderAccess(p, dataDir),
        grantResourceRestorerAccess(p, dataDir),
      ]);
      access = { api: { kubeconfig: reader }, restoreApi: { kubeconfig: restorer } };
    }
    return { plane: p, access, stop };
  };

  const configFile = join(dir, 'lifeboat.yaml');
  const hubAccess = { api: { kubeconfig: readerKubeconfig }, labelApi: { kubeconfig: labellerKubeconfig } };
  const clusters: Record<string, unknown>[] = [
    { name: HUB, ...hubAccess },
    { name: SUB_HUB, ...hubAccess },
  ];
  /** Read by each worker when it starts: every cluster known by then (restore targets join as their planes start). */
  const writeConfig = () =>
    writeFileSync(
      configFile,
      stringify({
        apiVersion: 'lifeboat.dev/v1alpha1',
        kind: 'LifeboatConfig',
        storageLocations: [
          {
            name: 'bench',
            endpoint: s3.endpoint,
            bucket,
            credentials: { accessKeyIdEnv: 'BENCH_KEY', secretAccessKeyEnv: 'BENCH_SECRET' },
          },
        ],
        clusters,
        acmBackups: [
          { name: POLICY, cluster: HUB, location: 'bench' },
          { name: SUB_POLICY, cluster: SUB_HUB, location: 'bench' },
        ],
      }),
    );
  const workerEnv = {
    HOME: dir,
    LIFEBOAT_CONFIG: configFile,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    LIFEBOAT_TASK_QUEUE: 'bench',
    BENCH_KEY: s3.accessKeyId,
    BENCH_SECRET: s3.secretAccessKey,
  };
  const connection = await Connection.connect({ address: workerEnv.TEMPORAL_ADDRESS });
  teardown.add('Temporal client', () => connection.close());
  const temporal = new Client({ connection });
  let runIndex = 0;
  const base = Math.floor(Date.now() / 1000) * 1000;
  const nextTime = () => new Date(base + 1000 * runIndex++);
  const withWorker = async <T>(use: (pid: number) => Promise<T>): Promise<T> => {
    writeConfig();
    const worker = new ManagedProcess(
      workerProcessSpec(benchWorkerLaunch(dist, launchOptions), {
        env: workerEnv,
        logFile: join(dir, `worker-${runIndex}.log`),
      }),
    );
    await worker.start();
    try {
      return await use(worker.pid!);
    } finally {
      await worker.stop();
    }
  };

  const lifeboatBackup = (cluster: string, policy: string): Promise<BackupRun> =>
    withWorker(async (pid) => {
      const requestedAt = nextTime();
      const handle = await temporal.workflow.start<typeof acmBackup>('acmBackup', {
        taskQueue: 'bench',
        workflowId: workflowIds.acmBackup(cluster, policy, backupName(policy, requestedAt)),
        args: [{ cluster, policy, requestedAt: requestedAt.toISOString() }],
      });
      const progress = await handle.result();
      const described = await handle.describe();
      const children = childTimeline(await handle.fetchHistory());
      const typed = progress.typed.map((t, i) => ({
        type: t.type,
        backup: t.backup,
        items: t.items ?? 0,
        outcome: t.outcome ?? '?',
        seconds: children[i]?.seconds ?? NaN,
      }));
      return {
        seconds: (described.closeTime!.getTime() - described.startTime.getTime()) / 1000,
        items: typed.reduce((sum, t) => sum + t.items, 0),
        typed,
        labelled: progress.labels?.labelled.length ?? 0,
        peakRssMiB: procStatusMiB(pid, 'VmHWM'),
      };
    });
  const lifeboatRestore = (hub: string, fromCluster: string): Promise<RestoreRun> =>
    withWorker(async (pid) => {
      const requestedAt = nextTime();
      const handle = await temporal.workflow.start<typeof acmRestore>('acmRestore', {
        taskQueue: 'bench',
        workflowId: workflowIds.acmRestore(hub),
        args: [
          {
            hub,
            fromCluster,
            request: EVERYTHING,
            oldHubGone: 'bench',
            requestedBy: 'bench',
            requestedAt: requestedAt.toISOString(),
          },
        ],
      });
      const result = await handle.result();
      const described = await handle.describe();
      const children = childTimeline(await handle.fetchHistory());
      const steps = result.results.map((r, i) => ({
        step: r.step,
        items: r.counts.created + r.counts.updated + r.counts.unchanged,
        failed: r.counts.failed,
        outcome: r.outcome,
        seconds: children[i]?.seconds ?? NaN,
      }));
      return {
        seconds: (described.closeTime!.getTime() - described.startTime.getTime()) / 1000,
        items: steps.reduce((sum, s) => sum + s.items, 0),
        failed: steps.reduce((sum, s) => sum + s.failed, 0),
        steps,
        activation: result.activation ?? 'no activation',
        peakRssMiB: procStatusMiB(pid, 'VmHWM'),
      };
    });
  const floorBackup = async (typed: TypedPlan[]): Promise<FloorBackup> => {
    const byType: Record<string, Timed> = {};
    const started = performance.now();
    for (const t of typed) {
      const from = performance.now();
      const items = await listTyped(api, t, DEFAULT_PAGE_SIZE, GZIP_LEVEL);
      byType[t.type] = { items, seconds: (performance.now() - from) / 1000 };
    }
    const seconds = (performance.now() - started) / 1000;
    return { seconds, items: Object.values(byType).reduce((sum, t) => sum + t.items, 0), byType };
  };
  const describeBackup = (r: BackupRun) =>
    r.typed.map((t) => `${t.type} ${t.items} in ${t.seconds.toFixed(2)}s (${rate(t.items, t.seconds)})`).join(', ');
  const describeFloor = (f: FloorBackup) =>
    Object.entries(f.byType)
      .map(([type, t]) => `${type} ${t.items} in ${t.seconds.toFixed(2)}s`)
      .join(', ');

  say(`loading the hub's own objects and the first ${SUBSET || CLUSTERS} of ${CLUSTERS} managed clusters...`);
  let loadStarted = performance.now();
  let loaded = await createAll(api, hubBase(CLUSTERS), LOAD_CONCURRENCY);
  loaded += await loadClusters(api, { from: 0, to: SUBSET || CLUSTERS, total: CLUSTERS }, LOAD_CONCURRENCY, (d) =>
    say(`  ${d} objects`),
  );
  let loadSeconds = (performance.now() - loadStarted) / 1000;

  let subset:
    | {
        lifeboat: BackupRun;
        floor: FloorBackup;
        velero: { backups: (Timed & { type: string; phase: string })[]; serverArgs: string[] };
      }
    | undefined;
  if (SUBSET > 0) {
    say(`[subset: ${SUBSET} clusters] planning the typed backups' LISTs; floor, Lifeboat, then Velero...`);
    const typed = await planTypedBackups(plane.adminKubeconfig, api);
    await floorBackup(typed); // warm-up, untimed
    const floor = await floorBackup(typed);
    say(`  (b) floor: ${floor.seconds.toFixed(2)}s, ${floor.items} items: ${describeFloor(floor)}`);
    const lifeboat = await lifeboatBackup(SUB_HUB, SUB_POLICY);
    say(
      `  (a) lifeboat: ${lifeboat.seconds.toFixed(2)}s, ${lifeboat.items} items: ${describeBackup(lifeboat)}; ` +
        `worker peak RSS ${lifeboat.peakRssMiB.toFixed(0)} MiB`,
    );
    const veleroDir = join(dir, 'velero-backup');
    mkdirSync(veleroDir, { recursive: true });
    const velero = await startVelero({
      tools: { velero: tools.velero, plugin: tools['velero-plugin-for-aws'] },
      kubeconfig: plane.adminKubeconfig,
      dataDir: veleroDir,
      store: s3,
      locations: [{ name: 'default', bucket, prefix: 'velero', default: true }],
    });
    teardown.add('Velero (backups)', () => velero.stop());
    const backups: (Timed & { type: string; phase: string })[] = [];
    for (const t of typed) {
      const name = `acm-${t.type}-subset`;
      const started = performance.now();
      await velero.cli(
        [
          'backup',
          'create',
          name,
          '--storage-location',
          'default',
          ...veleroSelectionFlags(t.selection),
          '--snapshot-volumes=false',
          '--wait',
        ],
        3_600_000,
      );
      const seconds = (performance.now() - started) / 1000;
      const got = itemsOf<VeleroBackup>(await velero.cli(['backup', 'get', name, '-o', 'json']))[0];
      backups.push({
        type: t.type,
        seconds,
        items: got?.status?.progress?.itemsBackedUp ?? 0,
        phase: got?.status?.phase ?? '?',
      });
      say(
        `  (c) velero backup ${name}: ${seconds.toFixed(2)}s, ${backups.at(-1)!.items} items, ${backups.at(-1)!.phase}`,
      );
    }
    const serverArgs = velero.serverArgs;
    await velero.stop();
    subset = { lifeboat, floor, velero: { backups, serverArgs } };
  }

  if (SUBSET > 0 && SUBSET < CLUSTERS) {
    say(`loading managed clusters ${SUBSET}..${CLUSTERS}...`);
    loadStarted = performance.now();
    loaded += await loadClusters(api, { from: SUBSET, to: CLUSTERS, total: CLUSTERS }, LOAD_CONCURRENCY, (d) =>
      say(`  ${d} objects`),
    );
    loadSeconds += (performance.now() - loadStarted) / 1000;
  }
  say(`  loaded ${loaded} objects in ${loadSeconds.toFixed(1)}s`);

  say(`[whole hub: ${CLUSTERS} clusters] planning the typed backups' LISTs; floor, then Lifeboat...`);
  const typed = await planTypedBackups(plane.adminKubeconfig, api);
  await floorBackup(typed); // warm-up, untimed
  const floor = await floorBackup(typed);
  say(`  (b) floor: ${floor.seconds.toFixed(2)}s, ${floor.items} items: ${describeFloor(floor)}`);
  const backup = await lifeboatBackup(HUB, POLICY);
  say(
    `  (a) lifeboat: ${backup.seconds.toFixed(2)}s, ${backup.items} items: ${describeBackup(backup)}; ` +
      `${backup.labelled} labels set; worker peak RSS ${backup.peakRssMiB.toFixed(0)} MiB, ` +
      `load average ${loadavg()[0]!.toFixed(1)}`,
  );

  say('restoring onto a new, empty hub (a second control plane with the ACM CRDs) with Lifeboat...');
  const newHub = await startPlane('new-hub', true);
  clusters.push({ name: 'new-hub', ...newHub.access });
  const restore = await lifeboatRestore('new-hub', HUB);
  say(
    `  (a) lifeboat restore: ${restore.seconds.toFixed(2)}s, ${restore.items} items, ${restore.failed} failed; ` +
      restore.steps.map((s) => `${s.step} ${s.items} in ${s.seconds.toFixed(2)}s`).join(', ') +
      `; worker peak RSS ${restore.peakRssMiB.toFixed(0)} MiB; ${restore.activation}`,
  );
  await newHub.stop();

  say("reading the typed backups' objects from the hub (untimed), then the floor restore into a third plane...");
  const { namespaces, objects } = await restorableObjects(api, typed, DEFAULT_PAGE_SIZE);
  const floorHub = await startPlane('floor-hub', false);
  const floorApi = rawOf(floorHub.plane);
  const floorStarted = performance.now();
  await createAll(
    floorApi,
    namespaces.map((n) => namespaceObject(n)),
    RESTORE_CONCURRENCY,
  );
  await createAll(floorApi, objects, RESTORE_CONCURRENCY);
  const floorRestore: Timed = { seconds: (performance.now() - floorStarted) / 1000, items: objects.length };
  say(
    `  (b) floor restore: ${floorRestore.seconds.toFixed(2)}s, ${objects.length} objects (+${namespaces.length} namespaces)`,
  );
  floorApi.close();
  await floorHub.stop();

  let subsetRestore: { velero: (Timed & { type: string; phase: string })[]; lifeboat: RestoreRun } | undefined;
  if (subset) {
    say(`[subset] Velero's restores into a fresh plane, a Velero server there reading the same bucket...`);
    const veleroHub = await startPlane('velero-hub', false);
    const veleroDir = join(dir, 'velero-restore');
    mkdirSync(veleroDir, { recursive: true });
    const velero: Velero = await startVelero({
      tools: { velero: tools.velero, plugin: tools['velero-plugin-for-aws'] },
      kubeconfig: veleroHub.plane.adminKubeconfig,
      dataDir: veleroDir,
      store: s3,
      locations: [{ name: 'default', bucket, prefix: 'velero', default: true }],
    });
    teardown.add('Velero (restores)', () => velero.stop());
    const order: AcmBackupType[] = ['credentials', 'resources', 'resources-generic', 'managed-clusters'];
    const held = order.filter((t) => subset.velero.backups.some((b) => b.type === t));
    for (const type of held) await velero.waitForBackup(`acm-${type}-subset`);
    const restores: (Timed & { type: string; phase: string })[] = [];
    for (const type of held) {
      const name = `acm-${type}-subset-restore`;
      const started = performance.now();
      await velero.cli(
        [
          'restore',
          'create',
          name,
          '--from-backup',
          `acm-${type}-subset`,
          '--existing-resource-policy',
          'update',
          '--exclude-resources',
          NEVER_RESTORED_BY_ACM.join(','),
          '--wait',
        ],
        3_600_000,
      );
      const seconds = (performance.now() - started) / 1000;
      const got = itemsOf<VeleroRestore>(await velero.cli(['restore', 'get', name, '-o', 'json']))[0];
      restores.push({
        type,
        seconds,
        items: got?.status?.progress?.itemsRestored ?? 0,
        phase: got?.status?.phase ?? '?',
      });
      say(
        `  (c) velero restore ${name}: ${seconds.toFixed(2)}s, ${restores.at(-1)!.items} items, ${restores.at(-1)!.phase}`,
      );
    }
    await velero.stop();
    await veleroHub.stop();
    say('[subset] Lifeboat restore of the subset set into a fresh plane...');
    const subHub = await startPlane('subset-new-hub', true);
    clusters.push({ name: 'subset-new-hub', ...subHub.access });
    const lifeboat = await lifeboatRestore('subset-new-hub', SUB_HUB);
    say(`  (a) lifeboat restore: ${lifeboat.seconds.toFixed(2)}s, ${lifeboat.items} items, ${lifeboat.failed} failed`);
    await subHub.stop();
    subsetRestore = { velero: restores, lifeboat };
  }

  const expected = expectedCounts(CLUSTERS);
  const sum = (ts: Timed[]): Timed => ({
    seconds: ts.reduce((s, t) => s + t.seconds, 0),
    items: ts.reduce((s, t) => s + t.items, 0),
  });
  const backupRatio = backup.seconds / backup.items / (floor.seconds / floor.items);
  const restoreRatio = restore.seconds / restore.items / (floorRestore.seconds / floorRestore.items);
  const lines = [
    '',
    `bench/acm-hub: ${CLUSTERS} managed clusters, ${loaded} objects loaded (${rate(loaded, loadSeconds)}); ` +
      `typed backups hold ${backup.typed.map((t) => `${t.type} ${t.items} (load: ${expected[t.type]})`).join(', ')}; ` +
      `page size ${DEFAULT_PAGE_SIZE}, gzip level ${GZIP_LEVEL}, store versitygw, ${RESTORE_CONCURRENCY} restore ` +
      `requests in flight; ${availableParallelism()} cores; worker ${describeWorkerLaunch(launchOptions)}`,
    `  backup:  (a) lifeboat ${backup.seconds.toFixed(2)}s ${rate(backup.items, backup.seconds)}  ` +
      `(b) floor ${floor.seconds.toFixed(2)}s ${rate(floor.items, floor.seconds)}  a/b=${backupRatio.toFixed(2)} ` +
      `(per item)  worker peak RSS ${backup.peakRssMiB.toFixed(0)} MiB`,
    `           per type: ${describeBackup(backup)}`,
    `  restore: (a) lifeboat ${restore.seconds.toFixed(2)}s ${rate(restore.items, restore.seconds)} ` +
      `(${restore.items} items, ${restore.failed} failed)  (b) floor ${floorRestore.seconds.toFixed(2)}s ` +
      `${rate(floorRestore.items, floorRestore.seconds)} (${floorRestore.items} objects)  a/b=${restoreRatio.toFixed(2)} ` +
      `(per item)  worker peak RSS ${restore.peakRssMiB.toFixed(0)} MiB`,
    `           per step: ${restore.steps.map((s) => `${s.step} ${s.items} in ${s.seconds.toFixed(2)}s`).join(', ')}`,
    `  ACM's published backup (OADP/Velero on a real hub of ~3,500 clusters): ` +
      PUBLISHED.map((p) => `${p.type} ${p.items} in ${p.seconds}s ${rate(p.items, p.seconds)}`).join(', ') +
      `; Lifeboat here: ` +
      PUBLISHED.map((p) => {
        const t = backup.typed.find((b) => b.type === p.type);
        return t ? `${p.type} ${rate(t.items, t.seconds)}` : `${p.type} -`;
      }).join(', '),
  ];
  if (subset && subsetRestore) {
    const vb = sum(subset.velero.backups);
    const vr = sum(subsetRestore.velero);
    const lb = subset.lifeboat;
    const lr = subsetRestore.lifeboat;
    const backupOverVelero = perSecond(lb) / perSecond(vb);
    const restoreOverVelero = perSecond(lr) / perSecond(vr);
    const floorBackupOverVelero = perSecond(subset.floor) / perSecond(vb);
    const floorRestoreOverVelero = perSecond(floorRestore) / perSecond(vr);
    const verdict = (ratio: number, floorRatio: number, ab: number) =>
      ratio >= 10
        ? `met (${x(ratio)} Velero)`
        : floorRatio < 10
          ? `${ab <= 1.5 ? 'met' : 'NOT met'} by a/b=${ab.toFixed(2)} (the floor is ${x(floorRatio)} Velero here; ` +
            `Lifeboat ${x(ratio)})`
          : `NOT met (Lifeboat ${x(ratio)} Velero, the floor ${x(floorRatio)})`;
    lines.push(
      `  (c) stock Velero v1.18.3 on the first ${SUBSET} clusters, the typed backups' filters: backup ` +
        `${vb.seconds.toFixed(2)}s ${vb.items} items ${rate(vb.items, vb.seconds)} ` +
        `(${subset.velero.backups.map((b) => `${b.type} ${b.items} in ${b.seconds.toFixed(2)}s ${b.phase}`).join(', ')}); ` +
        `restore ${vr.seconds.toFixed(2)}s ${vr.items} items ${rate(vr.items, vr.seconds)} ` +
        `(${subsetRestore.velero.map((r) => `${r.type} ${r.items} in ${r.seconds.toFixed(2)}s ${r.phase}`).join(', ')}), ` +
        `by the CLI's --wait`,
      `      velero ${subset.velero.serverArgs.join(' ')}`,
      `  (a) lifeboat on the same subset: backup ${lb.seconds.toFixed(2)}s ${lb.items} items ${rate(lb.items, lb.seconds)}; ` +
        `restore ${lr.seconds.toFixed(2)}s ${lr.items} items ${rate(lr.items, lr.seconds)} (${lr.failed} failed); ` +
        `(b) floor backup ${subset.floor.seconds.toFixed(2)}s ${rate(subset.floor.items, subset.floor.seconds)}`,
      `  items/s over Velero's (subset): backup Lifeboat ${x(backupOverVelero)}, floor ${x(floorBackupOverVelero)}; ` +
        `restore Lifeboat ${x(restoreOverVelero)}, floor (whole hub) ${x(floorRestoreOverVelero)}; whole-hub Lifeboat ` +
        `over subset Velero: backup ${x(perSecond(backup) / perSecond(vb))}, restore ${x(perSecond(restore) / perSecond(vr))}`,
      `  targets: backup ${verdict(backupOverVelero, floorBackupOverVelero, backupRatio)}; restore ` +
        verdict(restoreOverVelero, floorRestoreOverVelero, restoreRatio),
    );
  }
  lines.push(
    "  targets: Lifeboat >= 10x Velero's items/s, or a/b <= 1.5 (both ratios reported) where the floor itself is < 10x Velero",
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Velero's `-o json` prints a list of one as that one object, any other list as a BackupList or RestoreList. */
function itemsOf<T>(json: string): T[] {
  const parsed = JSON.parse(json) as { kind?: string; items?: T[] | null };
  return parsed.kind?.endsWith('List') ? (parsed.items ?? []) : [parsed as T];
}

await inBenchDir('lifeboat-bench-acm-hub-', args.keep, say, run);
