import { Upload } from '@aws-sdk/lib-storage';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Etcd3 } from 'etcd3';
import { stringify } from 'yaml';
import { freePorts } from '../devstack/ports.js';
import { ManagedProcess } from '../devstack/process.js';
import { ensureBucket, s3Client } from '../devstack/s3-bucket.js';
import { etcdCluster } from '../devstack/servers/etcd.js';
import { versitygwServer } from '../devstack/servers/versitygw.js';
import { repoRoot } from '../devstack/stack.js';
import { consoleProgress, ensureTools } from '../devstack/tools/build.js';

/**
 * bench/etcd-snapshot: how fast Lifeboat gets an etcd snapshot into S3, against what peers do, in one run.
 *   (a) Lifeboat direct mode: stream etcd -> (compress) -> S3 multipart, no disk
 *   (b) the two-step baseline: `etcdctl snapshot save` to a file, then upload the file
 *   (c) `etcdctl snapshot save` alone: the floor etcd itself sets
 * Data: LIFEBOAT_BENCH_MIB (default 1100) MiB of Kubernetes-like JSON values (compressible, like real etcd data).
 * Rounds: LIFEBOAT_BENCH_ROUNDS (default 3); medians are reported.
 * Also printed: the upload half of (b) alone, the time the S3 server needs to take in these bytes at all. No
 * streaming design beats the larger of it and (c), so the figures say how close (a) comes to that bound.
 */
const run = promisify(execFile);
const MIB = Number(process.env.LIFEBOAT_BENCH_MIB ?? 1100);
const ROUNDS = Number(process.env.LIFEBOAT_BENCH_ROUNDS ?? 3);
const say = (line: string) => process.stderr.write(`${line}\n`);
/** Before each timed part: none pays for writing back the dirty pages (gigabytes) the one before it left. */
const settleDisk = () => run('sync');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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
  const tools = await ensureTools(consoleProgress(), ['etcd', 'versitygw']);
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-'));
  const [clientPort, peerPort, s3Port] = (await freePorts(3)) as [number, number, number];
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
    versitygwServer({ binary: tools.versitygw, dataDir: join(dir, 's3'), port: s3Port, ...credentials }),
  );
  try {
    await Promise.all([etcd.start(), s3.start()]);
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
    const policies = ['none', 'gzip'] as const;
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
    const direct = async (compression: string, round: number) => {
      const { stdout } = await run(
        process.execPath,
        [
          '--import',
          'tsx',
          join(repoRoot, 'bench/lib/direct-snapshot.ts'),
          configFile,
          'bench',
          `direct-${compression}`,
          `direct-${compression}-2026010100000${round}`,
        ],
        {
          cwd: repoRoot,
          env: {
            ...process.env,
            BENCH_KEY: credentials.accessKeyId,
            BENCH_SECRET: credentials.secretAccessKey,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
        },
      );
      return JSON.parse(stdout.trim().split('\n').at(-1)!) as {
        seconds: number;
        peakRssMiB: number;
        baselineRssMiB: number;
        stored: number;
        snapshot: number;
      };
    };

    const c: number[] = [];
    const b: number[] = [];
    const u: number[] = [];
    const a: Record<
      string,
      { seconds: number[]; rss: number[]; baseline: number[]; stored: number; snapshot: number }
    > = {};
    for (let round = 0; round < ROUNDS; round++) {
      say(`round ${round + 1}/${ROUNDS}`);
      await settleDisk();
      c.push(await floor());
      say(
        `  (c) etcdctl snapshot save: ${c.at(-1)!.toFixed(2)}s (${(statSync(snapshotFile).size / 1024 / 1024).toFixed(0)} MiB)`,
      );
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
          baseline: [],
          stored: result.stored,
          snapshot: result.snapshot,
        });
        entry.seconds.push(result.seconds);
        entry.rss.push(result.peakRssMiB);
        entry.baseline.push(result.baselineRssMiB);
        say(
          `  (a) lifeboat ${compression.padEnd(4)}:       ${result.seconds.toFixed(2)}s, peak RSS ${result.peakRssMiB.toFixed(0)} MiB`,
        );
      }
    }

    const cm = median(c);
    const bm = median(b);
    const um = median(u);
    const bound = Math.max(cm, um);
    const lines = [
      '',
      `bench/etcd-snapshot: ${MIB} MiB loaded, snapshot ${(a.none!.snapshot / 1024 / 1024).toFixed(0)} MiB, ${ROUNDS} round(s), medians`,
      `  (c) etcdctl snapshot save        ${cm.toFixed(2)}s`,
      `  (b) save to file, then upload    ${bm.toFixed(2)}s (the upload alone ${um.toFixed(2)}s)`,
      ...policies.map((comp) => {
        const am = median(a[comp]!.seconds);
        return (
          `  (a) lifeboat direct, ${comp.padEnd(4)}     ${am.toFixed(2)}s  a/b=${(am / bm).toFixed(2)}  a/c=${(am / cm).toFixed(2)}  a/max(c,upload)=${(am / bound).toFixed(2)}  ` +
          `peak RSS ${Math.max(...a[comp]!.rss).toFixed(0)} MiB (process before the snapshot ${Math.max(...a[comp]!.baseline).toFixed(0)} MiB)  stored ${(a[comp]!.stored / 1024 / 1024).toFixed(0)} MiB`
        );
      }),
      '  targets: a/b <= 0.7, a/c <= 1.25, peak RSS < 256 MiB',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await Promise.all([etcd.stop(), s3.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
