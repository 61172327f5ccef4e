import { MockActivityEnvironment } from '@temporalio/testing';
import { readFileSync } from 'node:fs';
import { createActivities } from '../../activities/index.js';
import type { SnapshotResult } from '../../activities/etcd-backup.js';
import { loadConfigFile } from '../../runtime/config-file.js';

// One Lifeboat direct-mode snapshot, alone in this process, so its peak RSS is Lifeboat's and nothing else's.
// argv: <config file> <cluster> <policy> <backup name>; prints one JSON line.
const [configFile, cluster, policy, backup] = process.argv.slice(2) as [string, string, string, string];
const activities = createActivities({ config: loadConfigFile(configFile), readSecretEnv: (name) => process.env[name] });
const started = performance.now();
const baselineKiB = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
const result: SnapshotResult = await new MockActivityEnvironment().run(activities.snapshotToStorage, {
  cluster,
  policy,
  backup,
});
const seconds = (performance.now() - started) / 1000;
const peakRssKiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
process.stdout.write(
  `${JSON.stringify({ seconds, peakRssMiB: peakRssKiB / 1024, stored: result.stored.bytes, snapshot: result.snapshot.bytes })}\n`,
);
