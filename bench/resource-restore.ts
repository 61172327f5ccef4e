import { Client, Connection } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { buildDist } from '../build/bundle.js';
import { repoRoot } from '../build/repo-root.js';
import type { ResourceBackupManifest } from '../core/manifest.js';
import { backupName, workflowIds } from '../core/naming.js';
import { RESTORE_CONCURRENCY } from '../core/resources/restore-run.js';
import {
  grantResourceReaderAccess,
  grantResourceRestorerAccess,
  grantWorkerAccess,
} from '../devstack/kube/worker-access.js';
import { ManagedProcess } from '../devstack/process.js';
import { ensureBucket } from '../devstack/s3-bucket.js';
import { startVelero } from '../devstack/servers/velero.js';
import { consoleProgress, ensureTools } from '../devstack/tools/build.js';
import { workerProcessSpec } from '../devstack/worker-process.js';
import type { resourceBackup, resourceRestore } from '../workflows/index.js';
import { benchObject, LOADED, loadObjects, namespaceName, RawApi, widgetCrd } from './lib/resource-load.js';
import { startBenchServers } from './lib/servers.js';
import { activityTimeline, median, procStatusMiB, rate, say } from './lib/stats.js';
import { inBenchDir, type Teardown } from './lib/teardown.js';
import { benchWorkerLaunch, describeWorkerLaunch, launchOptionsFrom } from './lib/worker-launch.js';

/**
 * bench/resource-restore: how fast Lifeboat restores many Kubernetes objects, against the floor the API sets and
 * against stock Velero, in one run on one machine.
 *   (a) Lifeboat: one resource backup of the load (bench/lib/resource-load.ts: ConfigMaps, Secrets, custom resources),
 *       then the resourceRestore workflow of it, run as production runs it (the built worker as a child process, a
 *       fresh one per restore, so its VmHWM is that restore's peak RSS), as the restorer identity
 *       (deploy/kubernetes/resource-restorer.yaml), timed from the workflow's start to its close: plan, preflight
 *       (the whole archive read and hashed, the access reviews), every step. Each round maps every namespace onto
 *       new ones (`r<round>-bench-NNN`), so it creates into namespaces that do not exist yet: an empty cluster, as
 *       far as these kinds go, without waiting for namespace deletion between rounds.
 *   (b) the floor: the same number of objects of the same kinds and sizes created by a plain client (POST, keep-alive,
 *       RESTORE_CONCURRENCY in flight, the namespaces first), without reading any backup.
 *   (c) stock Velero v1.18.3 (default server flags, printed): its own backup of the first namespaces (--velero-objects
 *       of the objects), then `velero restore create --namespace-mappings` of it, timed by the CLI's --wait; and (a)
 *       again on exactly that subset.
 * Options: --objects N (default 20000), --namespaces N (40), --velero-objects N (2000; 0 skips Velero), --rounds N (1),
 * --keep, --cpu-prof DIR and --worker-node-flags "..." (as bench/resources.ts).
 */
