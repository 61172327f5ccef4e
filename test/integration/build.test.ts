import { DefaultLogger } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { buildDist } from '../../build/bundle.js';
import { manifestKey, snapshotKey } from '../../core/layout.js';
import type { ManagedProcess } from '../../devstack/process.js';
import { repoRoot } from '../../build/repo-root.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import { WORKER_READY_LINE } from '../../worker/ready.js';
import { workerProcess } from '../helpers/faults.js';
import { bucketState, isolatedConfig, testSecrets, uniqueName } from '../helpers/stack.js';
import { temporalEnv } from '../helpers/temporal-namespace.js';

const run = promisify(execFile);

// `npm run build` and the built worker as production starts it (dist/lifeboat-worker): what the README deploys.
describe('the built worker and CLI (npm run build)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-build-'));
  const dist = join(dir, 'dist');
  let worker: ManagedProcess;
  let configFile: string;
  let bucket: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    // An image ships dist/ next to node_modules; here that is a link to the project's.
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
    await buildDist(dist, new DefaultLogger('WARN'));
    const { config, buckets } = await isolatedConfig();
    bucket = buckets.versitygw!;
    configFile = join(dir, 'lifeboat.yaml');
    writeFileSync(
      configFile,
      stringify({
        apiVersion: 'lifeboat.dev/v1alpha1',
        kind: 'LifeboatConfig',
        storageLocations: config.storageLocations,
        clusters: config.clusters,
        etcdBackups: [{ name: 'built', cluster: 'local', location: 'versitygw' }],
      }),
    );
    const taskQueue = uniqueName('built');
    worker = workerProcess(loadConfigFile(configFile), taskQueue, testSecrets(), undefined, dist);
    await worker.start();
    env = {
      ...process.env,
      ...temporalEnv(),
      LIFEBOAT_TASK_QUEUE: taskQueue,
      ...Object.fromEntries(testSecrets()),
    };
  }, 120_000);
  afterAll(async () => worker?.stop());

  it('runs the prebuilt workflow bundle with the memory settings the launcher promises', () => {
    const pid = worker.pid!;
    const ready = readFileSync(worker.spec.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes(WORKER_READY_LINE))
      .map((line) => JSON.parse(line) as { workflows: string })[0];
    expect(ready?.workflows).toBe(join(dist, 'workflow-bundle.js'));
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toEqual(
      expect.arrayContaining(['MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=262144']),
    );
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(
      expect.arrayContaining(['--max-semi-space-size=4', '--heap-growing-percent=25', join(dist, 'worker.js')]),
    );
  });

  it('keeps zod and the Kubernetes client out of the workflow bundle (the sandbox loads all of it)', () => {
    const bundle = readFileSync(join(dist, 'workflow-bundle.js'), 'utf8');
    expect(bundle).toMatch(/"\.\/workflows\/resource-restore\.ts"/);
    expect(bundle).not.toMatch(/node_modules\/zod\//);
    expect(bundle).not.toMatch(/@kubernetes\/client-node/);
  });

  it("runs on the project's pinned Node, from node_modules as an image ships it, as the tests themselves do", () => {
    const pinned = realpathSync(join(repoRoot, 'node_modules', '.bin', 'node'));
    expect(realpathSync(`/proc/${worker.pid!}/exe`)).toBe(pinned);
    expect(realpathSync(process.execPath)).toBe(pinned);
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      optionalDependencies: Record<string, string>;
    };
    expect(process.version).toBe(`v${manifest.optionalDependencies[`node-linux-${process.arch}`]}`);
  });

  it('the built CLI starts a backup that the built worker completes into the bucket', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(dist, 'lifeboat.js'), 'backup', 'now', 'local/built', '--wait', '-f', configFile],
      { env, timeout: 120_000 },
    );
    const backup = /backup (built-\d{14}) complete/.exec(stdout)?.[1];
    expect(backup, stdout).toBeDefined();
    const ref = { prefix: 'it', kind: 'etcd' as const, cluster: 'local', policy: 'built', backup: backup! };
    const { keys, uploads } = await bucketState(
      inject('s3Servers').find((s) => s.name === 'versitygw')!,
      bucket,
    );
    expect(keys).toEqual([manifestKey(ref), snapshotKey(ref, 'none', false)].sort());
    expect(uploads).toEqual([]);
  });

  it('the built CLI answers --help and exits 0', async () => {
    const { stdout } = await run(process.execPath, [join(dist, 'lifeboat.js'), '--help'], { env });
    expect(stdout).toMatch(/Usage: lifeboat/);
    expect(stdout).toMatch(/backup/);
  });
});
