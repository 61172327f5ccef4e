import { Upload } from '@aws-sdk/lib-storage';
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import { Etcd3 } from 'etcd3';
import { stringify } from 'yaml';
import { buildDist } from '../build/bundle.js';
import type { EtcdBackupManifest } from '../core/manifest.js';
import { freePorts } from '../devstack/ports.js';
import { ManagedProcess } from '../devstack/process.js';
import { repoRoot } from '../build/repo-root.js';
import { ensureBucket, s3Client } from '../devstack/s3-bucket.js';
import { etcdCluster } from '../devstack/servers/etcd.js';
import { minioServer } from '../devstack/servers/minio.js';
import { temporalServer } from '../devstack/servers/temporal.js';
import { versitygwServer } from '../devstack/servers/versitygw.js';
import { consoleProgress, ensureTools } from '../devstack/tools/build.js';
import { builtWorker, workerProcessSpec } from '../devstack/worker-process.js';

/**
 * bench/etcd-snapshot: how fast Lifeboat gets an etcd snapshot into S3, against what peers do, in one run.
 *   (a) Lifeboat direct mode: stream etcd -> (compress) -> S3 multipart, no disk. Run as production runs it: the
 *       built worker (`npm run build`, dist/lifeboat-worker) on a Temporal dev server, the backup started with
 *       `lifeboat backup now`; timed from the workflow's start to its close, as Temporal records them. A fresh
 *       worker per backup, so its peak RSS (VmHWM) is that backup's.
 *   (b) the two-step baseline: `etcdctl snapshot save` to a file, then upload the file
 *   (c) `etcdctl snapshot save` alone: the floor etcd itself sets
 * Data: LIFEBOAT_BENCH_MIB (default 1100) MiB of Kubernetes-like JSON values (compressible, like real etcd data).
 * Rounds: LIFEBOAT_BENCH_ROUNDS (default 3); medians are reported.
 * Store: LIFEBOAT_BENCH_STORE, versitygw (default) or minio; both (a) and (b) write to it.
 * Compressions: none, gzip and zstd, each its own policy, in every round.
 * Also printed: the upload half of (b) alone, the time the S3 server needs to take in these bytes at all. No
 * streaming design beats the larger of it and (c), so the figures say how close (a) comes to that bound.
 * The worker's CPU seconds are also printed as a ratio to one sha256 pass over the same snapshot, timed in the same
 * round on the same Node: absolute CPU seconds differ between machines (2.3x between two here), the ratio much less.
 */
