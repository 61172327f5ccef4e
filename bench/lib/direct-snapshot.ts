import { MockActivityEnvironment } from '@temporalio/testing';
import { readFileSync } from 'node:fs';
import type { SnapshotResult } from '../../activities/etcd-backup.js';
import { createActivities, productionDeps } from '../../activities/index.js';
import { loadConfigFile } from '../../runtime/config-file.js';

// One Lifeboat direct-mode snapshot, alone in this process, so its peak RSS is Lifeboat's and nothing else's.
// argv: <config file> <cluster> <policy> <backup name>; prints one JSON line.
const [configFile, cluster, policy, backup] = process.argv.slice(2) as [string, string, string, string];
const activities = createActivities(productionDeps(loadConfigFile(configFile)));
const status = (field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

// What the process holds before streaming (runtime, SDKs, the mock activity context): the part that does not scale.
const baselineRssMiB = status('VmRSS');
const started = performance.now();
const result: SnapshotResult = await new MockActivityEnvironment().run(() =>
  activities.snapshotToStorage({ cluster, policy, backup }),
);
const seconds = (performance.now() - started) / 1000;
const peakRssMiB = status('VmHWM');
process.stdout.write(
  `${JSON.stringify({ seconds, peakRssMiB, baselineRssMiB, stored: result.stored.bytes, snapshot: result.snapshot.bytes })}\n`,
);
