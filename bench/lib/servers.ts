import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../devstack/kube/control-plane.js';
import { freePorts } from '../../devstack/ports.js';
import { ManagedProcess } from '../../devstack/process.js';
import type { S3Endpoint } from '../../devstack/s3-bucket.js';
import { temporalServer } from '../../devstack/servers/temporal.js';
import { versitygwServer } from '../../devstack/servers/versitygw.js';
import type { ToolPaths } from '../../devstack/tools/build.js';
import type { Teardown } from './teardown.js';

export interface BenchServers {
  temporalPort: number;
  s3: S3Endpoint;
  plane: ControlPlane;
  kubeDir: string;
  /** Free loopback ports beyond the servers', as many as asked for (a node agent's, say). */
  extraPorts: number[];
}

/** SIGKILL for processes still running when the benchmark exits without its teardown (a crash, a second Ctrl-C). */
export const killNow = (procs: ManagedProcess[]) =>
  procs.forEach((p) => p.pid && p.running && process.kill(p.pid, 'SIGKILL'));

/**
 * What every benchmark stands on, in `dir`, on free loopback ports: Temporal (in memory), versitygw and the real
 * Kubernetes control plane, started together with `alongside` (building the worker's code). Each is registered with
 * `teardown` as soon as it starts, so a failure or Ctrl-C half-way stops what already runs.
 */
export async function startBenchServers(
  tools: ToolPaths,
  dir: string,
  teardown: Teardown,
  opts: { alongside: Promise<unknown>; extraPorts?: number },
): Promise<BenchServers> {
  const [temporalPort, s3Port, apiServerPort, etcdClientPort, etcdPeerPort, schedulerPort, ...extraPorts] =
    (await freePorts(6 + (opts.extraPorts ?? 0))) as [number, number, number, number, number, number, ...number[]];
  const s3: S3Endpoint = {
    endpoint: `http://127.0.0.1:${s3Port}`,
    accessKeyId: 'bench',
    secretAccessKey: 'bench-secret-12345678',
  };
  const servers = [
    temporalServer({ binary: tools.temporal, dataDir: join(dir, 'temporal'), port: temporalPort }),
    versitygwServer({ binary: tools.versitygw, dataDir: join(dir, 's3'), port: s3Port, ...s3 }),
  ].map((spec) => new ManagedProcess(spec));
  teardown.add('Temporal and versitygw', () => Promise.all(servers.map((p) => p.stop())));
  teardown.atExit(() => killNow(servers));

  const kubeDir = join(dir, 'kubernetes');
  const planeStarting = startControlPlane({
    tools,
    dataDir: kubeDir,
    apiServerPort,
    etcdClientPort,
    etcdPeerPort,
    schedulerPort,
  });
  // Registered before it is up: a teardown during the start waits for it (a failed start stops itself).
  teardown.add('Kubernetes control plane', async () => (await planeStarting.catch(() => undefined))?.stop());
  const [, plane] = await Promise.all([Promise.all(servers.map((p) => p.start())), planeStarting, opts.alongside]);
  teardown.atExit(() => killNow(plane.processes));
  return { temporalPort, s3, plane, kubeDir, extraPorts };
}
