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
import type { ResourceBackupManifest } from '../core/manifest.js';
import { backupName, workflowIds } from '../core/naming.js';
import { grantResourceReaderAccess, grantWorkerAccess } from '../devstack/kube/worker-access.js';
import { ManagedProcess } from '../devstack/process.js';
import { ensureBucket } from '../devstack/s3-bucket.js';
import { startVelero } from '../devstack/servers/velero.js';
import { consoleProgress, ensureTools } from '../devstack/tools/build.js';
import { workerProcessSpec } from '../devstack/worker-process.js';
import type { resourceBackup } from '../workflows/index.js';
import { LOADED, loadObjects, listFloor, namespaceName, RawApi, widgetCrd } from './lib/resource-load.js';
import { startBenchServers } from './lib/servers.js';
import { activityTimeline, cpuSnapshot, cpuSpent, median, procStatusMiB, rate, say } from './lib/stats.js';
import { inBenchDir, type Teardown } from './lib/teardown.js';
import { benchWorkerLaunch, describeWorkerLaunch, launchOptionsFrom } from './lib/worker-launch.js';

/**
 * bench/resources: how fast Lifeboat backs up many Kubernetes objects, against the floor the API sets and against
 * stock Velero, in one run on one machine.
 *   (a) Lifeboat: the resourceBackup workflow, run as production runs it (the built worker, `npm run build`, as a
 *       child process, a fresh one per round so its peak RSS, VmHWM, is that round's), on a Temporal dev server,
 *       reading the local kube-apiserver as the resource-reader identity, writing to versitygw; timed from the
 *       workflow's start to its close as Temporal records them. Each fresh worker takes two backups: the first
 *       (cold: V8 compiling the worker's code meanwhile, printed too) and the second (warm, as a long-running worker
 *       takes its scheduled backups), which a/b compares; the floor runs in the long-running bench process.
 *   (b) the floor: a paged LIST of the same resources at the backup's page size, every page's body gzipped at the
 *       archive's level and thrown away (bench/lib/resource-load.ts): what any backup of these objects must at least
 *       do, without writing anything.
 *   (c) stock Velero v1.18.3 (default server flags, printed), backing up the same kinds to the same store, on the
 *       first namespaces only (--velero-objects of them), and (a) again on exactly that subset.
 * Load: ConfigMaps (40%), Secrets (30%) and custom resources (30%) of realistic sizes in --namespaces namespaces;
 * (a) and (b) run at 10k objects and at --objects, to show the worker's memory does not grow with the cluster. The
 * CPU seconds each process (and its kinds of threads) used during a run are printed with it.
 * Options: --objects N (default 50000), --namespaces N (100), --velero-objects N (5000; 0 skips Velero), --rounds N
 * (3; medians of (a) and (b), the worst peak RSS), --keep (leave the temp dir and its logs), --cpu-prof DIR (each worker
 * writes a V8 CPU profile into DIR when it stops: where a backup's time goes), --worker-node-flags "..." (instead of
 * the production launcher's, build/bundle.ts WORKER_NODE_FLAGS: to measure what a V8 setting costs or saves).
 */
