import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { etcdClient, probeMembers } from '../activities/etcd/members.js';
import { resolveEtcd } from '../activities/etcd/target.js';
import { s3ClientFor } from '../activities/storage/s3.js';
import type { EtcdBackupManifest } from '../core/manifest.js';
import { restoreClusterToken } from '../core/restore-job.js';
import { revisionBump } from '../core/restore-plan.js';
import { consoleProgress, ensureTools } from '../devstack/tools/build.js';
import type { etcdBackup } from '../workflows/index.js';
import { deleteRestoreJobs, lifeboatRestore, type LifeboatRestoreTimes } from './lib/lifeboat-restore.js';
import { manualRestore, type ManualRestoreTimes } from './lib/manual-restore.js';
import { BENCH, startRestoreStack, type RestoreStack } from './lib/restore-stack.js';
import { Teardown } from './lib/teardown.js';

/**
 * bench/etcd-restore: how long Lifeboat takes to restore a three-member etcd from a 1 GiB backup, against doing it by
 * hand, in one run on one machine.
 *   (a) Lifeboat: the etcdRestore workflow (backup latest) on the local Kubernetes: a TLS etcd StatefulSet run by the
 *       node agent, restore Jobs, the worker in this process
 *   (b) manual: download the object, `etcdutl snapshot restore` three times, start three etcd processes, wait for
 *       quorum
 * Options: --rounds N (default 3; the side that goes first alternates; medians are reported), --mib N (MiB of 1 MiB
 * random values loaded, default 1024; the tenant runs etcd's default 2 GiB quota), --keep (leave the temp dir for a
 * look at the logs).
 */
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    mib: { type: 'string', default: '1024' },
    keep: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(args.rounds);
const MIB = Number(args.mib);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
  throw new Error(`--rounds must be a whole number >= 1, not ${args.rounds}`);
if (!Number.isInteger(MIB) || MIB < 1 || MIB > 1500)
  throw new Error(
    `--mib must be 1..1500 (the database grows ~20% over the values; the tenant has etcd's default 2 GiB quota), not ${args.mib}`,
  );