const { values: args } = parseArgs({
  options: {
    objects: { type: 'string', default: '20000' },
    namespaces: { type: 'string', default: '40' },
    'velero-objects': { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'worker-node-flags': { type: 'string' },
  },
});
const launchOptions = launchOptionsFrom(args);
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
const VELERO_NAMESPACES = Math.max(1, Math.round((NAMESPACES * Math.min(VELERO_OBJECTS, OBJECTS)) / OBJECTS));
const CLUSTER = 'bench';
const RESOURCES = LOADED.map((l) => l.resource);

interface RestoreRun {
  seconds: number;
  created: number;
  failed: number;
  peakRssMiB: number;
  outcome: string;
  /** Seconds in plan, preflight and the steps (summed), as the history says; the rest is workflow and queueing. */
  phases: { plan: number; preflight: number; steps: number; record: number };
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
  const restorerKubeconfig = await grantResourceRestorerAccess(plane, kubeDir);

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
  for (let tries = 0; (await api.send('GET', '/apis/bench.lifeboat.dev/v1/widgets?limit=1')).status !== 200; tries++) {
    if (tries > 100) throw new Error('the Widget CRD did not become established');
    await new Promise((r) => setTimeout(r, 200));
  }
  say(`loading ${OBJECTS} objects into ${NAMESPACES} namespaces...`);
  await loadObjects(api, { from: 0, to: OBJECTS, namespaces: NAMESPACES }, 48, (done) => say(`  ${done} objects`));

  const sources = Array.from({ length: NAMESPACES }, (_, i) => namespaceName(i));
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
      clusters: [
        { name: CLUSTER, api: { kubeconfig: readerKubeconfig }, restoreApi: { kubeconfig: restorerKubeconfig } },
      ],
      resourceBackups: [
        { name: 'all', cluster: CLUSTER, location: 'bench', includedResources: RESOURCES, includedNamespaces: sources },
        {
          name: 'subset',
          cluster: CLUSTER,
          location: 'bench',
          includedResources: RESOURCES,
          includedNamespaces: sources.slice(0, VELERO_NAMESPACES),
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
  let runIndex = 0;
  const base = Date.UTC(2026, 0, 1);
  const withWorker = async <T>(use: (pid: number) => Promise<T>): Promise<T> => {
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
  const backUp = (policy: string) =>
    withWorker(async () => {
      const requestedAt = new Date(base + 1000 * runIndex++);
      const manifest: ResourceBackupManifest = await temporal.workflow.execute<typeof resourceBackup>(
        'resourceBackup',
        {
          taskQueue: 'bench',
          workflowId: workflowIds.resourceBackup(CLUSTER, policy, backupName(policy, requestedAt)),
          args: [{ cluster: CLUSTER, policy, requestedAt: requestedAt.toISOString() }],
        },
      );
      return manifest;
    });
  const restore = (backup: string, namespaces: string[], prefix: string): Promise<RestoreRun> =>
    withWorker(async (pid) => {
      const requestedAt = new Date(base + 1000 * runIndex++);
      const handle = await temporal.workflow.start<typeof resourceRestore>('resourceRestore', {
        taskQueue: 'bench',
        workflowId: workflowIds.resourceRestore(CLUSTER),
        args: [
          {
            target: CLUSTER,
            backup,
            options: {
              filters: {
                includedNamespaces: namespaces,
                excludedNamespaces: [],
                includedResources: RESOURCES,
                excludedResources: [],
              },
              namespaceMapping: Object.fromEntries(namespaces.map((n) => [n, `${prefix}-${n}`])),
              existingResourcePolicy: 'none',
              restoreStatus: [],
              preserveNodePorts: false,
            },
            requestedBy: 'bench',
            requestedAt: requestedAt.toISOString(),
          },
        ],
      });
      const result = await handle.result();
      const described = await handle.describe();
      const timeline = activityTimeline(await handle.fetchHistory());
      const spent = (type: string) => timeline.filter((t) => t.type === type).reduce((sum, t) => sum + t.seconds, 0);
      return {
        seconds: (described.closeTime!.getTime() - described.startTime.getTime()) / 1000,
        created: result.counts.created,
        failed: result.counts.failed,
        peakRssMiB: procStatusMiB(pid, 'VmHWM'),
        outcome: result.outcome,
        phases: {
          plan: spent('planResourceRestore'),
          preflight: spent('preflightResourceRestore'),
          steps: spent('restoreResourceStep'),
          record: spent('recordResourceRestore'),
        },
      };
    });
  /** (b): the same count, kinds and sizes of objects, POSTed by a plain client into new namespaces. */
  const floor = async (prefix: string) => {
    const started = performance.now();
    for (let i = 0; i < NAMESPACES; i++)
      await api.create('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: `${prefix}-${namespaceName(i)}` },
      });
    let next = 0;
    const one = async () => {
      while (next < OBJECTS) {
        const { path, body } = benchObject(next++, NAMESPACES);
        const metadata = body.metadata as { namespace: string };
        const target = `${prefix}-${metadata.namespace}`;
        await api.create(path.replace(`/namespaces/${metadata.namespace}/`, `/namespaces/${target}/`), {
          ...body,
          metadata: { ...metadata, namespace: target },
        });
      }
    };
    await Promise.all(Array.from({ length: RESTORE_CONCURRENCY }, one));
    return (performance.now() - started) / 1000;
  };

  say('backing up the load with Lifeboat...');
  const all = await backUp('all');
  const a: RestoreRun[] = [];
  const b: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 === 0 ? ['b', 'a'] : ['a', 'b']) {
      if (side === 'b') {
        b.push(await floor(`f${round}`));
        say(`  (b) floor: ${b.at(-1)!.toFixed(2)}s, ${OBJECTS} objects, load average ${loadavg()[0]!.toFixed(1)}`);
      } else {
        a.push(await restore(all.backup, sources, `r${round}`));
        const r = a.at(-1)!;
        say(
          `  (a) lifeboat: ${r.seconds.toFixed(2)}s, created ${r.created}, failed ${r.failed}, ${r.outcome}, ` +
            `worker peak RSS ${r.peakRssMiB.toFixed(0)} MiB, load average ${loadavg()[0]!.toFixed(1)}; ` +
            Object.entries(r.phases)
              .map(([phase, seconds]) => `${phase} ${seconds.toFixed(2)}s`)
              .join(', '),
        );
      }
    }
  }
  const am = median(a.map((r) => r.seconds));
  const bm = median(b);
  const lines = [
    '',
    `bench/resource-restore: ${OBJECTS} objects (${LOADED.map((l) => `${Math.round(l.share * 100)}% ${l.resource}`).join(', ')}) ` +
      `in ${NAMESPACES} namespaces, into new namespaces; ${RESTORE_CONCURRENCY} requests in flight; ${ROUNDS} round(s), ` +
      `medians; ${availableParallelism()} cores; worker: ${describeWorkerLaunch(launchOptions)}`,
    `  (a) lifeboat ${am.toFixed(2)}s ${rate(a[0]!.created, am)}  (b) floor ${bm.toFixed(2)}s ${rate(OBJECTS, bm)}  ` +
      `a/b=${(am / bm).toFixed(2)}  worker peak RSS ${Math.max(...a.map((r) => r.peakRssMiB)).toFixed(0)} MiB`,
  ];

  if (VELERO_OBJECTS > 0) {
    say(`starting stock Velero (default server flags); its backup and restore of ${VELERO_NAMESPACES} namespaces...`);
    const subset = sources.slice(0, VELERO_NAMESPACES);
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
    await velero.createBackup('bench-subset', {
      location: 'default',
      includeNamespaces: subset,
      includeResources: RESOURCES,
    });
    const started = performance.now();
    const restored = await velero.restore(
      'bench-subset-restore',
      { fromBackup: 'bench-subset', namespaceMappings: Object.fromEntries(subset.map((n) => [n, `v-${n}`])) },
      3_600_000,
    );
    const wall = (performance.now() - started) / 1000;
    await velero.stop();
    const cItems = restored.status?.progress?.itemsRestored ?? 0;
    const subsetBackup = await backUp('subset');
    const subsetRun = await restore(subsetBackup.backup, subset, 'rs');
    const veleroRate = cItems / wall;
    const lifeboatRate = subsetRun.created / subsetRun.seconds;
    lines.push(
      `  (c) stock Velero v1.18.3 restore, ${VELERO_NAMESPACES} namespaces, ${cItems} items, phase ${restored.status?.phase}: ` +
        `${wall.toFixed(2)}s by the CLI's --wait, ${rate(cItems, wall)}`,
      `      velero ${velero.serverArgs.join(' ')}`,
      `  (a) lifeboat on the same subset: ${subsetRun.seconds.toFixed(2)}s, created ${subsetRun.created}, ${rate(subsetRun.created, subsetRun.seconds)}`,
      `  Lifeboat items/s over Velero's: ${(lifeboatRate / veleroRate).toFixed(1)}x on the subset, ` +
        `${(a[0]!.created / am / veleroRate).toFixed(1)}x for the ${OBJECTS}-object restore; floor over Velero ` +
        `${(OBJECTS / bm / veleroRate).toFixed(1)}x`,
    );
  }
  lines.push(
    '  targets: Lifeboat >= 10x Velero items/s (or a/b <= 1.5 where the floor is < 10x Velero), a/b <= 1.5, peak RSS < 300 MiB',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

await inBenchDir('lifeboat-bench-resource-restore-', args.keep, say, run);