const { values: args } = parseArgs({
  options: {
    objects: { type: 'string', default: '50000' },
    namespaces: { type: 'string', default: '100' },
    'velero-objects': { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'worker-node-flags': { type: 'string' },
  },
});
const OBJECTS = Number(args.objects);
const NAMESPACES = Number(args.namespaces);
const VELERO_OBJECTS = Number(args['velero-objects']);
const ROUNDS = Number(args.rounds);
for (const [flag, value, min] of [
  ['--objects', OBJECTS, 1],
  ['--namespaces', NAMESPACES, 1],
  ['--velero-objects', VELERO_OBJECTS, 0],
  ['--rounds', ROUNDS, 1],
] as const)
  if (!Number.isInteger(value) || value < min) throw new Error(`${flag} must be a whole number >= ${min}`);
const STAGES = [...new Set([Math.min(10_000, OBJECTS), OBJECTS])];
/** The namespaces Velero's subset covers: the first of them, as many as hold --velero-objects objects. */
const VELERO_NAMESPACES = Math.max(1, Math.round((NAMESPACES * Math.min(VELERO_OBJECTS, OBJECTS)) / OBJECTS));
const CLUSTER = 'bench';
const RESOURCES = LOADED.map((l) => l.resource);

const launchOptions = launchOptionsFrom(args);

interface FloorRun {
  seconds: number;
  items: number;
  /** CPU seconds by process during the listing. */
  cpu: string;
}

interface LifeboatRun {
  seconds: number;
  /** The archiveResources activity alone (scheduled to completed): the listing, the archive and its upload. */
  archiveSeconds: number;
  items: number;
  peakRssMiB: number;
  /** The worker's RSS before the backup: Node, Temporal's runtime, the workflow thread. */
  idleRssMiB: number;
  storedBytes: number;
  outcome: string;
  /** CPU seconds by process during the backup. */
  cpu: string;
}

async function run(dir: string, teardown: Teardown): Promise<void> {
  const tools = await ensureTools(consoleProgress(), [
    'etcd',
    'kubernetes',
    'versitygw',
    'temporal',
    ...(VELERO_OBJECTS > 0 ? ['velero'] : []),
  ]);
  const bucket = 'bench';
  say('building the worker as production runs it (npm run build); starting Temporal, versitygw and Kubernetes...');
  const dist = join(dir, 'dist');
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  const { temporalPort, s3, plane, kubeDir } = await startBenchServers(tools, dir, teardown, {
    alongside: buildDist(dist, new DefaultLogger('WARN')),
  });
  await ensureBucket(s3, bucket);
  await grantWorkerAccess(plane, kubeDir);
  const readerKubeconfig = await grantResourceReaderAccess(plane, kubeDir);

  const api = new RawApi({
    server: plane.server,
    caFile: plane.pki.ca.cert,
    certFile: plane.pki.admin.cert,
    keyFile: plane.pki.admin.key,
  });
  teardown.add('API connections', () => api.close());
  await api.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', widgetCrd);
  for (let i = 0; i < NAMESPACES; i++)
    await api.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespaceName(i) },
    });
  // The CRD's collection answers once the CRD is established.
  for (let tries = 0; (await api.send('GET', '/apis/bench.lifeboat.dev/v1/widgets?limit=1')).status !== 200; tries++) {
    if (tries > 100) throw new Error('the Widget CRD did not become established');
    await new Promise((r) => setTimeout(r, 200));
  }

  const subset = Array.from({ length: VELERO_NAMESPACES }, (_, i) => namespaceName(i));
  const configFile = join(dir, 'lifeboat.yaml');
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
      clusters: [{ name: CLUSTER, api: { kubeconfig: readerKubeconfig } }],
      resourceBackups: [
        { name: 'all', cluster: CLUSTER, location: 'bench', includedResources: RESOURCES },
        {
          name: 'subset',
          cluster: CLUSTER,
          location: 'bench',
          includedResources: RESOURCES,
          includedNamespaces: subset,
        },
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

  /** Distinct one-off backup names: each run's requestedAt is a second after the one before. */
  let runIndex = 0;
  const base = Date.UTC(2026, 0, 1);
  /** One backup of `policy` on a running worker, timed as Temporal records it. */
  const backupOn = async (worker: ManagedProcess, policy: string): Promise<LifeboatRun> => {
    const idleRssMiB = procStatusMiB(worker.pid!, 'VmRSS');
    const requestedAt = new Date(base + 1000 * runIndex++);
    const cpuBefore = cpuSnapshot();
    const handle = await temporal.workflow.start<typeof resourceBackup>('resourceBackup', {
      taskQueue: 'bench',
      workflowId: workflowIds.resourceBackup(CLUSTER, policy, backupName(policy, requestedAt)),
      args: [{ cluster: CLUSTER, policy, requestedAt: requestedAt.toISOString() }],
    });
    const manifest: ResourceBackupManifest = await handle.result();
    const cpu = cpuSpent(cpuBefore, cpuSnapshot());
    const peakRssMiB = procStatusMiB(worker.pid!, 'VmHWM');
    const described = await handle.describe();
    return {
      seconds: (described.closeTime!.getTime() - described.startTime.getTime()) / 1000,
      archiveSeconds:
        activityTimeline(await handle.fetchHistory()).find((a) => a.type === 'archiveResources')?.seconds ?? NaN,
      items: manifest.counts.items,
      peakRssMiB,
      idleRssMiB,
      storedBytes: manifest.object.bytes,
      outcome: manifest.outcome,
      cpu,
    };
  };
  /**
   * A fresh worker's first backup of `policy` (cold: V8 compiles the worker's code as it goes, the connections
   * open), then a second one on the same worker (warm, as a long-running worker takes its scheduled backups). The
   * peak RSS of the second is the worker's over both.
   */
  const lifeboat = async (policy: string): Promise<{ cold: LifeboatRun; warm: LifeboatRun }> => {
    const worker = new ManagedProcess(
      workerProcessSpec(benchWorkerLaunch(dist, launchOptions), {
        env: workerEnv,
        logFile: join(dir, `worker-${runIndex}.log`),
      }),
    );
    await worker.start();
    try {
      const cold = await backupOn(worker, policy);
      const warm = await backupOn(worker, policy);
      return { cold, warm };
    } finally {
      await worker.stop();
    }
  };
  const floor = async () => {
    const cpuBefore = cpuSnapshot();
    const started = performance.now();
    const items = await listFloor(api, DEFAULT_PAGE_SIZE, GZIP_LEVEL);
    const seconds = (performance.now() - started) / 1000;
    return { seconds, items, cpu: cpuSpent(cpuBefore, cpuSnapshot()) };
  };

  const lines: string[] = [];
  const stages: { objects: number; a: LifeboatRun[]; cold: LifeboatRun[]; b: FloorRun[] }[] = [];
  let loaded = 0;
  for (const objects of STAGES) {
    say(`loading objects ${loaded}..${objects} into ${NAMESPACES} namespaces...`);
    const started = performance.now();
    await loadObjects(api, { from: loaded, to: objects, namespaces: NAMESPACES }, 48, (done) =>
      say(`  ${loaded + done} objects`),
    );
    say(`  loaded ${objects - loaded} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
    loaded = objects;
    // Right after a load the API server is still digesting it (its caches, its Go GC): the first LIST pass took up to
    // 60% longer than the next. One pass nobody times, so neither side meets that.
    await floor();
    const stage = { objects, a: [] as LifeboatRun[], cold: [] as LifeboatRun[], b: [] as FloorRun[] };
    for (let round = 0; round < ROUNDS; round++) {
      // The side that goes first alternates: neither always finds the API server's caches cold.
      const order = round % 2 === 0 ? ['b', 'a'] : ['a', 'b'];
      for (const side of order) {
        if (side === 'b') {
          stage.b.push(await floor());
          say(
            `  [${objects}] (b) floor:    ${stage.b.at(-1)!.seconds.toFixed(2)}s, ${stage.b.at(-1)!.items} items, ` +
              `load average ${loadavg()[0]!.toFixed(1)}; CPU ${stage.b.at(-1)!.cpu}`,
          );
        } else {
          const { cold, warm } = await lifeboat('all');
          stage.a.push(warm);
          stage.cold.push(cold);
          for (const [label, result] of [
            ['cold', cold],
            ['warm', warm],
          ] as const)
            say(
              `  [${objects}] (a) lifeboat, ${label}: ${result.seconds.toFixed(2)}s ` +
                `(archive ${result.archiveSeconds.toFixed(2)}s), ${result.items} items, ${result.outcome}, ` +
                `worker peak RSS ${result.peakRssMiB.toFixed(0)} MiB (idle ${result.idleRssMiB.toFixed(0)}), ` +
                `stored ${(result.storedBytes / 1024 / 1024).toFixed(1)} MiB, load average ${loadavg()[0]!.toFixed(1)}; ` +
                `CPU ${result.cpu}`,
            );
        }
      }
    }
    stages.push(stage);
  }

  const last = stages.at(-1)!;
  const aLast = median(last.a.map((r) => r.seconds));
  const itemsLast = last.a[0]!.items;
  lines.push(
    '',
    `bench/resources: ${OBJECTS} objects (${LOADED.map((l) => `${Math.round(l.share * 100)}% ${l.resource}`).join(', ')}) ` +
      `in ${NAMESPACES} namespaces; page size ${DEFAULT_PAGE_SIZE}, gzip level ${GZIP_LEVEL}, store versitygw, ` +
      `${ROUNDS} round(s), medians; ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)}; worker ` +
      describeWorkerLaunch(launchOptions),
  );
  for (const stage of stages) {
    const am = median(stage.a.map((r) => r.seconds));
    const cm = median(stage.cold.map((r) => r.seconds));
    const bm = median(stage.b.map((r) => r.seconds));
    const items = stage.a[0]!.items;
    lines.push(
      `  ${String(stage.objects).padStart(6)} objects: (a) lifeboat ${am.toFixed(2)}s ${rate(items, am)}  ` +
        `(b) floor ${bm.toFixed(2)}s ${rate(stage.b[0]!.items, bm)}  a/b=${(am / bm).toFixed(2)}  ` +
        `(archive activity ${median(stage.a.map((r) => r.archiveSeconds)).toFixed(2)}s)  ` +
        `worker peak RSS ${Math.max(...stage.a.map((r) => r.peakRssMiB)).toFixed(0)} MiB ` +
        `(idle ${Math.max(...stage.cold.map((r) => r.idleRssMiB)).toFixed(0)} MiB)`,
      `          a fresh worker's first backup (cold): ${cm.toFixed(2)}s ${rate(items, cm)}  a/b=${(cm / bm).toFixed(2)}`,
    );
  }
  if (stages.length > 1) {
    const [small, large] = [stages[0]!, last].map((s) => Math.max(...s.a.map((r) => r.peakRssMiB))) as [number, number];
    lines.push(
      `  peak RSS ${stages[0]!.objects} -> ${last.objects} objects: ${small.toFixed(0)} -> ${large.toFixed(0)} MiB ` +
        `(${(((large - small) / small) * 100).toFixed(1)}%)`,
    );
  }

  if (VELERO_OBJECTS > 0) {
    say(`starting stock Velero (default server flags) and backing up ${VELERO_NAMESPACES} namespaces...`);
    const veleroDir = join(dir, 'velero');
    mkdirSync(veleroDir, { recursive: true });
    const velero = await startVelero({
      tools: { velero: tools.velero, plugin: tools['velero-plugin-for-aws'] },
      kubeconfig: plane.adminKubeconfig,
      dataDir: veleroDir,
      store: s3,
      locations: [{ name: 'default', bucket, prefix: 'velero', default: true }],
    });
    teardown.add('Velero', () => velero.stop());
    const started = performance.now();
    const backup = await velero.createBackup('bench-subset', {
      location: 'default',
      includeNamespaces: subset,
      includeResources: RESOURCES,
    });
    const wall = (performance.now() - started) / 1000;
    const veleroRss = velero.pid ? procStatusMiB(velero.pid, 'VmHWM') : NaN;
    await velero.stop();
    const cItems = backup.status?.progress?.itemsBackedUp ?? 0;
    const recorded =
      backup.status?.startTimestamp && backup.status.completionTimestamp
        ? (Date.parse(backup.status.completionTimestamp) - Date.parse(backup.status.startTimestamp)) / 1000
        : NaN;
    const subsetRuns: LifeboatRun[] = [];
    for (let round = 0; round < ROUNDS; round++) subsetRuns.push((await lifeboat('subset')).warm);
    const aSubset = median(subsetRuns.map((r) => r.seconds));
    const aItems = subsetRuns[0]!.items;
    const veleroPerItem = wall / cItems;
    lines.push(
      `  (c) stock Velero v1.18.3, ${VELERO_NAMESPACES} namespaces, ${cItems} items, phase ${backup.status?.phase}: ` +
        `${wall.toFixed(2)}s by the CLI's --wait (${recorded.toFixed(0)}s by its own timestamps) ${rate(cItems, wall)}, ` +
        `server peak RSS ${veleroRss.toFixed(0)} MiB`,
      `      velero ${velero.serverArgs.join(' ')}`,
      `      (only the ports, the plugin dir and the text log format are set: every other flag is Velero's default)`,
      `  (a) lifeboat on the same subset: ${aSubset.toFixed(2)}s, ${aItems} items, ${rate(aItems, aSubset)}`,
      `  Velero's time per item over Lifeboat's: ${(veleroPerItem / (aSubset / aItems)).toFixed(1)}x on the subset, ` +
        `${(veleroPerItem / (aLast / itemsLast)).toFixed(1)}x against the ${last.objects}-object run`,
    );
  }
  lines.push(
    '  targets: a/b <= 1.3; Lifeboat >= 10x Velero items/s; peak RSS < 300 MiB and within 15% from 10k to 50k',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

await inBenchDir('lifeboat-bench-resources-', args.keep, say, run);