const say = (line: string) => process.stderr.write(`${line}\n`);
/** Before each timed part: neither side pays for writing back the other's dirty pages (gigabytes of them). */
const settleDisk = () => promisify(execFile)('sync');
/** The 1-minute load average around each timed part: other work on the machine shows in the figures. */
const loads: number[] = [];
const noteLoad = () => loads.push(loadavg()[0]!);
const median = (xs: number[]) => {
  const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]!;
};
const s = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '   n/a' : `${x.toFixed(1).padStart(5)}s`);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Random 1 MiB values (they do not compress), four writes in flight, through the worker's own route to etcd. */
async function load(stack: RestoreStack): Promise<void> {
  const connection = await resolveEtcd(stack.deps, BENCH.cluster);
  const client = etcdClient(connection.endpoints, connection.tls);
  const started = performance.now();
  try {
    let next = 0;
    const writer = async () => {
      for (let i = next++; i < MIB; i = next++) {
        await client.put(`/registry/bench/${String(i).padStart(6, '0')}`).value(randomBytes(1024 * 1024));
        if (i > 0 && i % 128 === 0) say(`  ${i} MiB`);
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
  } finally {
    client.close();
  }
  const seconds = (performance.now() - started) / 1000;
  say(`  loaded ${MIB} MiB in ${seconds.toFixed(1)}s (${(MIB / seconds).toFixed(1)} MiB/s)`);
}

async function liveRevision(stack: RestoreStack): Promise<bigint | undefined> {
  const { reachable } = await probeMembers(await resolveEtcd(stack.deps, BENCH.cluster));
  return reachable.length === 0
    ? undefined
    : reachable.map((m) => BigInt(m.revision)).reduce((a, b) => (a > b ? a : b));
}

function describeLifeboat(a: LifeboatRestoreTimes): string[] {
  return [
    `  (a) Lifeboat ${s(a.total)}; quorum ${s(a.quorumWorkflow)} after scale-up by the workflow, ${s(a.quorumObserved)} by etcd's /health`,
    `      planning ${s(a.planning)}, ${a.steps.map((x) => `${x.kind} ${s(x.seconds).trim()}`).join(', ')}`,
    ...a.members.map(
      (m) =>
        `      ${m.member}: to pod ${s(m.toPod)}, pod start ${s(m.podStart)}, fetch ${s(m.fetch)}, status ${s(m.status)}, restore ${s(m.restore)}`,
    ),
    `      last Job finished → restore-members ended ${s(a.afterJobs)}`,
  ];
}

function describeManual(b: ManualRestoreTimes): string {
  return `  (b) manual   ${s(b.total)}; download ${s(b.download).trim()}, etcdutl restore ${b.restores.map((x) => s(x).trim()).join(' + ')}, start to quorum ${s(b.quorum).trim()}`;
}

function summary(manifest: EtcdBackupManifest, a: LifeboatRestoreTimes[], b: ManualRestoreTimes[]): string[] {
  const am = median(a.map((x) => x.total));
  const bm = median(b.map((x) => x.total));
  const ratio = am / bm;
  const kinds = a[0]!.steps.map((x) => x.kind);
  const stepMedian = (kind: string) => median(a.map((x) => x.steps.find((y) => y.kind === kind)?.seconds ?? NaN));
  const members = a[0]!.members.map((m) => m.member);
  const memberMedian = (member: string, field: 'toPod' | 'podStart' | 'fetch' | 'status' | 'restore') =>
    median(a.map((x) => x.members.find((m) => m.member === member)?.[field] ?? NaN));
  const rows: [string, number][] = [
    ['planning (inspectRestore)', median(a.map((x) => x.planning))],
    ...kinds.map((kind): [string, number] => [kind, stepMedian(kind)]),
  ];
  const accounted = rows.reduce((sum, [, x]) => sum + (Number.isNaN(x) ? 0 : x), 0);
  return [
    '',
    `bench/etcd-restore: three-member TLS etcd StatefulSet, ${MIB} MiB of random values loaded, backup ${manifest.backup} ` +
      `${mib(manifest.object.bytes)} (compression ${manifest.object.compression}), ${ROUNDS} round(s), medians`,
    `  machine: ${availableParallelism()} CPUs, 1-minute load average ${Math.min(...loads).toFixed(1)}..${Math.max(...loads).toFixed(1)} around the timed parts`,
    `  (a) Lifeboat etcdRestore workflow, end to end          ${s(am)}`,
    `  (b) manual: download, 3x etcdutl restore, 3x etcd      ${s(bm)}`,
    `  a/b = ${ratio.toFixed(2)}   target <= 1.30: ${ratio <= 1.3 ? 'met' : 'NOT met'}`,
    `  time to quorum: (a) ${s(median(a.map((x) => x.quorumWorkflow))).trim()} from scale-etcd-up to the end of wait-for-quorum ` +
      `(etcd itself healthy after ${s(median(a.map((x) => x.quorumObserved ?? NaN))).trim()}); ` +
      `(b) ${s(median(b.map((x) => x.quorum))).trim()} from starting the members`,
    '  (a) Lifeboat by step:',
    ...rows.map(([kind, x]) => `      ${kind.padEnd(26)} ${s(x)}`),
    `      ${'(between steps)'.padEnd(26)} ${s(am - accounted)}`,
    '  (a) restore-members by member Job (Kubernetes times, whole seconds):',
    `      ${'member'.padEnd(8)} ${['to pod', 'pod start', 'fetch', 'status', 'restore'].map((h) => h.padStart(9)).join(' ')}`,
    ...members.map(
      (m) =>
        `      ${m.padEnd(8)} ${(['toPod', 'podStart', 'fetch', 'status', 'restore'] as const)
          .map((f) => s(memberMedian(m, f)).padStart(9))
          .join(' ')}`,
    ),
    `      last Job finished → restore-members ended ${s(median(a.map((x) => x.afterJobs)))}`,
    '  (b) manual by stage:',
    `      ${'download'.padEnd(26)} ${s(median(b.map((x) => x.download)))}`,
    ...[0, 1, 2].map(
      (i) => `      ${`etcdutl restore #${i + 1}`.padEnd(26)} ${s(median(b.map((x) => x.restores[i]!)))}`,
    ),
    `      ${'start to quorum'.padEnd(26)} ${s(median(b.map((x) => x.quorum)))}`,
  ];
}

async function main(): Promise<void> {
  const teardown = new Teardown(say);
  teardown.trapSignals();
  const tools = await ensureTools(consoleProgress(), ['etcd', 'versitygw', 'temporal', 'kubernetes']);
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-restore-'));
  // Registered first, so it runs last: after every process that writes there has stopped.
  const removeDir = () => (args.keep ? say(`kept ${dir}`) : rmSync(dir, { recursive: true, force: true }));
  teardown.add(`remove ${dir}`, removeDir);
  teardown.atExit(() => !args.keep && rmSync(dir, { recursive: true, force: true }));
  try {
    const stack = await startRestoreStack(tools, dir, teardown, say);
    say(`loading ${MIB} MiB of random 1 MiB values into the tenant's etcd...`);
    await load(stack);
    say('backing up with the etcdBackup workflow (direct mode)...');
    const backupStarted = performance.now();
    const manifest: EtcdBackupManifest = await stack.client.workflow.execute<typeof etcdBackup>('etcdBackup', {
      args: [{ cluster: BENCH.cluster, policy: BENCH.policy, requestedAt: new Date().toISOString() }],
      taskQueue: stack.taskQueue,
      workflowId: 'bench-etcd-backup',
    });
    say(
      `  ${manifest.backup}: ${mib(manifest.object.bytes)} stored in ${((performance.now() - backupStarted) / 1000).toFixed(1)}s`,
    );

    const a: LifeboatRestoreTimes[] = [];
    const b: ManualRestoreTimes[] = [];
    const runLifeboat = async (round: number) => {
      say(`round ${round}/${ROUNDS}: Lifeboat restore...`);
      await settleDisk();
      noteLoad();
      a.push(
        await lifeboatRestore({
          client: stack.client,
          taskQueue: stack.taskQueue,
          cluster: BENCH.cluster,
          namespace: BENCH.namespace,
          members: ['etcd-0', 'etcd-1', 'etcd-2'],
          admin: stack.admin,
        }),
      );
      noteLoad();
      describeLifeboat(a.at(-1)!).forEach(say);
      await deleteRestoreJobs(stack.admin, BENCH.namespace);
    };
    const runManual = async (round: number) => {
      say(`round ${round}/${ROUNDS}: manual restore...`);
      const bumpRevision = revisionBump(BigInt(manifest.etcd.revision), await liveRevision(stack));
      await settleDisk();
      noteLoad();
      b.push(
        await manualRestore({
          tools,
          s3: () => s3ClientFor(stack.deps, stack.config.storageLocations[0]!),
          bucket: BENCH.bucket,
          key: manifest.object.key,
          dir: join(dir, 'manual'),
          clusterToken: restoreClusterToken(BENCH.cluster, `manual-${round}`),
          // As Lifeboat bumps by default: past the live revision, plus a margin.
          bumpRevision,
          teardown,
        }),
      );
      noteLoad();
      say(describeManual(b.at(-1)!));
    };
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternating which goes first: neither side always inherits the other's leftovers (page cache, disk queues).
      if (round % 2 === 1) {
        await runLifeboat(round);
        await runManual(round);
      } else {
        await runManual(round);
        await runLifeboat(round);
      }
      say(`  a/b = ${(a.at(-1)!.total / b.at(-1)!.total).toFixed(2)}`);
    }
    process.stdout.write(`${summary(manifest, a, b).join('\n')}\n`);
  } finally {
    say('cleaning up...');
    await teardown.run();
  }
}

await main();