const run = promisify(execFile);
const MIB = Number(process.env.LIFEBOAT_BENCH_MIB ?? 1100);
const ROUNDS = Number(process.env.LIFEBOAT_BENCH_ROUNDS ?? 3);
const STORE = process.env.LIFEBOAT_BENCH_STORE ?? 'versitygw';
const S3_SERVERS = { versitygw: versitygwServer, minio: minioServer } as const;
/** CPU seconds a process has used (utime + stime, in clock ticks of 1/100 s, fields 14 and 15 of /proc/<pid>/stat). */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const procStatusMiB = (pid: number, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const say = (line: string) => process.stderr.write(`${line}\n`);
/** Before each timed part: none pays for writing back the dirty pages (gigabytes) the one before it left. */
const settleDisk = () => run('sync');
/**
 * CPU seconds of one sha256 pass over a file, in this process: the unit the worker's CPU is reported in. The file
 * was just written, so it is read from the page cache; the read's system time counts, as the worker's does.
 */
async function sha256CpuSeconds(file: string): Promise<number> {
  const before = process.cpuUsage();
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  hash.digest();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuLine = (cpu: { etcd: number; s3: number; lifeboat: number }) =>
  `CPU seconds: etcd ${cpu.etcd.toFixed(2)}, ${STORE} ${cpu.s3.toFixed(2)}, lifeboat ${cpu.lifeboat.toFixed(2)}`;
const medianCpu = (cpus: { etcd: number; s3: number; lifeboat: number }[]) => ({
  etcd: median(cpus.map((x) => x.etcd)),
  s3: median(cpus.map((x) => x.s3)),
  lifeboat: median(cpus.map((x) => x.lifeboat)),
});

const words = Array.from({ length: 2000 }, () => randomBytes(4).toString('hex'));
function kubernetesLikeValue(i: number, bytes: number): string {
  const data: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = `${words[Math.floor(Math.random() * words.length)]}=${randomUUID()}`;
    data.push(line);
    size += line.length + 4;
  }
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${i}`, namespace: `tenant-${i % 50}`, uid: randomUUID(), resourceVersion: String(i) },
    data: { 'config.txt': data.join('\n') },
  });
}

async function main(): Promise<void> {
  const s3Server = S3_SERVERS[STORE as keyof typeof S3_SERVERS];
  if (!s3Server) throw new Error(`LIFEBOAT_BENCH_STORE=${STORE}: use versitygw or minio`);
  const tools = await ensureTools(consoleProgress(), ['etcd', STORE, 'temporal']);
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-'));
  const [clientPort, peerPort, s3Port, temporalPort] = (await freePorts(4)) as [number, number, number, number];
  const [etcdSpec] = etcdCluster({
    binary: tools.etcd,
    dataDir: join(dir, 'etcd'),
    clientPorts: [clientPort],
    peerPorts: [peerPort],
    clusterToken: 'bench',
    unsafeNoFsync: true,
  });
  const etcd = new ManagedProcess({ ...etcdSpec!, args: [...etcdSpec!.args, '--quota-backend-bytes=8589934592'] });
  const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench-secret-12345678' };
  const s3 = new ManagedProcess(
    s3Server({
      binary: tools[STORE as keyof typeof S3_SERVERS],
      dataDir: join(dir, 's3'),
      port: s3Port,
      ...credentials,
    }),
  );
  const temporal = new ManagedProcess(
    temporalServer({ binary: tools.temporal, dataDir: join(dir, 'temporal'), port: temporalPort }),
  );
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  try {
    say('building the worker as production runs it (npm run build) and starting etcd, the S3 server and Temporal...');
    const dist = join(dir, 'dist');
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
    await Promise.all([etcd.start(), s3.start(), temporal.start(), buildDist(dist, new DefaultLogger('WARN'))]);
    const endpoint = `http://127.0.0.1:${s3Port}`;
    const bucket = 'bench';
    await ensureBucket({ endpoint, ...credentials }, bucket);

    say(`loading ${MIB} MiB of Kubernetes-like values into etcd...`);
    const client = new Etcd3({ hosts: [`http://127.0.0.1:${clientPort}`] });
    const valueBytes = 256 * 1024;
    const count = Math.ceil((MIB * 1024 * 1024) / valueBytes);
    for (let i = 0; i < count; i += 16) {
      await Promise.all(
        Array.from({ length: Math.min(16, count - i) }, (_, j) =>
          client.put(`/registry/configmaps/bench/${i + j}`).value(kubernetesLikeValue(i + j, valueBytes)),
        ),
      );
      if (i % 512 === 0) say(`  ${Math.round((i * valueBytes) / 1024 / 1024)} MiB`);
    }
    client.close();

    const configFile = join(dir, 'lifeboat.yaml');
    const policies = ['none', 'gzip', 'zstd'] as const;
    writeFileSync(
      configFile,
      stringify({
        apiVersion: 'lifeboat.dev/v1alpha1',
        kind: 'LifeboatConfig',
        storageLocations: [
          {
            name: 'bench',
            endpoint,
            bucket,
            credentials: { accessKeyIdEnv: 'BENCH_KEY', secretAccessKeyEnv: 'BENCH_SECRET' },
          },
        ],
        clusters: [{ name: 'bench', etcd: { endpoints: [`http://127.0.0.1:${clientPort}`] } }],
        etcdBackups: policies.map((c) => ({
          name: `direct-${c}`,
          cluster: 'bench',
          location: 'bench',
          compression: c,
        })),
      }),
    );

    const snapshotFile = join(dir, 'snapshot.db');
    const floor = async () => {
      rmSync(snapshotFile, { force: true });
      const t = performance.now();
      await run(tools.etcdctl, ['--endpoints', `http://127.0.0.1:${clientPort}`, 'snapshot', 'save', snapshotFile]);
      return (performance.now() - t) / 1000;
    };
    const twoStep = async (round: number) => {
      const t = performance.now();
      await floor();
      const uploadStarted = performance.now();
      const s3c = s3Client({ endpoint, ...credentials });
      await new Upload({
        client: s3c,
        params: { Bucket: bucket, Key: `two-step/${round}/snapshot.db`, Body: createReadStream(snapshotFile) },
        partSize: 8 * 1024 * 1024,
        queueSize: 4,
      }).done();
      s3c.destroy();
      const end = performance.now();
      return { total: (end - t) / 1000, upload: (end - uploadStarted) / 1000 };
    };
    const workerEnv = {
      HOME: dir,
      LIFEBOAT_CONFIG: configFile,
      TEMPORAL_ADDRESS: temporalAddress,
      LIFEBOAT_TASK_QUEUE: 'bench',
      BENCH_KEY: credentials.accessKeyId,
      BENCH_SECRET: credentials.secretAccessKey,
    };
    const temporalClient = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
    const direct = async (compression: string, round: number) => {
      const worker = new ManagedProcess(
        workerProcessSpec(builtWorker(dist), {
          env: workerEnv,
          logFile: join(dir, `worker-${compression}-${round}.log`),
        }),
      );
      await worker.start();
      try {
        const pid = worker.pid!;
        const idleRssMiB = procStatusMiB(pid, 'VmRSS');
        const cpuBefore = [etcd.pid!, s3.pid!, pid].map(cpuSeconds);
        const { stdout } = await run(
          process.execPath,
          [join(dist, 'lifeboat.js'), 'backup', 'now', `bench/direct-${compression}`, '--wait', '-f', configFile],
          { env: workerEnv },
        );
        const peakRssMiB = procStatusMiB(pid, 'VmHWM');
        const [etcdCpu, s3Cpu, lifeboatCpu] = [etcd.pid!, s3.pid!, pid].map((p, i) => cpuSeconds(p) - cpuBefore[i]!);
        const workflowId = /\(workflow (\S+)\)/.exec(stdout)?.[1];
        if (!workflowId) throw new Error(`lifeboat backup now printed no workflow id:\n${stdout}`);
        const handle = temporalClient.workflow.getHandle(workflowId);
        const [described, manifest] = await Promise.all([
          handle.describe(),
          handle.result() as Promise<EtcdBackupManifest>,
        ]);
        const seconds = (described.closeTime!.getTime() - described.startTime.getTime()) / 1000;
        return {
          seconds,
          peakRssMiB,
          idleRssMiB,
          cpu: { etcd: etcdCpu!, s3: s3Cpu!, lifeboat: lifeboatCpu! },
          stored: manifest.object.bytes,
          snapshot: manifest.snapshot.bytes,
        };
      } finally {
        await worker.stop();
      }
    };

    const c: number[] = [];
    const sha: number[] = [];
    const b: number[] = [];
    const u: number[] = [];
    type Cpu = { etcd: number; s3: number; lifeboat: number };
    const a: Record<
      string,
      { seconds: number[]; rss: number[]; idle: number[]; cpu: Cpu[]; stored: number; snapshot: number }
    > = {};
    for (let round = 0; round < ROUNDS; round++) {
      say(`round ${round + 1}/${ROUNDS}`);
      await settleDisk();
      c.push(await floor());
      say(
        `  (c) etcdctl snapshot save: ${c.at(-1)!.toFixed(2)}s (${(statSync(snapshotFile).size / 1024 / 1024).toFixed(0)} MiB)`,
      );
      sha.push(await sha256CpuSeconds(snapshotFile));
      say(`  one sha256 pass over it:    ${sha.at(-1)!.toFixed(2)} CPU seconds`);
      await settleDisk();
      const two = await twoStep(round);
      b.push(two.total);
      u.push(two.upload);
      say(`  (b) save + upload:         ${two.total.toFixed(2)}s (upload ${two.upload.toFixed(2)}s)`);
      for (const compression of policies) {
        await settleDisk();
        const result = await direct(compression, round);
        const entry = (a[compression] ??= {
          seconds: [],
          rss: [],
          idle: [],
          cpu: [],
          stored: result.stored,
          snapshot: result.snapshot,
        });
        entry.seconds.push(result.seconds);
        entry.rss.push(result.peakRssMiB);
        entry.idle.push(result.idleRssMiB);
        entry.cpu.push(result.cpu);
        say(
          `  (a) lifeboat ${compression.padEnd(4)}:       ${result.seconds.toFixed(2)}s, worker peak RSS ${result.peakRssMiB.toFixed(0)} MiB (idle ${result.idleRssMiB.toFixed(0)}), ${cpuLine(result.cpu)} (${(result.cpu.lifeboat / sha.at(-1)!).toFixed(2)} sha256 passes)`,
        );
      }
    }

    const cm = median(c);
    const shaM = median(sha);
    // The cores are shared: (a) cannot end before all three processes got the CPU time they used during it.
    const cores = availableParallelism();
    const cpuFloor = (cpu: Cpu) => (cpu.etcd + cpu.s3 + cpu.lifeboat) / cores;
    const bm = median(b);
    const um = median(u);
    const bound = Math.max(cm, um);
    const lines = [
      '',
      `bench/etcd-snapshot: ${MIB} MiB loaded, snapshot ${(a.none!.snapshot / 1024 / 1024).toFixed(0)} MiB, store ${STORE}, ${ROUNDS} round(s), medians`,
      `  (c) etcdctl snapshot save        ${cm.toFixed(2)}s`,
      `  (b) save to file, then upload    ${bm.toFixed(2)}s (the upload alone ${um.toFixed(2)}s)`,
      `  one sha256 pass over the snapshot ${shaM.toFixed(2)} CPU seconds (the unit of "worker CPU" below)`,
      ...policies.map((comp) => {
        const am = median(a[comp]!.seconds);
        return (
          `  (a) lifeboat direct, ${comp.padEnd(4)}     ${am.toFixed(2)}s  a/b=${(am / bm).toFixed(2)}  a/c=${(am / cm).toFixed(2)}  a/max(c,upload)=${(am / bound).toFixed(2)}  ` +
          `worker peak RSS ${Math.max(...a[comp]!.rss).toFixed(0)} MiB (idle before the backup ${Math.max(...a[comp]!.idle).toFixed(0)} MiB)  stored ${(a[comp]!.stored / 1024 / 1024).toFixed(0)} MiB\n` +
          `      worker CPU ${(median(a[comp]!.cpu.map((x) => x.lifeboat)) / shaM).toFixed(2)} sha256 passes (median; the lifeboat figure below over the sha256 one above)\n` +
          `      during it, median ${cpuLine(medianCpu(a[comp]!.cpu))}: on ${cores} cores no run ends before ${median(a[comp]!.cpu.map(cpuFloor)).toFixed(2)}s (${(median(a[comp]!.cpu.map(cpuFloor)) / cm).toFixed(2)} c)`
        );
      }),
      '  targets: a/b <= 0.7, a/c <= 1.25, peak RSS < 256 MiB',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await temporalClient.connection.close();
  } finally {
    await Promise.all([etcd.stop(), s3.stop(), temporal.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
