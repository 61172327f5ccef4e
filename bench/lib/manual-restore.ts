import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { probeMembers } from '../../activities/etcd/members.js';
import { freePorts } from '../../devstack/ports.js';
import { ManagedProcess } from '../../devstack/process.js';
import { etcdCluster, etcdMembers } from '../../devstack/servers/etcd.js';
import type { ToolPaths } from '../../devstack/tools/build.js';
import type { Teardown } from './teardown.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ManualRestoreTimes {
  total: number;
  download: number;
  /** One `etcdutl snapshot restore` per member, run one after the other. */
  restores: number[];
  /** Members started → every member healthy (/health) and one of them the leader. */
  quorum: number;
  bytes: number;
}

/**
 * The restore as the etcd documentation has an operator do it, on this machine: download the object to a file,
 * `etcdutl snapshot restore` it once per member (the flags Lifeboat's restore Jobs pass, core/restore-job.ts), start
 * three etcd processes on loopback ports from those data directories (the flags the tenant's members run with, minus
 * TLS) and wait for quorum. Everything it started is stopped and removed before it returns.
 */
export async function manualRestore(opts: {
  tools: ToolPaths;
  /** Made like Lifeboat's own (activities/s3.ts), so both read the object with the same SDK settings. */
  s3: () => S3Client;
  bucket: string;
  key: string;
  dir: string;
  clusterToken: string;
  bumpRevision: bigint;
  teardown: Teardown;
}): Promise<ManualRestoreTimes> {
  const ports = await freePorts(6);
  const layout = { clientPorts: ports.slice(0, 3), peerPorts: ports.slice(3) };
  const members = etcdMembers(layout);
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const snapshotFile = join(opts.dir, 'snapshot.db');
  const procs: ManagedProcess[] = [];
  opts.teardown.atExit(() => procs.forEach((p) => p.pid && p.running && process.kill(p.pid, 'SIGKILL')));
  mkdirSync(opts.dir, { recursive: true });
  try {
    const t0 = performance.now();
    const s3 = opts.s3();
    let bytes = 0;
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: opts.bucket, Key: opts.key }));
      bytes = object.ContentLength ?? 0;
      await pipeline(object.Body as Readable, createWriteStream(snapshotFile));
    } finally {
      s3.destroy();
    }
    const downloaded = performance.now();

    const restores: number[] = [];
    for (const member of members) {
      const t = performance.now();
      await run(opts.tools.etcdutl, [
        'snapshot',
        'restore',
        snapshotFile,
        `--name=${member.name}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-token=${opts.clusterToken}`,
        `--initial-advertise-peer-urls=${member.peerUrl}`,
        // Where etcdCluster's members keep their data.
        `--data-dir=${join(opts.dir, member.name, 'data')}`,
        ...(opts.bumpRevision > 0n ? [`--bump-revision=${opts.bumpRevision}`, '--mark-compacted'] : []),
      ]);
      restores.push((performance.now() - t) / 1000);
    }

    const startAt = performance.now();
    const specs = etcdCluster({
      binary: opts.tools.etcd,
      dataDir: opts.dir,
      ...layout,
      clusterToken: opts.clusterToken,
    });
    procs.push(...specs.map((spec) => new ManagedProcess(spec)));
    // Each start() returns once its member's /health is true, which needs a quorum: start them together.
    await Promise.all(procs.map((p) => p.start()));
    for (;;) {
      const probe = await probeMembers({ cluster: 'manual', endpoints: members.map((m) => m.clientUrl) });
      if (probe.reachable.length === members.length && probe.reachable.some((m) => m.isLeader)) break;
      await sleep(100);
    }
    const end = performance.now();
    return {
      total: (end - t0) / 1000,
      download: (downloaded - t0) / 1000,
      restores,
      quorum: (end - startAt) / 1000,
      bytes,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(opts.dir, { recursive: true, force: true });
  }
}
