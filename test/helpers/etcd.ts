import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { freePorts } from '../../devstack/ports.js';
import { ManagedProcess } from '../../devstack/process.js';
import { etcdCluster } from '../../devstack/servers/etcd.js';

const run = promisify(execFile);

/** Restores a snapshot file with stock `etcdutl snapshot restore` and starts a one-member etcd on it. */
export async function restoreIntoScratchEtcd(
  snapshotFile: string,
): Promise<{ endpoint: string; proc: ManagedProcess }> {
  const tools = inject('tools');
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-scratch-etcd-'));
  const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
  const dataDir = join(dir, 'member-0', 'data');
  await run(tools.etcdutl!, [
    'snapshot',
    'restore',
    snapshotFile,
    '--data-dir',
    dataDir,
    '--name',
    'member-0',
    '--initial-cluster',
    `member-0=http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${peerPort}`,
  ]);
  const [spec] = etcdCluster({
    binary: tools.etcd!,
    dataDir: dir,
    clientPorts: [clientPort],
    peerPorts: [peerPort],
    clusterToken: 'scratch',
    unsafeNoFsync: true,
  });
  const proc = new ManagedProcess(spec!);
  await proc.start();
  return { endpoint: `http://127.0.0.1:${clientPort}`, proc };
}
